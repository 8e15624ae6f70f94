"""EmailMessage.dismissed_at: mail waiting in triage that an admin set aside as no
client's (a newsletter, spam). A nullable column: instant, nothing is rewritten."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("comms", "0013_upcoming_calendar"),
    ]

    operations = [
        migrations.AddField(
            model_name="emailmessage",
            name="dismissed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
