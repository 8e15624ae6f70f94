"""Imported mail compressed with LZ4 instead of PGLZ (PostgreSQL).

Every imported message is kept byte for byte in `comms_rawmessage.data`, and its text in
`comms_emailmessage.text_body` and `comms_communication.summary`; PostgreSQL compresses
each value over 2 KB as it stores it. With its default, PGLZ, compressing the raw
messages was the largest single cost of a large import on the server (4.2 of its ~18
seconds for 20,000 messages, docs/benchmarks.md). LZ4 does it in a fraction of the time
and stored slightly less (42 MB against 43 for 10,000 generated messages). Values
already stored keep PGLZ and read the same. See `core.schema.compress_with_lz4`.
"""

from django.db import migrations

from amends.core.schema import compress_with_lz4


class Migration(migrations.Migration):
    dependencies = [
        ("comms", "0007_headerless_reply_index"),
    ]

    operations = [
        compress_with_lz4(
            {
                "comms_rawmessage": ["data"],
                "comms_emailmessage": ["text_body"],
                "comms_communication": ["summary"],
            }
        ),
    ]
