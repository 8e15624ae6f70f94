"""Form helpers shared by every page: versioned edits, zoned datetimes, action errors.

Forms validate input only. They never save (a ModelForm is used for its fields and model
validation; its save() is never called): views pass the cleaned values to a function in
`<app>/actions.py` and hand any `ValidationError` it raises back with `add_action_error`.

    form = ContactForm(request.POST, instance=contact)   # VersionedForm + ModelForm
    if form.is_valid():
        try:
            update_contact(user, contact, version=form.cleaned_data["version"],
                           **model_changes(form))
        except StaleEdit as exc:
            form.note_conflict(exc, get_contact_for(user, contact.pk))
        except ValidationError as exc:
            add_action_error(form, exc)
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.http import QueryDict
from django.utils import timezone

from amends.core.errors import StaleEdit

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%H:%M")


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=DATETIME_LOCAL)


class ZonedDateTimeField(forms.DateTimeField):
    """A date and time typed in a given time zone (the client's), returned timezone-aware.

    Set the zone per form instance with `field.tz = ZoneInfo(...)` (see `set_timezone`).
    The help text names the zone so nobody has to guess which clock they are typing in.
    """

    widget = DateTimeLocalInput

    def __init__(self, *, tz: tzinfo | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", [DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])
        super().__init__(**kwargs)
        self.tz: tzinfo = tz or ZoneInfo("UTC")

    def to_python(self, value: Any) -> datetime | None:
        with timezone.override(self.tz):
            result = super().to_python(value)
        # Years near 1 or 9999 overflow when converted to UTC; no real event is there.
        if result is not None and not 1900 <= result.year <= 2999:
            raise forms.ValidationError("Enter a date between 1900 and 2999.")
        return result

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and timezone.is_aware(value):
            return value.astimezone(self.tz).strftime(DATETIME_LOCAL)
        return value


def set_timezone(form: forms.BaseForm, tz_name: str) -> None:
    """Interpret every ZonedDateTimeField of `form` in `tz_name`, and say so in its help."""
    tz = ZoneInfo(tz_name)
    for field in form.fields.values():
        if isinstance(field, ZonedDateTimeField):
            field.tz = tz
            note = f"In {tz_name} time."
            field.help_text = f"{field.help_text} {note}".strip() if field.help_text else note


def add_action_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a ValidationError raised by an action onto the form: on the named field when
    the form has it, otherwise as a form-level error (never lost, never a crash)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            target = name if name in form.fields else None
            for e in errors:
                message = " ".join(e.messages)
                if target is None and name not in ("__all__", None):
                    message = f"{name.replace('_', ' ').capitalize()}: {message}"
                form.add_error(target, message)
    else:
        form.add_error(None, error.messages)


class VersionedForm(forms.Form):
    """Mixin for forms that edit a Versioned row: carries the version the editor loaded.

    On StaleEdit, call `note_conflict(exc, current)`: the message becomes a form error,
    `form.conflict` lists what is saved now (shown by _form_errors.html), and the hidden
    version moves to the current one, so saving again knowingly replaces their change.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    conflict: list[tuple[str, str]] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk is None:
            del self.fields["version"]  # a new row has no version to check yet
        elif instance is not None and not self.is_bound:
            self.initial["version"] = instance.version

    def note_conflict(self, exc: StaleEdit, current: models.Model) -> None:
        self.add_error(None, str(exc))
        rows: list[tuple[str, str]] = []
        for name, field in self.fields.items():
            if name == "version" or not hasattr(current, name):
                continue
            value = getattr(current, name)
            display = getattr(current, f"get_{name}_display", None)
            if callable(display):
                value = display()
            elif isinstance(field, forms.DateTimeField) and isinstance(value, datetime):
                tz = getattr(field, "tz", timezone.get_current_timezone())
                value = value.astimezone(tz).strftime("%d %b %Y %H:%M")
            rows.append((str(field.label or name), "" if value is None else str(value)))
        self.conflict = rows
        data = cast(QueryDict, self.data).copy()
        data[self.add_prefix("version")] = str(getattr(current, "version", ""))
        self.data = data


def model_changes(form: forms.ModelForm) -> dict[str, Any]:
    """The cleaned values of a ModelForm's model fields, ready for an action's **fields."""
    return {name: form.cleaned_data[name] for name in form._meta.fields or ()}


def versioned_initial(obj: models.Model, names: list[str]) -> dict[str, Any]:
    """Initial data for editing `obj` with a plain form: the named fields plus its version."""
    initial: dict[str, Any] = {"version": obj.version}  # type: ignore[attr-defined]
    for name in names:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        initial[name] = getattr(obj, attname) if field.is_relation else getattr(obj, name)
    return initial
