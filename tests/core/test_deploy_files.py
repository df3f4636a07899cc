"""The deployment files agree with the code: docker/.env.example, compose.yaml, the Dockerfile.

The images cannot be built on the development machines, so these checks are what keeps the
files honest: every variable the settings read is documented in .env.example, the compose file
has the services the deployment guide describes, and the Dockerfile installs what WeasyPrint and
the letters need.
"""

import ast
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
DOCKER = ROOT / "docker"
ENV_READERS = {"envstr", "envint", "envbool", "envlist"}
# Read by gunicorn itself, not by our code.
GUNICORN_VARIABLES = {"WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS"}


def settings_variables() -> set[str]:
    """Names of the environment variables research_governance/settings.py reads."""
    tree = ast.parse((ROOT / "research_governance" / "settings.py").read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        reader = ast.unparse(node.func)
        if reader in ENV_READERS or reader in {"os.environ.get", "os.getenv"}:
            names.add(first.value)
    return names


def env_example() -> str:
    return (DOCKER / ".env.example").read_text(encoding="utf-8")


def example_variables(*, commented_too: bool = False) -> set[str]:
    pattern = r"^(?:#\s*)?([A-Z][A-Z0-9_]*)=" if commented_too else r"^([A-Z][A-Z0-9_]*)="
    return set(re.findall(pattern, env_example(), flags=re.MULTILINE))


def yaml_outline(text: str) -> dict[str, dict[str, str]]:
    """Top-level keys, and for each its direct children with their block's text.

    PyYAML is not among the pinned requirements, so this reads compose.yaml's outline by its
    two-space indentation, which is all these checks need.
    """
    outline: dict[str, dict[str, str]] = {}
    top = child = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if match := re.match(r"^([A-Za-z][\w.-]*):", line):
            top, child = match.group(1), None
            outline[top] = {}
        elif top and (match := re.match(r"^  ([A-Za-z][\w.-]*):", line)):
            child = match.group(1)
            outline[top][child] = ""
        elif top and child and line.startswith("    "):
            outline[top][child] += line + "\n"
    return outline


def test_every_variable_the_settings_read_is_in_the_example_environment_file():
    read = settings_variables()
    # The parse found the settings' reads, not nothing.
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME", "TIME_ZONE"} <= read
    assert len(read) >= 30
    missing = read - example_variables()
    assert not missing, f"add to docker/.env.example: {sorted(missing)}"


def test_every_variable_in_the_example_file_is_read_by_something():
    code = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "research_governance").rglob("*.py"))
    deployment = (DOCKER / "compose.yaml").read_text(encoding="utf-8") + (DOCKER / "Caddyfile").read_text(
        encoding="utf-8"
    )
    unread = {
        name
        for name in example_variables()
        if f'"{name}"' not in code and name not in deployment and name not in GUNICORN_VARIABLES
    }
    assert not unread, f"stale entries in docker/.env.example: {sorted(unread)}"


def test_the_example_file_leaves_secrets_empty():
    values = dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", env_example(), flags=re.MULTILINE))
    for name in ("SECRET_KEY", "DATABASE_URL", "POSTGRES_PASSWORD", "AWS_SECRET_ACCESS_KEY", "EMAIL_HOST_PASSWORD"):
        assert values[name] == "", name
    assert values["DEBUG"] == "0"


def test_compose_runs_the_described_services():
    text = (DOCKER / "compose.yaml").read_text(encoding="utf-8")
    assert "\t" not in text  # YAML indents with spaces only
    outline = yaml_outline(text)
    services = outline["services"]
    assert set(services) == {"web", "worker", "beat", "migrate", "postgres", "redis", "mailpit", "proxy"}
    assert set(outline["volumes"]) >= {"pgdata", "redisdata", "media", "beat"}

    # Web and workers scale; beat never does.
    assert "replicas: ${WEB_REPLICAS:-1}" in services["web"]
    assert "replicas: ${WORKER_REPLICAS:-1}" in services["worker"]
    assert re.search(r"replicas: 1\n", services["beat"])
    assert "celery -A research_governance beat" in services["beat"]
    # Workers reserve one task at a time (acks_late) and take work only when free.
    assert "celery -A research_governance worker" in services["worker"]
    assert "--prefetch-multiplier=1" in services["worker"]
    assert "-O fair" in services["worker"]

    # Migrations run once, before web, worker and beat start.
    assert "python manage.py migrate --noinput" in services["migrate"]
    assert 'restart: "no"' in services["migrate"]
    for name in ("web", "worker", "beat"):
        assert "condition: service_completed_successfully" in services[name], name

    # Health checks: web's is the image's HEALTHCHECK (/healthz); the others are declared here.
    for name in ("worker", "beat", "postgres", "redis"):
        assert "test:" in services[name], name
    assert "disable: true" in services["migrate"]

    # The load balancer is optional and spreads requests over every web replica.
    assert 'profiles: ["proxy"]' in services["proxy"]
    assert "dynamic a web 8000" in (DOCKER / "Caddyfile").read_text(encoding="utf-8")


def test_every_variable_compose_substitutes_is_in_the_example_file():
    text = (DOCKER / "compose.yaml").read_text(encoding="utf-8")
    # ${NAME}, ${NAME:-default}, ${NAME:?message}; $$NAME is the container's own shell variable.
    substituted = set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", text))
    assert {"SECRET_KEY", "POSTGRES_PASSWORD", "WORKER_CONCURRENCY"} <= substituted
    missing = substituted - example_variables(commented_too=True)
    assert not missing, f"add to docker/.env.example: {sorted(missing)}"


def test_the_image_installs_what_weasyprint_and_the_letters_need():
    dockerfile = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    block = re.search(r"^SYSTEM_PACKAGES := (.*?)\n(?!\t)", makefile, flags=re.MULTILINE | re.DOTALL)
    test_only = {"chromium", "poppler-utils", "gettext"}
    runtime = set(block.group(1).replace("\\", " ").split()) - test_only
    assert runtime == {
        "fonts-ipaexfont-gothic",
        "fonts-ipaexfont-mincho",
        "libpango-1.0-0",
        "libpangoft2-1.0-0",
        "libharfbuzz-subset0",
    }
    apt_install = re.search(r"apt-get install (.*?)&& rm -rf", dockerfile, flags=re.DOTALL).group(1)
    assert runtime <= set(apt_install.replace("\\", " ").split())

    # Static files collected at build, an unprivileged user, gunicorn as the entry point.
    assert "collectstatic --noinput" in dockerfile
    user = dockerfile.index("\nUSER app\n")
    assert user < dockerfile.index('\nCMD ["gunicorn", "research_governance.wsgi:application"')
    assert dockerfile.index("collectstatic") < user
