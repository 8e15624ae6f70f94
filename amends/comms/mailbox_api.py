"""API: mailbox operations (added to the root API in `amends.api`)."""

from ninja import Router

router = Router(tags=["Communications"])
