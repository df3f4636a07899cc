"""Every write of a status goes through a services module (DESIGN.md, principle 1).

The scan reads the code, not the running app: an assignment ``obj.status = ...``, a keyword
``status=`` given to ``update``, ``create``, ``get_or_create`` or
``update_or_create`` (``defaults``) on a manager or queryset, ``setattr(obj, "status", ...)`` or a
model built with its status (``Agreement(status=...)``), anywhere outside a module named
``services.py`` (``records_services.py`` and the like) or a package named ``services``, fails."""

import ast
from pathlib import Path

from django.apps import apps

import research_governance

PACKAGE = Path(research_governance.__file__).parent

WRITING_CALLS = {"update", "create", "get_or_create", "update_or_create"}


def is_status_field(name: str) -> bool:
    # Django's own Model._state is not a workflow state.
    return name in {"status", "state"} or name.endswith("_status") or (name.endswith("_state") and name != "_state")


def is_services_module(path: Path) -> bool:
    relative = path.relative_to(PACKAGE)
    return path.name.endswith("services.py") or "services" in relative.parts[:-1]


def status_writes(tree: ast.AST, model_names: frozenset[str] = frozenset()) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                elements = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
                found += [
                    (node.lineno, f"{ast.unparse(element)} = ...")
                    for element in elements
                    if isinstance(element, ast.Attribute) and is_status_field(element.attr)
                ]
        elif isinstance(node, ast.Call):
            found += [(node.lineno, what) for what in _call_writes(node, model_names)]
    return sorted(found)


def _call_writes(call: ast.Call, model_names: frozenset[str]) -> list[str]:
    called = _called_name(call.func)
    if called == "setattr" and len(call.args) > 1:
        name = call.args[1]
        if isinstance(name, ast.Constant) and isinstance(name.value, str) and is_status_field(name.value):
            return [f"setattr(..., {name.value!r}, ...)"]
        return []
    if called in model_names:
        # A model instance built with its status (then saved or bulk-created).
        return [f"{called}({k.arg}=...)" for k in call.keywords if k.arg and is_status_field(k.arg)]
    if not (isinstance(call.func, ast.Attribute) and called in WRITING_CALLS):
        return []
    writes = [f".{called}({k.arg}=...)" for k in call.keywords if k.arg and is_status_field(k.arg)]
    for keyword in call.keywords:
        # get_or_create / update_or_create(defaults={"status": ...})
        if keyword.arg in {"defaults", "create_defaults"} and isinstance(keyword.value, ast.Dict):
            writes += [
                f".{called}({keyword.arg}={{{key.value!r}: ...}})"
                for key in keyword.value.keys
                if isinstance(key, ast.Constant) and isinstance(key.value, str) and is_status_field(key.value)
            ]
    return writes


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def model_names() -> frozenset[str]:
    return frozenset(model.__name__ for model in apps.get_models())


def violations() -> list[str]:
    models = model_names()
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).as_posix()
        if "migrations" in path.parts or is_services_module(path):
            continue
        for line, what in status_writes(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), models):
            found.append(f"{relative}:{line}: {what}")
    return found


def test_no_status_is_written_outside_a_services_module():
    assert violations() == []


def test_the_scan_sees_each_kind_of_write():
    source = """
submission.status = "accepted"
protocol.permission_state, x = "awaiting", 1
Agreement.objects.filter(pk=1).update(status="suspended")
AccessGrant.objects.create(state="open", agreement=a)
Approval.objects.update_or_create(protocol=p, defaults={"status": "active"})
setattr(approval, "status", "closed")
Agreement(status="active", request=r)
reading = submission.status
instance._state.adding = False
Submission.objects.filter(status="accepted")
locked.save(update_fields=["status"])
"""
    assert [what for _, what in status_writes(ast.parse(source), frozenset({"Agreement"}))] == [
        "submission.status = ...",
        "protocol.permission_state = ...",
        ".update(status=...)",
        ".create(state=...)",
        ".update_or_create(defaults={'status': ...})",
        "setattr(..., 'status', ...)",
        "Agreement(status=...)",
    ]


def test_services_modules_and_packages_are_where_writes_belong():
    assert is_services_module(PACKAGE / "agreements" / "services.py")
    assert is_services_module(PACKAGE / "agreements" / "records_services.py")
    assert is_services_module(PACKAGE / "reviews" / "services" / "decision.py")
    assert not is_services_module(PACKAGE / "agreements" / "records.py")


# The one after-commit mechanism: a service queues a task with Task.delay_on_commit (celery.py).
# transaction.on_commit itself is left to that method and to forgetting cached counts.
ON_COMMIT_ALLOWED = {
    "research_governance/celery.py",
    "research_governance/core/caching.py",
}


def test_tasks_are_queued_after_commit_only_through_delay_on_commit():
    callers = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _called_name(node.func) == "on_commit":
                callers.add(relative)
    assert callers <= ON_COMMIT_ALLOWED
