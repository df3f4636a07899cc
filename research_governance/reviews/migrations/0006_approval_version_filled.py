import django.db.models.deletion
from django.db import migrations, models


def fill_existing(apps, schema_editor):
    """Approvals so far were issued on the initial version; decisions the head permitted, refused
    or still awaits needed the head's permission (JP-ERC-13)."""
    Approval = apps.get_model("reviews", "Approval")
    Decision = apps.get_model("reviews", "Decision")
    for approval in Approval.objects.select_related("decision__submission"):
        approval.version_id = approval.decision.submission.version_id
        approval.save(update_fields=["version"])
    Decision.objects.filter(
        models.Q(permission__isnull=False) | models.Q(submission__protocol__status="awaiting_permission")
    ).update(needs_permission=True)


class Migration(migrations.Migration):
    dependencies = [("reviews", "0005_post_approval")]

    operations = [
        migrations.RunPython(fill_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="approval",
            name="version",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="protocols.protocolversion",
                verbose_name="version in force",
            ),
        ),
    ]
