"""Admin pages of the playbook: tune the coach's rules (R35)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from amends.accounts.views import admin_required
from amends.core.errors import NotFound, StaleEdit, ValidationError
from amends.core.forms import add_action_error
from amends.core.htmx import is_htmx, redirect
from amends.playbook import actions
from amends.playbook.forms import CoachRuleForm
from amends.playbook.queries import RuleView, get_rule, list_rules


def _form_for(view: RuleView) -> CoachRuleForm:
    s = view.setting
    return CoachRuleForm(
        initial={
            "version": s.version,
            "enabled": s.enabled,
            "severity": s.severity,
            "extra_phrases": "\n".join(s.extra_phrases or []),
            "note": s.note,
        }
    )


@admin_required
def coach_rules(request: HttpRequest) -> HttpResponse:
    rules = [{"view": v, "form": _form_for(v)} for v in list_rules()]
    return render(request, "playbook/coach_rules.html", {"rules": rules})


@admin_required
@require_POST
def tune_rule(request: HttpRequest, code: str) -> HttpResponse:
    try:
        view = get_rule(code)
    except NotFound:
        raise Http404("Not found") from None
    form = CoachRuleForm(request.POST)
    status = 200
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.tune_rule(
                request.user,  # type: ignore[arg-type]
                view.rule.code,
                version=data["version"],
                enabled=data["enabled"],
                severity=data["severity"] or "",
                extra_phrases=data["extra_phrases"].splitlines(),
                note=data["note"],
            )
        except ValidationError as exc:
            add_action_error(form, exc)
            status = 422
        except StaleEdit:
            # Keep what this admin typed, show the conflict, and take the current version:
            # saving again is a deliberate overwrite (the page shows who changed it).
            view = get_rule(code)
            data = request.POST.copy()
            data["version"] = str(view.setting.version)
            form.data = data
            form.add_error(
                None,
                "Someone changed this rule while you were editing it. Check the rule above; "
                "save again to replace their change with yours.",
            )
            status = 422
        else:
            if not is_htmx(request):
                messages.success(request, f"The rule “{view.rule.title}” was saved.")
                return redirect(request, reverse("playbook:coach") + f"#rule-{view.rule.code}")
            view = get_rule(code)
            form = _form_for(view)
    else:
        status = 422
    context: dict[str, Any] = {"item": {"view": view, "form": form}, "saved": status == 200}
    if status != 200:
        context["item"]["view"] = view
    if is_htmx(request):
        return render(request, "playbook/_rule.html", context, status=status)
    rules = [
        {"view": v, "form": form if v.rule.code == view.rule.code else _form_for(v)}
        for v in list_rules()
    ]
    return render(request, "playbook/coach_rules.html", {"rules": rules}, status=status)
