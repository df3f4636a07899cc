from django.db import migrations, models


class Migration(migrations.Migration):
    """The declaration's fields come from the review engine's abstract row; a declaration made
    without saying otherwise is a conflict (the data access committee's form only declares one)."""

    dependencies = [
        ("reviews", "0009_meetings_from_committees"),
    ]

    operations = [
        migrations.AlterField(
            model_name="conflictdeclaration",
            name="has_conflict",
            field=models.BooleanField(default=True, verbose_name="I have a conflict of interest"),
        ),
    ]
