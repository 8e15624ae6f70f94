"""`{% share_panel %}`: the sharing box on the case page (links, create, revoke)."""

from __future__ import annotations

from typing import Any

from django import template

from amends.sharing.forms import ShareLinkForm
from amends.sharing.queries import list_links

register = template.Library()


@register.inclusion_tag("sharing/_case_panel.html", takes_context=True)
def share_panel(context: template.Context, case: Any) -> dict[str, Any]:
    user = context["request"].user
    links = [link for link in list_links(user, case)[:20] if link.state == "active"]
    return {"case": case, "links": links, "link_form": ShareLinkForm(auto_id="share-link-%s")}
