"""On PostgreSQL, a trigger refuses UPDATE, DELETE and TRUNCATE on the audit trail and the access
log (SEC-04, SEC-05, US-R-02): the hash chain makes a change detectable, the trigger makes it
impossible for the application and for ordinary SQL sessions.

The one escape hatch is a maintenance setting, set for one transaction only:

    BEGIN; SET LOCAL research_governance.audit_maintenance = 'on'; ...; COMMIT;

The application never sets it; the test suite sets it for the flush between transactional tests
(tests/conftest.py), and docs/deploy.md describes when an operator may. SQLite has no such
trigger: there the model-level guard and `manage.py verify_audit` are the protection."""

from django.db import migrations

TABLES = ("audit_auditevent", "audit_accesslogentry")

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('research_governance.audit_maintenance', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% on % refused: the audit trail and the access log are append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'See "Audit trail maintenance" in docs/deploy.md.';
END;
$$;
"""

# Statement-level: fires once per statement, even one that matches no row, and covers TRUNCATE.
CREATE_TRIGGER = """
CREATE TRIGGER {table}_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
"""

DROP_TRIGGER = "DROP TRIGGER IF EXISTS {table}_append_only ON {table};"


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(CREATE_TRIGGER.format(table=table))


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(DROP_TRIGGER.format(table=table))
    schema_editor.execute("DROP FUNCTION IF EXISTS audit_refuse_change();")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_access_log_and_filter_indexes"),
    ]

    operations = [migrations.RunPython(install, remove)]
