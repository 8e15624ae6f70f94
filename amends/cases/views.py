"""The case pages: the list, a new case, the case page with its sections, the timeline.

Views are thin (STYLE.md): fetch through the permission-scoped queries (an outsider gets
404, never 403), validate with a form, write through `cases.actions` / `comms.actions`,
and answer with the pattern of `core/htmx.py`: an htmx request gets the re-rendered
partial (plus out-of-band refreshes of what the change affects), a plain post is
redirected (303), so every page works without JavaScript.

Every view of one case runs with the client's time zone active: datetimes are shown and
typed in the client's zone, and the zone is named on the page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import wraps
from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from amends.accounts.models import User
from amends.cases import lifecycle
from amends.cases.actions import (
    add_to_case,
    mark_commitment_kept,
    mark_commitment_missed,
    open_case,
    transition_case,
    update_case,
    update_in_case,
)
from amends.cases.forms import (
    COMM_FIELDS,
    CaseDetailsForm,
    CaseFilterForm,
    CommunicationForm,
    NewCaseForm,
    PartEditForm,
    TransitionForm,
    add_initial,
    changed_values,
    make_part_form,
)
from amends.cases.models import Action, Case, CheckIn, Commitment
from amends.cases.parts import PARTS
from amends.cases.queries import (
    FirstResponseClock,
    Guidance,
    PromiseRecord,
    first_response_clock,
    get_case_for,
    get_part_for,
    guidance,
    list_cases,
    list_parts,
    promise_record,
)
from amends.clients.models import Client
from amends.clients.queries import get_client_for, list_timeline, with_links
from amends.clients.views import filtered_timeline, render_timeline
from amends.comms.actions import record_communication
from amends.comms.clocks import case_responsiveness
from amends.comms.queries import calls_missing_recap, list_communications
from amends.core.errors import NotFound, PreconditionsUnmet, StaleEdit, ValidationError
from amends.core.forms import add_action_error, versioned_initial
from amends.core.htmx import is_htmx, redirect

TIMELINE_ON_PAGE = 25
CASES_PER_PAGE = 50
COMMS_ON_PAGE = 50
# A form with errors, a conflict or a refused move: base.html lets htmx swap a 422 like a
# 200, so htmx and plain posts get the same status.
INVALID = 422

# The page's sections, in the order of the method: listen, agree, deliver, keep talking.
SECTION_KINDS = (*PARTS, "communication")

SECTION_TEXT: dict[str, tuple[str, str]] = {
    "concern": (
        "Concerns",
        "What the client said, in their words, and whether each is answered yet.",
    ),
    "expectation": (
        "Expectations",
        "What the client expected, what the team expected, what was delivered; any "
        "constraint with its reason.",
    ),
    "action": (
        "Actions",
        "Every action has an owner, a deadline and a measure of success, and answers a "
        "concern or an expectation.",
    ),
    "commitment": (
        "Promises to the client",
        "Small promises, each kept on time: the clearest sign that trust is coming back.",
    ),
    "concession": (
        "Concessions",
        "Discounts, credits, free work: offered, accepted or declined, delivered, and what "
        "they cost the firm.",
    ),
    "checkin": (
        "Check-ins",
        "Regular conversations with an agenda. Always have the next one scheduled.",
    ),
    "milestone": ("Milestones", "Progress markers agreed with the client."),
    "positive": ("Positives", "What goes well and the client's helpful acts, to say out loud."),
    "communication": (
        "Communications",
        "Emails, calls, meetings and notes about this case. After every call, a written "
        "recap follows.",
    ),
}

# What one item is called on the page, where it differs from PARTS.
ITEM_LABELS = {"commitment": "promise", "communication": "communication"}

# Adding one kind changes the choices offered in another section's forms.
DEPENDENTS: dict[str, tuple[str, ...]] = {
    "concern": ("action",),
    "expectation": ("action",),
    "communication": ("concern",),
}

OUTCOMES: dict[str, tuple[str, str]] = {
    "kept_on_time": ("Kept on time", "badge-ok"),
    "kept_late": ("Kept late", "badge-warn"),
    "missed": ("Missed", "badge-danger"),
    "overdue": ("Overdue", "badge-danger"),
    "pending": ("Pending", "badge-neutral"),
}


# ---------------------------------------------------------------------------- access


def _user(request: HttpRequest) -> User:
    """The signed-in user (every view here requires one)."""
    return cast(User, request.user)


def _get_case(user: User, case_id: object) -> Case:
    try:
        return get_case_for(user, case_id)
    except NotFound:
        raise Http404("No such case.") from None


def _get_part(user: User, case: Case, kind: str, part_id: object) -> Any:
    """A part of *this* case, or 404 (a part of another case is not found here)."""
    if kind not in PARTS:
        raise Http404("No such section.")
    try:
        obj = get_part_for(user, kind, part_id)
    except NotFound:
        raise Http404("Not found.") from None
    if obj.case_id != case.pk:
        raise Http404("Not found.")
    return obj


def case_view(*methods: str) -> Callable[..., Callable[..., HttpResponse]]:
    """Log in, fetch the case for this user (404 for outsiders, whatever the method),
    allow only `methods`, and run the view in the client's time zone."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, case_id: int, *args: Any, **kwargs: Any) -> HttpResponse:
            case = _get_case(_user(request), case_id)
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            with timezone.override(case.client.working_hours.tz):
                return view(request, case, *args, **kwargs)

        return wrapper

    return decorate


