"""Settings for `run.py --floor`: the project's settings, plus two reference pages that
show what any signed-in page costs before it does any work of its own."""

from research_governance.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
