import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """Auditors check every approval: one check per approval, with who, when and what was found."""

    initial = True

    dependencies = [
        ("reviews", "0010_conflict_declaration_defaults_to_a_conflict"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ApprovalCheck",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("checked_at", models.DateTimeField(verbose_name="checked")),
                (
                    "findings",
                    models.CharField(
                        choices=[("none", "No findings"), ("findings", "Findings")],
                        max_length=10,
                        verbose_name="findings",
                    ),
                ),
                ("note", models.TextField(blank=True, verbose_name="note")),
                (
                    "approval",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="audit_check",
                        to="reviews.approval",
                        verbose_name="approval",
                    ),
                ),
                (
                    "checked_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="checked by",
                    ),
                ),
            ],
            options={
                "verbose_name": "approval check",
                "verbose_name_plural": "approval checks",
            },
        ),
    ]
