import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models
from django.db.models.functions import Lower


def rename_sources_differing_only_in_case(apps, schema_editor):
    """Before names are unique whatever their case: "hootsuite" beside "Hootsuite" becomes
    "hootsuite (2)". Nothing is merged, so no import changes source; an administrator may merge.
    Names are compared as the index compares them, by the database's LOWER()."""
    ImportSource = apps.get_model("moderation", "ImportSource")
    sources = list(ImportSource.objects.annotate(key=Lower("name")).order_by("pk"))
    taken = {source.key for source in sources}
    seen: set[str] = set()
    for source in sources:
        if source.key not in seen:
            seen.add(source.key)
            continue
        base, number = source.name[:110], 2
        while f"{base} ({number})".lower() in taken:
            number += 1
        source.name = f"{base} ({number})"
        taken.add(source.name.lower())
        source.save(update_fields=["name"])


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0007_import_posts_role"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(rename_sources_differing_only_in_case, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="importsource",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("name"),
                name="importsource_name_unique_ignoring_case",
                violation_error_message="There is already a source with this name.",
            ),
        ),
    ]