# ---------------------------------------------------------------------------- page parts


@dataclass
class Section:
    """One section of the case page: its items, its "Add" form, maybe one item in edit."""

    kind: str
    title: str
    intro: str
    requirement: str
    groups: list[tuple[str, list[Any]]]
    add_form: forms.Form
    add_open: bool = False
    editing: int | None = None
    edit_form: forms.Form | None = None
    notice: str = ""
    error: str = ""
    focus: bool = False
    oob: bool = False
    case_id: int = 0

    @property
    def count(self) -> int:
        return sum(len(items) for _, items in self.groups)

    @property
    def item_template(self) -> str:
        return f"cases/parts/{self.kind}.html"

    @property
    def add_url(self) -> str:
        if self.kind == "communication":
            return reverse("cases:communication_add", args=[self.case_id])
        return reverse("cases:part_add", args=[self.case_id, self.kind])

    @property
    def label(self) -> str:
        return ITEM_LABELS.get(self.kind) or PARTS[self.kind].label

    @property
    def add_label(self) -> str:
        article = "an" if self.label[0] in "aeiou" else "a"
        verb = "Record" if self.kind == "communication" else "Add"
        return f"{verb} {article} {self.label}"

    @property
    def submit_label(self) -> str:
        return "Record" if self.kind == "communication" else "Add"


@dataclass
class StatusPanel:
    """Clocks, what the method asks next, and the lifecycle control."""

    clock: FirstResponseClock
    promises: PromiseRecord
    guidance: Guidance
    moves: list[lifecycle.Move]
    refused: PreconditionsUnmet | None = None
    errors: list[str] = field(default_factory=list)
    posted: dict[str, str] = field(default_factory=dict)
    notice: str = ""
    focus: bool = False


@dataclass
class Flags:
    """Presentation-only facts about one item (computed here, shown by the templates)."""

    gaps: list[str] = field(default_factory=list)
    overdue: bool = False
    unanswered: bool = False
    is_next: bool = False
    outcome: tuple[str, str] = ("", "")
    missing_recap: bool = False


def _today(case: Case, now: datetime) -> date:
    return now.astimezone(case.client.working_hours.tz).date()


def _items(user: User, case: Case, kind: str, now: datetime) -> list[tuple[str, list[Any]]]:
    """The items of a section, each with `.ui` flags, in groups (only actions are grouped)."""
    if kind == "communication":
        comms = list(
            list_communications(user, case=case).select_related("recap_of")[:COMMS_ON_PAGE]
        )
        flagged = {m.call.pk for m in calls_missing_recap(user, now, case=case, within=None)}
        for comm in comms:
            comm.ui = Flags(missing_recap=comm.pk in flagged)  # type: ignore[attr-defined]
        return [("", comms)]
    qs = list_parts(user, kind, case=case)
    if kind == "concern":
        qs = qs.select_related("communication").prefetch_related("actions")
    elif kind == "action":
        qs = qs.select_related("owner", "concern", "expectation")
    elif kind == "commitment":
        qs = qs.select_related("owner", "contact")
    items = list(qs)
    today = _today(case, now)
    upcoming = [
        c for c in items if isinstance(c, CheckIn) and not c.held_at and c.scheduled_at > now
    ]
    next_pk = min(upcoming, key=lambda c: c.scheduled_at).pk if upcoming else None
    for obj in items:
        flags = Flags()
        if kind == "concern":
            flags.unanswered = not lifecycle.concern_is_answered(obj)
        elif kind == "action":
            flags.gaps = _action_gaps(obj)
            flags.overdue = bool(
                obj.status in Action.OPEN_STATUSES and obj.deadline and obj.deadline < today
            )
        elif kind == "commitment":
            flags.outcome = OUTCOMES[obj.outcome]
        elif kind == "checkin":
            flags.is_next = obj.pk == next_pk
            flags.overdue = not obj.held_at and obj.scheduled_at <= now
        obj.ui = flags
    if kind == "action":
        return [
            (label, [a for a in items if a.horizon == value])
            for value, label in Action.Horizon.choices
        ]
    return [("", items)]


