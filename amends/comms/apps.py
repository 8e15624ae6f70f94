from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "amends.comms"
    label = "comms"

    def ready(self) -> None:
        """Register the `comms.import` job kind in web and worker processes alike."""
        from amends.comms import (
            jobs,  # noqa: F401
            mailbox_jobs,  # noqa: F401
        )
