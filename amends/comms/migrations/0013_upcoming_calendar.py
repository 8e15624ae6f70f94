"""UpcomingMeeting.calendar: the whole calendar a meeting still to come was last read
from, so that a later copy of it without the meeting takes it off "Coming up"."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("comms", "0012_email_bcc"),
    ]

    operations = [
        migrations.AddField(
            model_name="upcomingmeeting",
            name="calendar",
            field=models.CharField(
                blank=True,
                help_text="The whole calendar it was last read from (who imported it and the calendar's name, hashed; empty for an invitation): a later copy of that calendar without it means it was taken off.",
                max_length=64,
            ),
        ),
    ]
