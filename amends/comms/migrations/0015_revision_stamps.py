"""Which copy of a meeting is newer: its SEQUENCE, then when the copy was made.

`external_revision` (meetings, meetings still to come) and `revision` (cancellations)
held the iCalendar SEQUENCE alone, so of two copies at the same SEQUENCE — an export
from before a title was changed, one from after — whichever was imported last stood.
They now hold `meeting_actions.revision_of`: the SEQUENCE in the high bits, the copy's
LAST-MODIFIED or DTSTAMP (seconds since 1970) in the low 34. A 64-bit column, and the
SEQUENCE already stored moved up to its new place (with no time: older than any copy
at that SEQUENCE that says when it was made)."""

from django.db import migrations, models

STAMP_BITS = 34  # as meeting_actions.STAMP_BITS


# The columns that hold a revision.
REVISIONS = (
    ("Communication", "external_revision"),
    ("UpcomingMeeting", "external_revision"),
    ("CancelledMeeting", "revision"),
)


def _rescale(apps, scale) -> None:
    for model, field in REVISIONS:
        rows = apps.get_model("comms", model).objects.filter(**{f"{field}__gt": 0})
        rows.update(**{field: scale(models.F(field))})


def shift(apps, schema_editor):
    _rescale(apps, lambda value: value * 2**STAMP_BITS)


def unshift(apps, schema_editor):
    _rescale(apps, lambda value: value / 2**STAMP_BITS)


class Migration(migrations.Migration):
    dependencies = [
        ("comms", "0014_email_dismissed"),
    ]

    operations = [
        migrations.AlterField(
            model_name="communication",
            name="external_revision",
            field=models.PositiveBigIntegerField(
                default=0,
                help_text="Which copy of the event it was last updated from: its iCalendar"
                " SEQUENCE, then when the copy was made (`meeting_actions.revision_of`). An"
                " older copy of the event (a stale export) never overwrites a newer one.",
            ),
        ),
        migrations.AlterField(
            model_name="upcomingmeeting",
            name="external_revision",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="cancelledmeeting",
            name="revision",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.RunPython(shift, unshift, elidable=False),
    ]
