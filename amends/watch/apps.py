from django.apps import AppConfig


class WatchConfig(AppConfig):
    name = "amends.watch"
    label = "watch"
    verbose_name = "Watch and background jobs"

    def ready(self) -> None:
        # Register the built-in job kinds.
        from amends.watch import registry  # noqa: F401