def _action_gaps(action: Action) -> list[str]:
    if action.status == Action.Status.DROPPED:
        return []
    checks = (
        ("owner", action.owner_id),
        ("deadline", action.deadline),
        ("measure of success", action.success_measure.strip()),
    )
    return [name for name, ok in checks if not ok]


def _add_form(
    request: HttpRequest, case: Case, kind: str, now: datetime, data: Any = None
) -> forms.Form:
    user = _user(request)
    prefix = f"{kind}-new"
    if kind == "communication":
        initial = {"occurred_at": now, "person": user.pk, "direction": "out", "channel": "email"}
        return CommunicationForm(data=data, initial=initial, prefix=prefix, case=case, user=user)
    initial = add_initial(kind, now)
    concern_id = request.GET.get("concern")
    if kind == "action" and concern_id and data is None:
        initial["concern"] = concern_id
    return make_part_form(
        kind, case, user, editing=False, data=data, initial=initial, prefix=prefix
    )


def _edit_form(request: HttpRequest, case: Case, obj: Any, data: Any = None) -> PartEditForm:
    kind = _kind_of(obj)
    initial = versioned_initial(obj, list(PARTS[kind].fields))
    form = make_part_form(
        kind,
        case,
        _user(request),
        editing=True,
        data=data,
        initial=initial,
        prefix=f"{kind}-{obj.pk}",
    )
    assert isinstance(form, PartEditForm)  # editing=True builds one
    first = next(iter(PARTS[kind].fields))
    form.fields[first].widget.attrs["data-focus"] = True
    return form


def _label(kind: str) -> str:
    return ITEM_LABELS.get(kind) or PARTS[kind].label


def _kind_of(obj: Any) -> str:
    return next(kind for kind, part in PARTS.items() if isinstance(obj, part.model))


def _section(
    request: HttpRequest, case: Case, kind: str, now: datetime, **overrides: Any
) -> Section:
    title, intro = SECTION_TEXT[kind]
    requirement = PARTS[kind].requirement if kind in PARTS else "R22, R23"
    if "add_form" not in overrides:
        overrides["add_form"] = _add_form(request, case, kind, now)
        if kind == "action" and request.GET.get("concern"):
            overrides["add_open"] = True
            _focus_first(overrides["add_form"])
    return Section(
        kind=kind,
        title=title,
        intro=intro,
        requirement=requirement,
        groups=_items(_user(request), case, kind, now),
        case_id=case.pk,
        **overrides,
    )


def _focus_first_error(form: forms.Form) -> None:
    for field_ in form.fields.values():
        field_.widget.attrs.pop("data-focus", None)
    for name in form.errors:
        if name in form.fields and not form.fields[name].widget.is_hidden:
            form.fields[name].widget.attrs["data-focus"] = True
            return


def _focus_first(form: forms.Form) -> None:
    first = next(iter(form.fields.values()), None)
    if first is not None:
        first.widget.attrs["data-focus"] = True


def _status(case: Case, now: datetime, **overrides: Any) -> StatusPanel:
    advice = guidance(case, now)
    # The move the method asks for first, marking the case lost last.
    moves = sorted(
        lifecycle.moves_from(case),
        key=lambda m: (m != advice.next_move, m.target == Case.Status.LOST),
    )
    return StatusPanel(
        clock=first_response_clock(case, now),
        promises=promise_record(list(case.commitments.all())),
        guidance=advice,
        moves=moves,
        **overrides,
    )


def _timeline(user: User, case: Case) -> list[Any]:
    return with_links(list_timeline(user, case=case)[:TIMELINE_ON_PAGE])


def _base_context(case: Case) -> dict[str, Any]:
    return {"case": case, "tzname": case.client.timezone}


