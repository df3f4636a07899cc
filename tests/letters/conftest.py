import pytest
from django.utils import translation

from research_governance.accounts.models import Role
from research_governance.reviews import services
from tests.factories import PASSWORD, UserFactory
from tests.reviews.decisions_support import accepted, make_committee


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def committee(db):
    return make_committee("JP")


@pytest.fixture
def chair(db):
    return UserFactory(
        email="chair@letters.example", name_ja="委員長 花子", name_latin="Hanako Chair", roles=[Role.CHAIR]
    )


@pytest.fixture
def head(db):
    return UserFactory(email="head@letters.example", name_ja="病院長 太郎", name_latin="Taro Head", roles=[Role.HEAD])


CONDITIONS = ["同意書に相談窓口の電話番号を記載すること。", "Report enrolment at six months."]


def decide_with_conditions(pi, secretariat, committee):
    """A decision "approve with conditions" on an expedited review (JP: it awaits the head)."""
    submission = accepted(pi, secretariat, committee)
    return services.decision_record(
        submission=submission,
        by=secretariat,
        outcome="approve_with_conditions",
        reasons="研究計画は妥当である。",
        conditions=CONDITIONS,
    )


def sign_off_all(decision, pi, chair):
    for condition in decision.conditions.order_by("number"):
        services.condition_answer(condition=condition, by=pi, response="Done.")
        services.condition_sign_off(condition=condition, by=chair, meaning="approval", password=PASSWORD)


@pytest.fixture
def decision(pi, secretariat, committee):
    return decide_with_conditions(pi, secretariat, committee)


@pytest.fixture
def permitted(decision, pi, chair, head):
    """The decision with every condition signed off and the head's permission."""
    sign_off_all(decision, pi, chair)
    services.head_permit(decision=decision, by=head, reasons="")
    decision.refresh_from_db()
    return decision
