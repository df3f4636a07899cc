"""The committee's review and conflict rows take the review engine's fields
(reviews.engine.models): the columns are renamed, not copied; a review already submitted is
"completed"; every conflict recorded so far was a declared conflict."""

from django.db import migrations, models


def mark_submitted_reviews_completed(apps, schema_editor):
    RequestReview = apps.get_model("agreements", "RequestReview")
    RequestReview.objects.filter(completed_at__isnull=False).update(status="completed")


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0002_subject_refusal_receipt"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="requestreview", name="data_review_reviewer"),
        migrations.RenameField(model_name="requestreview", old_name="due", new_name="due_date"),
        migrations.RenameField(model_name="requestreview", old_name="comments", new_name="summary"),
        migrations.RenameField(model_name="requestreview", old_name="submitted_at", new_name="completed_at"),
        migrations.AddIndex(
            model_name="requestreview",
            index=models.Index(fields=["reviewer", "completed_at"], name="data_review_reviewer"),
        ),
        migrations.AlterField(
            model_name="requestreview",
            name="summary",
            field=models.TextField(blank=True, verbose_name="summary for the committee"),
        ),
        migrations.AlterField(
            model_name="requestreview",
            name="completed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="review submitted"),
        ),
        migrations.AddField(
            model_name="requestreview",
            name="status",
            field=models.CharField(
                choices=[("assigned", "Assigned"), ("completed", "Review submitted"), ("withdrawn", "Unassigned")],
                default="assigned",
                max_length=20,
                verbose_name="status",
            ),
        ),
        migrations.RunPython(mark_submitted_reviews_completed, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="requestreview", name="data_review_unique"),
        migrations.AddConstraint(
            model_name="requestreview",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "withdrawn"), _negated=True),
                fields=("request", "reviewer"),
                name="data_review_unique",
            ),
        ),
        migrations.AddField(
            model_name="requestconflict",
            name="has_conflict",
            field=models.BooleanField(default=True, verbose_name="I have a conflict of interest"),
        ),
    ]