def _page_context(
    request: HttpRequest,
    case: Case,
    now: datetime,
    *,
    override: Section | None = None,
    status: StatusPanel | None = None,
    details_form: forms.Form | None = None,
) -> dict[str, Any]:
    sections = [
        override
        if override is not None and override.kind == kind
        else _section(request, case, kind, now)
        for kind in SECTION_KINDS
    ]
    return {
        **_base_context(case),
        "sections": sections,
        "status": status or _status(case, now),
        "timeline": _timeline(_user(request), case),
        "details_form": details_form,
        # Lazy: read only when a full page shows the responsiveness panel.
        "clocks": SimpleLazyObject(lambda: case_responsiveness(_user(request), case, now)),
    }


def _detail_url(case: Case, anchor: str = "") -> str:
    url = reverse("cases:detail", args=[case.pk])
    return f"{url}#{anchor}" if anchor else url


def _refresh(request: HttpRequest, case_id: int) -> Case:
    """The case again after a write (its version, status and clocks have moved)."""
    return _get_case(_user(request), case_id)


def _changed_response(
    request: HttpRequest,
    case: Case,
    now: datetime,
    *,
    main: str,
    context: dict[str, Any],
    refresh: Iterable[str] = (),
    header: bool = False,
    status: bool = True,
) -> HttpResponse:
    """The htmx answer after a write: the main partial, plus out-of-band refreshes of the
    status panel, the timeline, the header and any dependent sections."""
    extra = {
        **_base_context(case),
        **context,
        "oob_sections": [_section(request, case, k, now, oob=True) for k in refresh],
        "oob_status": _status(case, now) if status else None,
        "oob_header": header,
        "timeline": _timeline(_user(request), case),
        "main": main,
    }
    return render(request, "cases/_changed.html", extra)


# ---------------------------------------------------------------------------- list, new


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """All cases the user may see, filtered by status, client, and open or all."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    user = _user(request)
    form = CaseFilterForm(request.GET or None, user=user, initial={"open": "open"})
    filters: dict[str, Any] = {"open_only": True}
    if form.is_bound:
        form.is_valid()
        data = form.cleaned_data
        filters = {
            "open_only": data.get("open", "open") != "all",
            "status": data.get("status") or None,
            "client": data.get("client"),
        }
    page = Paginator(list_cases(user, **filters), CASES_PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [(case, first_response_clock(case, now)) for case in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/list.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    """Open a case for a client; `?client=<id>` preselects one (404 if not visible)."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    user = _user(request)
    source = request.POST if request.method == "POST" else request.GET
    client: Client | None = None
    if source.get("client"):
        try:
            client = get_client_for(user, source["client"])
        except NotFound:
            raise Http404("No such client.") from None
    if request.method == "GET":
        initial = {"client": client.pk} if client else {}
        form = NewCaseForm(initial=initial, user=user, client=client)
        return render(request, "cases/new.html", {"form": form, "client": client})
    form = NewCaseForm(request.POST, user=user, client=client)
    if form.is_valid() and client is not None:
        data = {k: v for k, v in form.cleaned_data.items() if k != "client" and v is not None}
        try:
            case = open_case(user, client, **data)
        except ValidationError as exc:
            add_action_error(form, exc)
        else:
            return redirect(request, _detail_url(case))
    return render(
        request,
        "cases/new.html",
        {"form": form, "client": client},
        status=INVALID,
    )


# ---------------------------------------------------------------------------- the case


@case_view("GET")
def case_detail(request: HttpRequest, case: Case) -> HttpResponse:
    """The case page: header, clocks, guidance, lifecycle, every section, the timeline."""
    return render(request, "cases/detail.html", _page_context(request, case, timezone.now()))


@case_view("GET")
def case_timeline(request: HttpRequest, case: Case) -> HttpResponse:
    """Everything that happened in the case, newest first (R7), filtered by contact,
    channel, direction and dates (in the client's zone)."""
    url = reverse("cases:timeline", args=[case.pk])
    context, status = filtered_timeline(request, case=case, url=url)
    return render_timeline(request, "cases/timeline.html", context, status)


