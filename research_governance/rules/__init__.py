"""The rules engine: given a study's or a committee's facts, a verdict with reasons and the
rule IDs of REGULATORY.md that produced it.

Plain Python with no Django import (a test scans for one), so the rules can be read,
tested and run (`manage.py rules`) without a database. The rules themselves, with their
texts, sources and UNVERIFIED status, are data: rulebooks/*.json."""

from .engine import CommitteeCheck, StudyAssessment, assess_study, check_committee
from .errors import InvalidInput, RulebookError
from .reasons import Reason
from .rulebook import CountryList, Rule, Rulebook, load_rulebook

__all__ = [
    "CommitteeCheck",
    "CountryList",
    "InvalidInput",
    "Reason",
    "Rule",
    "Rulebook",
    "RulebookError",
    "StudyAssessment",
    "assess_study",
    "check_committee",
    "load_rulebook",
]
