"""The one escape hatch of the append-only trigger (migration 0004, docs/deploy.md).

The trigger lets UPDATE, DELETE and TRUNCATE of the audit tables through only in a transaction
that has set ``research_governance.audit_maintenance`` to 'on' with SET LOCAL. The application
never does; the test suite does for the flush between transactional tests (tests/conftest.py).
"""

MAINTENANCE_SETTING = "research_governance.audit_maintenance"
# SET LOCAL: the setting ends with the transaction, so it cannot leak into a pooled connection.
ENTER_MAINTENANCE_SQL = f"SET LOCAL {MAINTENANCE_SETTING} = 'on'"