@case_view("GET", "POST")
def case_edit(request: HttpRequest, case: Case) -> HttpResponse:
    """Edit the case's details (title, severity, summary, point of contact...)."""
    now = timezone.now()
    names = ["title", "severity", "summary", "point_of_contact", "engagement", "opened_at"]
    if request.method == "GET":
        form = CaseDetailsForm(
            initial=versioned_initial(case, names),
            case=case,
            user=_user(request),
        )
        _focus_first(form)
        return _details(request, case, now, form)
    form = CaseDetailsForm(request.POST, case=case, user=_user(request))
    if form.is_valid():
        try:
            update_case(
                _user(request),
                case,
                version=form.cleaned_data["version"],
                **changed_values(form, case),
            )
        except StaleEdit as exc:
            form.note_conflict(exc, _refresh(request, case.pk))
        except ValidationError as exc:
            add_action_error(form, exc)
        else:
            if not is_htmx(request):
                return redirect(request, _detail_url(case))
            case = _refresh(request, case.pk)
            return _changed_response(
                request, case, now, main="cases/_header.html", context={"header_focus": True}
            )
    return _details(request, case, now, form, status=INVALID)


def _details(
    request: HttpRequest, case: Case, now: datetime, form: forms.Form, status: int = 200
) -> HttpResponse:
    if is_htmx(request):
        context = {**_base_context(case), "details_form": form}
        return render(request, "cases/_header.html", context, status=status)
    context = _page_context(request, case, now, details_form=form)
    return render(request, "cases/detail.html", context, status=status)


@case_view("POST")
def case_transition(request: HttpRequest, case: Case) -> HttpResponse:
    """Move the case along its lifecycle; a refusal says exactly what is missing."""
    now = timezone.now()
    form = TransitionForm(request.POST, case=case)
    refused: PreconditionsUnmet | None = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            transition_case(
                _user(request),
                case,
                to=data["to"],
                version=data["version"],
                reason=data["reason"],
                confirmation=data["confirmation"],
                now=now,
            )
        except PreconditionsUnmet as exc:
            refused = exc
        except StaleEdit:
            form.add_error(
                None,
                "The case changed while you were looking at it. Check its state below, "
                "then try again.",
            )
        else:
            if not is_htmx(request):
                return redirect(request, _detail_url(case, "case-status"))
            case = _refresh(request, case.pk)
            label = case.get_status_display()
            panel = _status(case, now, notice=f"The case is now {label}.", focus=True)
            return _changed_response(
                request,
                case,
                now,
                main="cases/_status.html",
                context={"status": panel},
                header=True,
                status=False,
            )
    case = _refresh(request, case.pk)
    posted = {k: request.POST.get(k, "")[:5000] for k in ("reason", "confirmation")}
    panel = _status(
        case, now, refused=refused, errors=_error_lines(form), posted=posted, focus=True
    )
    if is_htmx(request):
        context = {**_base_context(case), "status": panel}
        return render(request, "cases/_status.html", context, status=INVALID)
    context = _page_context(request, case, now, status=panel)
    return render(request, "cases/detail.html", context, status=INVALID)


def _error_lines(form: forms.Form) -> list[str]:
    """A small form's errors as sentences (its fields are buttons and boxes, not a grid)."""
    names = {"to": "Move", "reason": "Reason", "confirmation": "Confirmation", "version": "Version"}
    return [
        f"{names[name]}: {message}" if name in names else str(message)
        for name, messages in form.errors.items()
        for message in messages
    ]


# ---------------------------------------------------------------------------- sections


@case_view("GET")
def section(request: HttpRequest, case: Case, kind: str) -> HttpResponse:
    """One section, for htmx (a plain request goes to the section on the case page)."""
    if kind not in SECTION_KINDS:
        raise Http404("No such section.")
    if not is_htmx(request):
        return redirect(request, _detail_url(case, f"section-{kind}"))
    now = timezone.now()
    return render(
        request,
        "cases/_section.html",
        {**_base_context(case), "section": _section(request, case, kind, now)},
    )


def _section_saved(
    request: HttpRequest, case: Case, kind: str, now: datetime, notice: str, anchor: str
) -> HttpResponse:
    if not is_htmx(request):
        return redirect(request, _detail_url(case, anchor))
    case = _refresh(request, case.pk)
    sec = _section(request, case, kind, now, notice=notice, focus=True)
    return _changed_response(
        request,
        case,
        now,
        main="cases/_section.html",
        context={"section": sec},
        refresh=DEPENDENTS.get(kind, ()),
    )


