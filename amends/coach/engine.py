# ruff: noqa: E501
"""The small engine that evaluates the rules in `amends.coach.rules` against a draft.

Everything is compiled once at import; an admin's extra phrases are compiled once per
distinct set (cached). Quoted lines (starting with ">") are blanked out before any rule
runs, so the client's own words are never judged and never count as an answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from amends.coach import rules as R
from amends.coach.matcher import Index, Matcher, index, key_of
from amends.coach.types import ConcernCoverage, ConcernRef, Finding, Report, RuleSetting, Severity

MAX_TEXT = 200_000  # characters the engine reads; callers bound their input well below
MAX_EXTRA_PHRASES = 50
MAX_PHRASE_LENGTH = 200

_FLAGS = re.IGNORECASE


def _alternation(patterns: Iterable[str]) -> re.Pattern[str]:
    """One regex for many patterns. Those that start at a word boundary share one leading
    `\\b`, so the engine rejects most positions (inside words) before trying any branch."""
    bounded = [p[2:] for p in patterns if p.startswith(r"\b")]
    other = [p for p in patterns if not p.startswith(r"\b")]
    parts = [r"\b(?:" + "|".join(f"(?:{p})" for p in bounded) + ")"] if bounded else []
    parts += [f"(?:{p})" for p in other]
    return re.compile("|".join(parts), _FLAGS)


_PHRASE_RX: dict[str, Matcher] = {
    r.code: Matcher(r.patterns) for r in R.RULES if r.kind in ("phrase", "missing") and r.patterns
}

_QUOTED_LINE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)", re.MULTILINE)
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]|[A-Za-z]")
_BULLET = re.compile(r"^[ \t]*(?:[-*•–]|\d{1,2}[.)]|[a-z][.)]|\[ ?\])[ \t]+(.+)$", re.MULTILINE)
_ACTION = re.compile(R.ACTION_PROMISE)  # case-sensitive: "[A-Z][a-z]+ will"
_ACTION_I = re.compile(
    r"\b(?:we|I)(?:'ll| will| shall| are going to| am going to|'re going to|'m going to)\b",
    _FLAGS,
)
_DATE = _alternation(R.DATE_WORDS)
_OWNER = re.compile("|".join(f"(?:{p})" for p in R.OWNER_WORDS))
_CAPWORD = re.compile(r"\b[A-Z][a-z]+(?:-[A-Z][a-z]+)?\b")
_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")

# Point of contact: a way to reach someone, and a name.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}\.[\w.-]{1,63}")
_PHONE = re.compile(r"(?<![\w+(])(?:\+\d{1,3}[ .-]?)?\(?\d{2,5}\)?[ .-]?\d{3,4}[ .-]?\d{3,4}\b")
_REACH = Matcher(
    [
        r"\b(?:call|ring|phone|text|reach|contact|email|message) me\b",
        r"\bmy (?:direct |mobile |personal )?(?:line|number|mobile|phone|cell|email|extension)\b",
        r"\b(?:reply|respond) (?:to (?:this|me)|directly)\b",
        r"\b(?:point of contact|main contact|single contact|your contact)\b",
        r"\bget (?:in touch|hold of me)\b",
        r"\breach out to me\b",
        r"\bmy door is open\b",
    ]
)
_SIGNOFF = re.compile(
    r"^[ \t]*(?:[-–—]+[ \t]*)?(?:(?:best|kind|warm|many)?[ \t]*(?:regards|wishes|thanks)[,!]?[ \t]*)?"
    r"[A-Z][a-z'’]+(?:[ \t]+[A-Z][a-z'’\-]+){0,2}[ \t]*[,.]?[ \t]*$",
    re.MULTILINE,
)
_NAMED_CONTACT = re.compile(
    r"\b(?:I(?:'m| am)|my name is|this is) [A-Z][a-z]+"
    r"|\b(?:point of contact|main contact|your contact)(?: (?:is|will be|from now on is))? [A-Z][a-z]+",
)
_NAME_AT_END = re.compile(r"[,—–]\s*([A-Z][a-z'’\-]+)\.?\s*$")
_SIGNOFF_WORDS = frozenset(
    [
        "Best",
        "Regards",
        "Thanks",
        "Cheers",
        "Sincerely",
        "Warmly",
        "Yours",
        "Kind",
        "Warm",
        "Many",
        "Thank",
        "Speak",
        "Talk",
        "Soon",
        "Sorry",
        "Again",
        "Team",
        "Ltd",
        "Limited",
        "Inc",
    ]
)

_UPPER_JARGON = {t: p for t, p in R.JARGON.items() if t.isupper() or "/" in t}
_LOWER_JARGON = {t.lower(): p for t, p in R.JARGON.items() if t not in _UPPER_JARGON}
_TOKEN = re.compile(r"[A-Za-z][A-Za-z/\-]*[A-Za-z]|[A-Za-z]")
_JARGON_FIRST = frozenset(t.split()[0].lower() for t in R.JARGON)
_JARGON_LONGEST = max(len(t.split()) for t in R.JARGON)


def _jargon_spans(masked: str, where: Index) -> list[tuple[int, int]]:
    """Jargon terms (acronyms only in capitals), longest term first; tried only where
    the draft has a word a term starts with."""
    starts = sorted({pos for k in _JARGON_KEYS for pos in where.get(k, ())})
    out = []
    last_end = -1
    for pos in starts:
        if pos < last_end:
            continue
        toks = []
        at = pos
        for _ in range(_JARGON_LONGEST):
            m = _TOKEN.match(masked, at)
            if m is None:
                break
            toks.append(m)
            gap = _GAP.match(masked, m.end())
            if gap is None:
                break
            at = gap.end()
        for n in range(len(toks), 0, -1):
            s, e = pos, toks[n - 1].end()
            phrase = " ".join(masked[s:e].split())
            if phrase in _UPPER_JARGON or phrase.lower() in _LOWER_JARGON:
                out.append((s, e))
                last_end = e
                break
    return out


_GAP = re.compile(r"[ \t]+")
_JARGON_KEYS = frozenset(key_of(re.split(r"[^A-Za-z0-9]", t)[0]) for t in R.JARGON)


LONG_PARAGRAPH_WORDS = 120
LONG_DRAFT_WORDS = 250


@lru_cache(maxsize=256)
def _extra_rx(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    cleaned = [p.strip()[:MAX_PHRASE_LENGTH] for p in phrases[:MAX_EXTRA_PHRASES] if p.strip()]
    if not cleaned:
        return None
    parts = []
    for p in cleaned:
        body = r"\s+".join(re.escape(w) for w in p.split())
        left = r"\b" if p[0].isalnum() else ""
        right = r"\b" if p[-1].isalnum() else ""
        parts.append(f"{left}{body}{right}")
    return re.compile("|".join(parts), _FLAGS)


def _mask_quotes(text: str) -> str:
    return _QUOTED_LINE.sub(lambda m: " " * len(m.group(0)), text)


# ------------------------------------------------------------------------ stemming


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    w = word.lower().strip("'-")
    if w.endswith(("'s", "’s")):
        w = w[:-2]
    if w in R.IRREGULAR:
        return R.IRREGULAR[w]
    if w.endswith("n't"):
        return w
    for suffix, repl in (
        ("ational", "ate"),
        ("ization", "ize"),
        ("isation", "ize"),
        ("iveness", "ive"),
        ("fulness", "ful"),
        ("ousness", "ous"),
        ("ements", ""),
        ("ement", ""),
        ("ments", ""),
        ("ment", ""),
        ("ings", ""),
        ("ing", ""),
        ("edly", ""),
        ("ies", "y"),
        ("ied", "y"),
        ("ness", ""),
        ("ers", ""),
        ("er", ""),
        ("ed", ""),
        ("ly", ""),
        ("es", ""),
        ("s", ""),
    ):
        if suffix == "s" and w.endswith(("ss", "us", "is")):
            break
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: len(w) - len(suffix)] + repl
            break
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "ls":
        w = w[:-1]  # "planned" -> "plann" -> "plan"
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return R.IRREGULAR.get(w, w)


_STEM_CACHE: dict[str, str] = {}


def _content_stem(w: str) -> str:
    """The stem of a lower-case word, or "" for a stop word or a very short one."""
    if len(w) < 3 or w in R.STOP_WORDS:
        return ""
    s = stem(w)
    return "" if s in R.STOP_WORDS else s


def content_stems(text: str) -> frozenset[str]:
    cache = _STEM_CACHE
    if len(cache) > 50_000:  # bounded: hostile text cannot grow it without limit
        cache.clear()
    out = set()
    for w in _WORD.findall(text.lower()):
        s = cache.get(w)
        if s is None:
            s = cache[w] = _content_stem(w)
        if s:
            out.add(s)
    return frozenset(out)


# ------------------------------------------------------------------------ the check


def _finding(
    code: str,
    severity: Severity,
    start: int,
    end: int,
    text: str,
    why: str = "",
    suggestion: str = "",
) -> Finding:
    rule = R.RULES_BY_CODE[code]
    return Finding(
        rule=code,
        severity=severity,
        start=start,
        end=end,
        text=text[start:end],
        why=why or rule.why,
        requirement=rule.requirement,
        suggestion=suggestion or rule.suggestion,
    )


def _phrase_spans(
    code: str, masked: str, where: Index, extra: tuple[str, ...]
) -> list[tuple[int, int]]:
    spans = _PHRASE_RX[code].spans(masked, where)
    rx = _extra_rx(extra) if extra else None
    if rx is not None:
        spans += [(m.start(), m.end()) for m in rx.finditer(masked)]
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def _has_real_apology(
    masked: str, where: Index, non_apology: list[tuple[int, int]], extra: tuple[str, ...]
) -> bool:
    rx = _extra_rx(extra) if extra else None
    candidates = _PHRASE_RX["missing_apology"].spans(masked, where)
    if rx is not None:
        candidates += [(m.start(), m.end()) for m in rx.finditer(masked)]
    for start, end in candidates:
        if not any(s <= end and start <= e + 12 for s, e in non_apology):
            return True
    return False


def _has_contact(masked: str, where: Index, extra: tuple[str, ...]) -> bool:
    rx = _extra_rx(extra) if extra else None
    if rx is not None and rx.search(masked):
        return True
    reachable = (
        ("@" in masked and _EMAIL.search(masked))
        or _PHONE.search(masked)
        or _REACH.search(masked, where)
    )
    if not reachable:
        return False
    if _NAMED_CONTACT.search(masked):
        return True
    lines = [ln for ln in masked.splitlines() if ln.strip()]
    for line in lines[-4:]:
        tail = _NAME_AT_END.search(line)  # "… call me on 0123 456 789, Sarah."
        if tail and tail.group(1) not in _SIGNOFF_WORDS and tail.group(1) not in R.NOT_NAMES:
            return True
        m = _SIGNOFF.match(line)
        if m is None:
            continue
        words = re.findall(r"[A-Z][a-z'’\-]+", line)
        if any(w not in _SIGNOFF_WORDS for w in words):
            return True
    return False


def _plan_steps(masked: str, extra: tuple[str, ...]) -> list[tuple[int, int, str]]:
    owner_extra = _extra_rx(extra) if extra else None
    out = []
    for m in _BULLET.finditer(masked):
        body = m.group(1)
        if not (_ACTION_I.search(body) or _ACTION.search(body)):
            continue
        has_date = bool(_DATE.search(body))
        has_owner = bool(_OWNER.search(body)) or bool(owner_extra and owner_extra.search(body))
        if not has_owner:
            for w in _CAPWORD.finditer(body):
                if w.group(0) not in R.NOT_NAMES and w.group(0) not in _SIGNOFF_WORDS:
                    has_owner = True
                    break
        if has_date and has_owner:
            continue
        missing = " and no ".join(
            x for x, ok in (("date", has_date), ("owner", has_owner)) if not ok
        )
        start, end = m.start(1), m.end(1)
        end = start + len(body.rstrip())
        out.append((start, end, missing))
    return out


def _sentences(masked: str) -> list[tuple[int, int, frozenset[str]]]:
    out = []
    for m in _SENTENCE.finditer(masked):
        s = m.group(0)
        if not s.strip():
            continue
        lead = len(s) - len(s.lstrip())
        out.append((m.start() + lead, m.end(), content_stems(s)))
    return out


def _coverage(masked: str, text: str, concerns: list[ConcernRef]) -> list[ConcernCoverage]:
    if not concerns:
        return []
    sents = _sentences(masked)
    # Where each stem occurs, by sentence. A concern is scored on each sentence together
    # with the next one (an answer often spans two sentences): the number of its words
    # found in either.
    where: dict[str, list[int]] = {}
    for i, (_s, _e, ws) in enumerate(sents):
        for w in ws:
            where.setdefault(w, []).append(i)
    out = []
    for concern in concerns:
        words = content_stems(concern.text[:5000])
        n = len(words)
        if n == 0:
            out.append(ConcernCoverage(concern, True, ""))
            continue
        need = min(3, max(1, math.ceil(0.34 * n)))
        if n >= 3:
            need = max(need, 2)
        window: dict[int, int] = {}
        single: dict[int, int] = {}
        for w in words:
            hits = where.get(w)
            if not hits:
                continue
            covered = set(hits)
            covered.update(h - 1 for h in hits if h > 0)
            for i in covered:
                window[i] = window.get(i, 0) + 1
            for i in hits:
                single[i] = single.get(i, 0) + 1
        if not window:
            out.append(ConcernCoverage(concern, False, ""))
            continue
        best = min(window, key=lambda i: (-window[i], i))
        if window[best] < need:
            out.append(ConcernCoverage(concern, False, ""))
            continue
        j = best + 1 if single.get(best + 1, 0) > single.get(best, 0) else best
        out.append(ConcernCoverage(concern, True, text[sents[j][0] : sents[j][1]].strip()))
    return out


def _wall(masked: str) -> list[tuple[int, int, str]]:
    out = []
    paragraphs = []  # (start, end) of each paragraph: text between blank lines
    at = 0
    for gap in _BLANK_LINES.finditer(masked):
        paragraphs.append((at, gap.start()))
        at = gap.end()
    paragraphs.append((at, len(masked)))
    paragraphs = [(s, e) for s, e in paragraphs if masked[s:e].strip()]
    total = 0
    for s, e in paragraphs:
        chunk = masked[s:e]
        n = len(chunk.split())
        total += n
        if n > LONG_PARAGRAPH_WORDS:
            lead = len(chunk) - len(chunk.lstrip())
            out.append((s + lead, s + len(chunk.rstrip()), f"This paragraph is {n} words long."))
    structured = bool(_BULLET.search(masked)) or len(paragraphs) >= 4
    if total > LONG_DRAFT_WORDS and not structured and not out:
        out.append((0, 0, f"The draft is {total} words with no list and few paragraphs."))
    return out


def check(
    text: str,
    *,
    concerns: Iterable[ConcernRef] = (),
    settings: Mapping[str, RuleSetting] | None = None,
) -> Report:
    """Check `text` against every enabled rule and report the findings in text order,
    and the coverage of each concern passed in (see `amends.coach` for the contract)."""
    text = text[:MAX_TEXT]
    settings = settings or {}
    found_concerns = list(concerns)
    masked = _mask_quotes(text)
    where = index(masked)
    findings: list[Finding] = []
    default = RuleSetting()

    def tuned(code: str) -> tuple[bool, Severity, tuple[str, ...]]:
        s = settings.get(code, default)
        rule = R.RULES_BY_CODE[code]
        return s.enabled, (s.severity or rule.severity), tuple(s.extra_phrases)

    non_apology_spans: list[tuple[int, int]] | None = None
    for rule in R.RULES:
        enabled, severity, extra = tuned(rule.code)
        if rule.code == "non_apology":
            non_apology_spans = _phrase_spans(
                "non_apology", masked, where, extra if enabled else ()
            )
        if not enabled:
            continue
        if rule.kind == "phrase":
            spans = (
                non_apology_spans
                if rule.code == "non_apology" and non_apology_spans is not None
                else _phrase_spans(rule.code, masked, where, extra)
            )
            findings += [_finding(rule.code, severity, s, e, text) for s, e in spans]
        elif rule.code == "missing_apology":
            if non_apology_spans is None:
                non_apology_spans = _phrase_spans("non_apology", masked, where, ())
            if not _has_real_apology(masked, where, non_apology_spans, extra):
                findings.append(_finding(rule.code, severity, 0, 0, text))
        elif rule.code == "missing_next_step":
            rx = _extra_rx(extra) if extra else None
            if not (_PHRASE_RX[rule.code].search(masked, where) or (rx and rx.search(masked))):
                findings.append(_finding(rule.code, severity, 0, 0, text))
        elif rule.code == "missing_contact":
            if not _has_contact(masked, where, extra):
                findings.append(_finding(rule.code, severity, 0, 0, text))
        elif rule.kind == "plan_step":
            for s, e, missing in _plan_steps(masked, extra):
                findings.append(
                    _finding(
                        rule.code,
                        severity,
                        s,
                        e,
                        text,
                        why=f"This step has no {missing}. " + rule.why,
                    )
                )
        elif rule.kind == "wall":
            for s, e, detail in _wall(masked):
                findings.append(
                    _finding(rule.code, severity, s, e, text, why=f"{detail} {rule.why}")
                )
        elif rule.kind == "jargon":
            seen: set[str] = set()
            spans = _jargon_spans(masked, where)
            rx = _extra_rx(extra) if extra else None
            if rx is not None:
                spans += [(m.start(), m.end()) for m in rx.finditer(masked)]
            # The client's own words are not jargon to them.
            client_words = " ".join(c.text.lower() for c in found_concerns)
            for s, e in sorted(spans):
                term = masked[s:e]
                key = term.lower()
                if key in seen or (
                    client_words and re.search(rf"\b{re.escape(key)}\b", client_words)
                ):
                    continue
                seen.add(key)
                plain = _UPPER_JARGON.get(term) or _LOWER_JARGON.get(key)
                hint = f"Say it plainly, e.g. '{plain}'." if plain else rule.suggestion
                findings.append(
                    _finding(
                        rule.code,
                        severity,
                        s,
                        e,
                        text,
                        why=f"'{term}' is jargon the client may not know. " + rule.why,
                        suggestion=hint,
                    )
                )

    coverage = _coverage(masked, text, found_concerns)
    enabled, severity, _ = tuned("uncovered_concern")
    if enabled:
        rule = R.RULES_BY_CODE["uncovered_concern"]
        for c in coverage:
            if not c.covered:
                quoted = c.concern.text.strip().replace("\n", " ")
                if len(quoted) > 160:
                    quoted = quoted[:157] + "…"
                findings.append(
                    _finding(
                        "uncovered_concern",
                        severity,
                        0,
                        0,
                        text,
                        why=f"The client said: “{quoted}”. " + rule.why,
                    )
                )
    findings.sort(key=lambda f: (f.start, f.end))
    return Report(findings=findings, coverage=coverage)
