"""Each audit event names the institution whose records it belongs to, so that an institution's
auditors read its events and no one else's. Existing events are filled in from their protocol or
their target, inside the append-only trigger's maintenance setting (research_governance.audit.maintenance)."""

from collections import defaultdict

import django.db.models.deletion
from django.db import migrations, models

ENTER_MAINTENANCE_SQL = "SET LOCAL research_governance.audit_maintenance = 'on'"
# The same relations, nearest first, as research_governance.audit.services.owning_institution_id.
OWNER_PATH = (
    "protocol",
    "committee",
    "meeting",
    "agenda_item",
    "submission",
    "decision",
    "assignment",
    "agreement",
    "request",
    "refusal",
)


def _owner(target, depth=5):
    for name in OWNER_PATH:
        field = next((f for f in target._meta.concrete_fields if f.name == name and f.is_relation), None)
        if field is not None and getattr(target, field.attname) is not None and depth > 0:
            return _owner(getattr(target, name), depth - 1)
    value = getattr(target, "institution_id", None)
    return value if isinstance(value, int) else None


def fill_institutions(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(ENTER_MAINTENANCE_SQL)
    AuditEvent = apps.get_model("audit", "AuditEvent")
    Protocol = apps.get_model("protocols", "Protocol")
    AuditEvent.objects.filter(protocol_id__isnull=False).update(
        institution_id=models.Subquery(Protocol.objects.filter(pk=models.OuterRef("protocol_id")).values("institution_id")[:1])
    )
    remaining = AuditEvent.objects.filter(protocol_id__isnull=True).values_list("target_type", "target_id", "id")
    by_type = defaultdict(lambda: defaultdict(list))
    for target_type, target_id, event_id in remaining.iterator(chunk_size=5000):
        by_type[target_type][target_id].append(event_id)
    for target_type, events in by_type.items():
        app_label, _, model_name = target_type.partition(".")
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        ids = [pk for pk in events if pk.isdigit()]
        by_institution = defaultdict(list)
        for pk, target in model._default_manager.in_bulk(ids).items():
            institution_id = _owner(target)
            if institution_id is not None:
                by_institution[institution_id].extend(events[str(pk)])
        for institution_id, event_ids in by_institution.items():
            AuditEvent.objects.filter(id__in=event_ids).update(institution_id=institution_id)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_notification_mode"),
        ("audit", "0004_append_only_trigger"),
        ("protocols", "0006_protocol_status_expired"),
        ("committees", "0004_acknowledge_outcome"),
        ("agreements", "0002_subject_refusal_receipt"),
        ("reviews", "0008_review_comments"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="institution",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="accounts.institution",
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["institution", "id"], name="audit_institution_id"),
        ),
        migrations.RunPython(fill_institutions, migrations.RunPython.noop),
    ]