def _section_invalid(request: HttpRequest, case: Case, sec: Section, now: datetime) -> HttpResponse:
    """The section again, its form showing what is wrong, focus on the first problem."""
    for form in (sec.edit_form, sec.add_form):
        if form is not None and form.errors:
            _focus_first_error(form)
            break
    if is_htmx(request):
        context = {**_base_context(case), "section": sec}
        return render(request, "cases/_section.html", context, status=INVALID)
    context = _page_context(request, case, now, override=sec)
    return render(request, "cases/detail.html", context, status=INVALID)


@case_view("POST")
def part_add(request: HttpRequest, case: Case, kind: str) -> HttpResponse:
    """Add a concern, expectation, action, promise... to the case."""
    if kind not in PARTS:
        raise Http404("No such section.")
    now = timezone.now()
    form = _add_form(request, case, kind, now, data=request.POST)
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v is not None}
        try:
            obj = add_to_case(_user(request), case, kind, **data)
        except ValidationError as exc:
            add_action_error(form, exc)
        else:
            notice = f"{_label(kind).capitalize()} added."
            return _section_saved(request, case, kind, now, notice, f"{kind}-{obj.pk}")
    sec = _section(request, case, kind, now, add_form=form, add_open=True)
    return _section_invalid(request, case, sec, now)


@case_view("GET", "POST")
def part_edit(request: HttpRequest, case: Case, kind: str, part_id: int) -> HttpResponse:
    """Edit one item inline; an edit of a version someone else changed is a conflict."""
    obj = _get_part(_user(request), case, kind, part_id)
    now = timezone.now()
    if request.method == "GET":
        form = _edit_form(request, case, obj)
        sec = _section(request, case, kind, now, editing=obj.pk, edit_form=form)
        if is_htmx(request):
            item = next(o for _, items in sec.groups for o in items if o.pk == obj.pk)
            context = {**_base_context(case), "section": sec, "item": item}
            return render(request, "cases/_item.html", context)
        return render(request, "cases/detail.html", _page_context(request, case, now, override=sec))
    form = _edit_form(request, case, obj, data=request.POST)
    if form.is_valid():
        try:
            update_in_case(
                _user(request),
                obj,
                version=form.cleaned_data["version"],
                **changed_values(form, obj),
            )
        except StaleEdit as exc:
            form.note_conflict(exc, _get_part(_user(request), case, kind, part_id))
        except ValidationError as exc:
            add_action_error(form, exc)
        else:
            notice = f"{_label(kind).capitalize()} saved."
            return _section_saved(request, case, kind, now, notice, f"{kind}-{obj.pk}")
    sec = _section(request, case, kind, now, editing=obj.pk, edit_form=form)
    return _section_invalid(request, case, sec, now)


@case_view("POST")
def commitment_mark(request: HttpRequest, case: Case, part_id: int, outcome: str) -> HttpResponse:
    """Mark a promise kept (on time or late, from now) or missed (R21)."""
    commitment: Commitment = _get_part(_user(request), case, "commitment", part_id)
    if outcome not in ("kept", "missed"):
        raise Http404("No such outcome.")
    now = timezone.now()
    raw = request.POST.get("version", "")
    try:
        if not raw.isdigit():
            raise ValidationError("This page is out of date: reload it, then try again.")
        if outcome == "kept":
            mark_commitment_kept(_user(request), commitment, version=int(raw), at=now)
        else:
            mark_commitment_missed(_user(request), commitment, version=int(raw))
    except StaleEdit as exc:
        error = str(exc)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    else:
        notice = f"Promise marked {outcome}: “{commitment.what}”."
        return _section_saved(request, case, "commitment", now, notice, f"commitment-{part_id}")
    sec = _section(request, case, "commitment", now, error=error, focus=True)
    return _section_invalid(request, case, sec, now)


@case_view("POST")
def communication_add(request: HttpRequest, case: Case) -> HttpResponse:
    """Record an email, call, meeting or note linked to this case (R22, R23)."""
    now = timezone.now()
    form = _add_form(request, case, "communication", now, data=request.POST)
    if form.is_valid():
        data = {
            k: v for k, v in form.cleaned_data.items() if k in COMM_FIELDS and v not in (None, "")
        }
        try:
            comm = record_communication(_user(request), case.client, case=case, **data)
        except ValidationError as exc:
            add_action_error(form, exc)
        else:
            notice = f"Recorded: {comm}."
            return _section_saved(
                request, case, "communication", now, notice, f"communication-{comm.pk}"
            )
    sec = _section(request, case, "communication", now, add_form=form, add_open=True)
    return _section_invalid(request, case, sec, now)
