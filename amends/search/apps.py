"""Full-text search across everything a user may see."""

from typing import Any

from django.apps import AppConfig


def _document_gone(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A deleted communication, case or concern leaves the index (however it was
    deleted: an action, a cascade from its client or case, the admin)."""
    from amends.search.actions import remove_object
    from amends.search.models import SearchDocument

    kind = {
        "communication": SearchDocument.Kind.COMMUNICATION,
        "case": SearchDocument.Kind.CASE,
        "concern": SearchDocument.Kind.CONCERN,
    }[sender._meta.model_name]
    remove_object(kind, instance.pk)


class SearchConfig(AppConfig):
    """The search app: one index table per database engine, one query interface."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "amends.search"
    label = "search"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from amends.cases.models import Case, Concern
        from amends.comms.models import Communication
        from amends.search import jobs  # noqa: F401 (registers its periodic work)

        for model in (Communication, Case, Concern):
            post_delete.connect(
                _document_gone, sender=model, dispatch_uid=f"search-drop-{model.__name__}"
            )
