"""Search documents' large values compressed with LZ4 instead of PGLZ (PostgreSQL):
the body, the word vector and the phrase keys. See comms/0008 and
`core.schema.compress_with_lz4`."""

from django.db import migrations

from amends.core.schema import compress_with_lz4


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0006_pending_index"),
    ]

    operations = [
        compress_with_lz4({"search_searchdocument": ["body", "search_vector", "phrase_keys"]}),
    ]
