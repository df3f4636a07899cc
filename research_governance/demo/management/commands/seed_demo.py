"""Demo data: an institution, its committees, the demo users and a few protocols.

Idempotent: a second run changes nothing. Refuses to run with DEBUG off unless --force,
so it cannot put known passwords on a production system by accident."""

import io
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from research_governance.accounts.mfa import has_second_factor, mfa_required, provision_totp
from research_governance.accounts.models import Department, Institution, Role, RoleMembership, User
from research_governance.agreements import services as agreement_services
from research_governance.committees.models import Committee, CommitteeMembership
from research_governance.demo.samples import minimal_pdf
from research_governance.notifications.inbox import rebuild_all
from research_governance.protocols import services as protocol_services
from research_governance.protocols.models import Protocol
from research_governance.reviews import services as review_services
from research_governance.reviews.meeting import services as meeting_services
from research_governance.reviews.models import Condition, Submission

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 (documented demo password; DEBUG only)
# SEC-02: every privileged demo user has set up an authenticator app with this secret (base32).
# Add it to an app by hand, or print the current code with `python manage.py demo_totp EMAIL`.
DEMO_TOTP_SECRET = "DEMOGOVERNANCETOTPSECRETFORDEMOS"  # noqa: S105 (documented; DEBUG only)
PARTNER_HEAD = "partner-head@demo.example"
Category = CommitteeMembership.Category
Sex = CommitteeMembership.Sex
CRole = CommitteeMembership.Role

# email, name_ja, name_latin, roles, committee seat (role, category, external, sex) or None
DEMO_USERS: list[tuple[str, str, str, list[str], tuple[str, str, bool, str] | None]] = [
    ("investigator@demo.example", "山田 太郎", "Taro Yamada", [Role.INVESTIGATOR], None),
    ("coinvestigator@demo.example", "佐藤 花子", "Hanako Sato", [Role.INVESTIGATOR], None),
    ("investigator2@demo.example", "高橋 健", "Ken Takahashi", [Role.INVESTIGATOR], None),
    ("secretariat@demo.example", "鈴木 一郎", "Ichiro Suzuki", [Role.SECRETARIAT], None),
    (
        "chair@demo.example",
        "田中 誠",
        "Makoto Tanaka",
        [Role.CHAIR, Role.COMMITTEE_MEMBER],
        (CRole.CHAIR, Category.NATURAL_SCIENCE, False, Sex.MALE),
    ),
    (
        "reviewer1@demo.example",
        "伊藤 美咲",
        "Misaki Ito",
        [Role.COMMITTEE_MEMBER],
        (CRole.VICE_CHAIR, Category.NATURAL_SCIENCE, False, Sex.FEMALE),
    ),
    (
        "reviewer2@demo.example",
        "渡辺 法子",
        "Noriko Watanabe",
        [Role.COMMITTEE_MEMBER],
        (CRole.MEMBER, Category.HUMANITIES_SOCIAL, True, Sex.FEMALE),
    ),
    (
        "reviewer3@demo.example",
        "中村 大輔",
        "Daisuke Nakamura",
        [Role.COMMITTEE_MEMBER],
        (CRole.MEMBER, Category.GENERAL_PUBLIC, True, Sex.MALE),
    ),
    (
        "reviewer4@demo.example",
        "小林 直樹",
        "Naoki Kobayashi",
        [Role.COMMITTEE_MEMBER],
        (CRole.MEMBER, Category.NATURAL_SCIENCE, False, Sex.MALE),
    ),
    (
        "reviewer5@demo.example",
        "加藤 由美",
        "Yumi Kato",
        [Role.COMMITTEE_MEMBER],
        (CRole.MEMBER, Category.HUMANITIES_SOCIAL, False, Sex.FEMALE),
    ),
    ("head@demo.example", "山本 学長", "Manabu Yamamoto", [Role.HEAD], None),
    ("dac@demo.example", "松本 彩", "Aya Matsumoto", [Role.DATA_ACCESS_COMMITTEE], None),
    ("auditor@demo.example", "井上 監査", "Kansa Inoue", [Role.AUDITOR], None),
    ("admin@demo.example", "管理者", "Administrator", [Role.ADMINISTRATOR], None),
]

# Fixed-term roles, in days from the day the demo is seeded: the administrator is asked to renew
# or end them (oversight.next_steps). The co-investigator's post is a fixed-term one.
FIXED_TERMS: dict[tuple[str, str], int] = {("coinvestigator@demo.example", Role.INVESTIGATOR): 21}

COMPLETE_STUDY: dict[str, Any] = {
    "summary": "Multi-centre observational study of sleep and cognition in adults over 65, using wearable "
    "sleep trackers and a yearly cognitive test.",
    "planned_start": date(2027, 4, 1),
    "planned_end": date(2030, 3, 31),
    "target_participants": 240,
    "funding_source": "JSPS KAKENHI 27K00001",
    "has_conflict_of_interest": False,
    "acquisition": "new",
    "uses_samples": False,
    "invasiveness": "none",
    "interventional": False,
    "special_care_personal_info": True,
    "deidentification": "pseudonymised",
    "consent_procedure": "written_ic",
    "uses_ai": False,
}


class Command(BaseCommand):
    help = "Create the demo institution, committees, users and protocols (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        # The demo's notifications are recorded in-app; mailing them would only flood the console.
        backend = settings.EMAIL_BACKEND
        settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
        try:
            self._seed(force=force)
        finally:
            settings.EMAIL_BACKEND = backend

    def _seed(self, *, force: bool) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates users with a known password; it refuses to run with DEBUG off. "
                "Use --force if you really mean it."
            )
        with transaction.atomic():
            institution, _ = Institution.objects.get_or_create(
                code="demo-university",
                defaults={"name_ja": "デモ大学医学部附属病院", "name_en": "Demo University Hospital", "country": "JP"},
            )
            department, _ = Department.objects.get_or_create(
                institution=institution,
                name_en="Department of Geriatric Medicine",
                defaults={"name_ja": "老年医学講座"},
            )
            ethics, _ = Committee.objects.get_or_create(
                code="demo-erc",
                defaults={
                    "institution": institution,
                    "name_ja": "デモ大学 倫理審査委員会",
                    "name_en": "Demo University Research Ethics Committee",
                    "kind": Committee.Kind.ETHICS,
                },
            )
            dac, _ = Committee.objects.get_or_create(
                code="demo-dac",
                defaults={
                    "institution": institution,
                    "name_ja": "デモ大学 データアクセス委員会",
                    "name_en": "Demo University Data Access Committee",
                    "kind": Committee.Kind.DATA_ACCESS,
                    "decision_rule": Committee.DecisionRule.MAJORITY,
                },
            )
            users = {}
            created = 0
            for email, name_ja, name_latin, roles, seat in DEMO_USERS:
                user = User.objects.filter(email=email).first()
                if user is None:
                    user = User.objects.create_user(
                        email,
                        DEMO_PASSWORD,
                        name_ja=name_ja,
                        name_latin=name_latin,
                        institution=institution,
                        department=department if Role.INVESTIGATOR in roles else None,
                        is_staff=Role.ADMINISTRATOR in roles,
                        is_superuser=Role.ADMINISTRATOR in roles,
                    )
                    created += 1
                users[email] = user
                for role in roles:
                    if not RoleMembership.objects.filter(user=user, role=role).exists():
                        term = FIXED_TERMS.get((email, role))
                        RoleMembership.objects.create(
                            user=user,
                            institution=institution,
                            role=role,
                            valid_from=date(2026, 4, 1),
                            valid_to=timezone.localdate() + timedelta(days=term) if term else None,
                        )
                if seat and not CommitteeMembership.objects.filter(committee=ethics, user=user).exists():
                    role, category, external, sex = seat
                    CommitteeMembership.objects.create(
                        committee=ethics,
                        user=user,
                        role=role,
                        category=category,
                        is_external=external,
                        sex=sex,
                        valid_from=date(2026, 4, 1),
                    )
            created += self._partner_head()
            secretariat = users["secretariat@demo.example"]
            if not CommitteeMembership.objects.filter(committee=ethics, user=secretariat).exists():
                CommitteeMembership.objects.create(
                    committee=ethics, user=secretariat, role=CRole.SECRETARIAT, valid_from=date(2026, 4, 1)
                )
            dac_user = users["dac@demo.example"]
            if not CommitteeMembership.objects.filter(committee=dac, user=dac_user).exists():
                CommitteeMembership.objects.create(
                    committee=dac,
                    user=dac_user,
                    role=CRole.CHAIR,
                    category=Category.NATURAL_SCIENCE,
                    valid_from=date(2026, 4, 1),
                )
            second_factors = self._second_factors()
            protocols = 0
            if not Protocol.objects.filter(institution=institution).exists():
                protocols = self._create_protocols(users)
            # Some demo rows are made directly, not by the services: everyone's "Waiting for you"
            # is found again, as the nightly job does (notifications.inbox).
            rebuild_all()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {created} users created, {protocols} protocols created. "
                f"Password for every demo user: {DEMO_PASSWORD}"
            )
        )
        self.stdout.write(
            f"Privileged demo users ({second_factors} set up now) also need a code: add the authenticator "
            f"secret {DEMO_TOTP_SECRET} to an app, or run `python manage.py demo_totp EMAIL`."
        )

    def _second_factors(self) -> int:
        """SEC-02: the privileged demo users have set up an authenticator app (the demo secret)."""
        count = 0
        for user in User.objects.filter(email__endswith="@demo.example").order_by("pk"):
            if mfa_required(user) and not has_second_factor(user):
                provision_totp(user, DEMO_TOTP_SECRET)
                count += 1
        return count

    def _attach(self, protocol: Protocol, by: User, kind: str, title: str, file_name: str) -> None:
        content = minimal_pdf(title)
        protocol_services.document_add(
            protocol=protocol,
            by=by,
            kind=kind,
            title=title,
            upload=io.BytesIO(content),
            name=file_name,
            size=len(content),
        )

    def _complete(self, protocol: Protocol, by: User, data: dict[str, Any]) -> Protocol:
        protocol.refresh_from_db()
        return protocol_services.protocol_update_draft(
            protocol=protocol, by=by, data=data, lock_version=protocol.lock_version
        )

    def _create_protocols(self, users: dict[str, User]) -> int:
        pi = users["investigator@demo.example"]
        coinvestigator = users["coinvestigator@demo.example"]
        secretariat = users["secretariat@demo.example"]

        draft = protocol_services.protocol_create(
            by=pi, title_ja="夜勤看護師の睡眠の質に関する観察研究", title_en="Sleep quality of night-shift nurses"
        )
        self._complete(draft, pi, {"summary": "Questionnaire study; to be completed.", "acquisition": "new"})
        protocol_services.team_member_add(
            protocol=draft, by=pi, user=coinvestigator, role="co_investigator", can_edit=True
        )

        submitted = protocol_services.protocol_create(
            by=pi,
            title_ja="高齢者の睡眠と認知機能に関する多施設共同研究",
            title_en="Sleep and cognition in older adults: a multi-centre study",
        )
        self._complete(submitted, pi, COMPLETE_STUDY)
        protocol_services.team_member_add(
            protocol=submitted, by=pi, user=coinvestigator, role="co_investigator", can_edit=False
        )
        protocol_services.site_add(
            protocol=submitted, by=pi, name="Demo University Hospital", site_investigator="Taro Yamada", is_lead=True
        )
        protocol_services.site_add(
            protocol=submitted,
            by=pi,
            name="Minato City General Hospital",
            site_investigator="Jiro Mori",
            is_lead=False,
        )
        self._attach(submitted, pi, "protocol", "Research protocol v1.0", "protocol-v1.0.pdf")
        self._attach(submitted, pi, "consent_form", "Consent form v1.0", "consent-form-v1.0.pdf")
        review_services.protocol_submit(protocol=submitted, by=pi)

        accepted = protocol_services.protocol_create(
            by=pi,
            title_ja="電子カルテ情報を用いた糖尿病合併症の後ろ向き研究",
            title_en="Retrospective study of diabetes complications using electronic records",
        )
        self._complete(
            accepted,
            pi,
            {
                **COMPLETE_STUDY,
                "summary": "Retrospective analysis of existing electronic medical records, 2015-2025.",
                "acquisition": "existing_own",
                "special_care_personal_info": True,
                "consent_procedure": "opt_out",
                "opt_out_notice_text": "We use medical records of patients treated for diabetes between 2015 and "
                "2025. If you do not want your records used, contact the research office.",
            },
        )
        self._attach(accepted, pi, "protocol", "Research protocol v1.0", "protocol.pdf")
        self._attach(accepted, pi, "opt_out_notice", "Opt-out notice v1.0", "opt-out-notice.pdf")
        submission = review_services.protocol_submit(protocol=accepted, by=pi)
        review_services.submission_accept(submission=submission, by=secretariat, route="full_board")

        self._workflow_states(users, accepted_submission=submission)

        other = users["investigator2@demo.example"]
        protocol_services.protocol_create(
            by=other,
            title_ja="小児喘息の吸入指導に関する介入研究",
            title_en="Inhaler coaching for children with asthma",
        )
        return 7

    def _complete_study(self, pi: User, title_ja: str, title_en: str) -> Protocol:
        protocol = protocol_services.protocol_create(by=pi, title_ja=title_ja, title_en=title_en)
        protocol = self._complete(protocol, pi, COMPLETE_STUDY)
        self._attach(protocol, pi, "protocol", "Research protocol v1.0", "protocol.pdf")
        self._attach(protocol, pi, "consent_form", "Consent form v1.0", "consent-form.pdf")
        return protocol

    def _review(self, submission: Submission, secretariat: User, reviewer: User, recommendation: str) -> None:
        assignment = review_services.reviewer_assign(
            submission=submission, by=secretariat, reviewer=reviewer, due_date=timezone.localdate() + timedelta(days=14)
        )
        review_services.conflict_declare(submission=submission, member=reviewer, has_conflict=False, reason="")
        checklist = {key: {"rating": "adequate", "comment": ""} for key, _label in review_services.CHECKLIST_SECTIONS}
        review_services.review_save(
            assignment=assignment, by=reviewer, checklist=checklist, recommendation=recommendation, summary="Sound."
        )
        review_services.review_submit(assignment=assignment, by=reviewer)

    def _partner_head(self) -> int:
        """A partner hospital whose head permits, for that site, the studies reviewed centrally
        by the demo committee (JP-ERC-12). Returns 1 when the user was created."""
        partner, _ = Institution.objects.get_or_create(
            code="demo-partner",
            defaults={"name_ja": "デモ市民病院", "name_en": "Demo City Hospital", "country": "JP"},
        )
        if User.objects.filter(email=PARTNER_HEAD).exists():
            return 0
        user = User.objects.create_user(
            PARTNER_HEAD, DEMO_PASSWORD, name_ja="森 病院長", name_latin="Hiroshi Mori", institution=partner
        )
        RoleMembership.objects.create(user=user, institution=partner, role=Role.HEAD, valid_from=date(2026, 4, 1))
        return 1

    def _after_approval(self, protocol: Protocol, pi: User, secretariat: User) -> None:
        """The approved study lives on: a progress report acknowledged, a serious adverse event
        waiting for the committee (urgent), and a minor amendment in pre-screening."""
        today = timezone.localdate()
        progress = review_services.report_submit(
            protocol=protocol,
            by=pi,
            kind="progress_report",
            data={
                "period_from": today,
                "period_to": today,
                "participants_enrolled": 18,
                "summary": "Recruitment started; 18 of 120 patients answered the questionnaire.",
            },
        )
        review_services.submission_accept(submission=progress, by=secretariat, route="expedited")
        review_services.decision_record(
            submission=progress, by=secretariat, outcome="acknowledge", reasons="Recruitment on plan."
        )
        safety = review_services.report_submit(
            protocol=protocol,
            by=pi,
            kind="safety_report",
            data={
                "occurred_on": today,
                "became_aware_on": today,
                "causality": "unrelated",
                "unexpected": False,
                "summary": "A participant was admitted to hospital with pneumonia after the video consultation.",
                "actions_taken": "None needed for the study; the participant continues.",
            },
        )
        # Accepted on the expedited route: the chair acknowledges it, or asks for more.
        review_services.submission_accept(submission=safety, by=secretariat, route="expedited")
        review_services.amendment_start(protocol=protocol, by=pi)
        protocol.refresh_from_db()
        protocol_services.protocol_update_draft(
            protocol=protocol, by=pi, data={"target_participants": 150}, lock_version=protocol.lock_version
        )
        review_services.protocol_submit(
            protocol=protocol,
            by=pi,
            changes_summary="Raise the target from 120 to 150 patients to reach the planned precision.",
            minor_change=True,
        )

    def _opt_out_study(self, pi: User, secretariat: User, head: User, reviewer: User) -> None:
        """A retrospective study of existing records by opt-out (JP-IC-07), approved and permitted:
        its notice is public at /notices/ with the refusal form (JP-IC-10)."""
        protocol = protocol_services.protocol_create(
            by=pi, title_ja="外来診療記録を用いた腎機能の後ろ向き研究", title_en="Kidney function in outpatient records"
        )
        protocol = self._complete(
            protocol,
            pi,
            {
                **COMPLETE_STUDY,
                "summary": "Retrospective study of kidney function in the outpatient records of 2015-2025.",
                "acquisition": "existing_own",
                "special_care_personal_info": False,
                "consent_procedure": "opt_out",
                "opt_out_notice_text": (
                    "当院の外来を2015年から2025年に受診された方の診療記録（血液検査の結果）を、腎機能の研究に"
                    "利用します。氏名などは削除し、研究用の番号に置き換えて扱います。利用を望まない方は、"
                    "このページの様式からお申し出ください。"
                ),
            },
        )
        self._attach(protocol, pi, "protocol", "Research protocol v1.0", "protocol.pdf")
        self._attach(protocol, pi, "opt_out_notice", "Opt-out notice v1.0", "notice.pdf")
        submission = review_services.protocol_submit(protocol=protocol, by=pi)
        review_services.submission_accept(submission=submission, by=secretariat, route="expedited")
        self._review(submission, secretariat, reviewer, "approve")
        decision = review_services.decision_record(
            submission=submission, by=secretariat, outcome="approve", reasons="Existing records; opt-out is allowed."
        )
        review_services.head_permit(decision=decision, by=head)

    def _data_sharing(self, protocol: Protocol, pi: User, users: dict[str, User]) -> None:
        """The approved study's questionnaire data are offered for sharing, and another
        investigator has asked for them: the data access committee has a request to pre-screen."""
        today = timezone.localdate()
        dataset = agreement_services.dataset_register(
            protocol=protocol,
            by=pi,
            data={
                "title": "Telemedicine satisfaction questionnaire, coded",
                "description": "Answers of 120 patients to the satisfaction questionnaire, coded at the clinic.",
                "deidentification": "non_identifiable",
                "special_care": True,
                "consent_covers_provision": True,
                "duo_permission": "HMB",
                "duo_modifiers": ["NPU", "IRB", "PUB"],
            },
        )
        requester = users["investigator2@demo.example"]
        data_request = agreement_services.request_create(
            by=requester,
            datasets=[dataset],
            data={
                "title": "Satisfaction with remote follow-up after heart failure",
                "research_summary": "Compare heart-failure patients followed up remotely and in clinic.",
                "purpose": "DS",
                "purpose_diseases": ["MONDO:0005252"],
                "ethics_approval_reference": "DEMO-ERC-2026-007",
                "recipient_institution": "Demo University Hospital, Cardiology",
                "recipient_country": "JP",
                "deidentification_shared": "non_identifiable",
                "medium": "secure_transfer",
                "security_storage": True,
                "security_access_control": True,
                "security_encryption": True,
                "security_no_reidentification": True,
                "security_destruction": True,
                "term_start": today,
                "term_end": today + timedelta(days=365),
                "destruction_date": today + timedelta(days=395),
            },
        )
        agreement_services.request_submit(data_request=data_request, by=requester)

    def _workflow_states(self, users: dict[str, User], *, accepted_submission: Submission) -> None:
        """Protocols in the later states of the workflow: returned, under review, decided at a
        meeting with votes, and permitted with an active approval."""
        pi = users["investigator@demo.example"]
        secretariat = users["secretariat@demo.example"]
        head = users["head@demo.example"]

        # The accepted full-board study has a reviewer at work (reviewer1's queue).
        review_services.reviewer_assign(
            submission=accepted_submission,
            by=secretariat,
            reviewer=users["reviewer1@demo.example"],
            due_date=timezone.localdate() + timedelta(days=14),
        )

        returned = self._complete_study(
            pi, "運動習慣と睡眠に関する質問票調査", "Exercise habits and sleep: a questionnaire"
        )
        first = review_services.protocol_submit(protocol=returned, by=pi)
        review_services.submission_return(
            submission=first, by=secretariat, requests=["Explain how the sample size was chosen."]
        )

        permitted = self._complete_study(pi, "遠隔診療の満足度調査", "Patient satisfaction with telemedicine")
        expedited = review_services.protocol_submit(protocol=permitted, by=pi)
        review_services.submission_accept(submission=expedited, by=secretariat, route="expedited")
        self._review(expedited, secretariat, users["reviewer2@demo.example"], "approve")
        decision = review_services.decision_record(
            submission=expedited, by=secretariat, outcome="approve", reasons="Minimal risk; consent is adequate."
        )
        review_services.head_permit(decision=decision, by=head)
        self._after_approval(permitted, pi, secretariat)
        self._data_sharing(permitted, pi, users)
        self._opt_out_study(pi, secretariat, head, users["reviewer2@demo.example"])

        at_meeting = self._complete_study(pi, "新規バイオマーカーの探索的研究", "Exploratory study of a new biomarker")
        # A central review (JP-ERC-12): the partner hospital's head permits for that site.
        protocol_services.site_add(
            protocol=at_meeting, by=pi, name="", site_investigator="", is_lead=True, institution=pi.institution
        )
        protocol_services.site_add(
            protocol=at_meeting,
            by=pi,
            name="",
            site_investigator="Dr Mori",
            is_lead=False,
            institution=Institution.objects.get(code="demo-partner"),
        )
        full_board = review_services.protocol_submit(protocol=at_meeting, by=pi)
        review_services.submission_accept(submission=full_board, by=secretariat, route="full_board")
        self._review(full_board, secretariat, users["reviewer4@demo.example"], "approve_with_conditions")
        committee = Committee.objects.get(code="demo-erc")
        meeting = meeting_services.meeting_schedule(
            committee=committee, by=secretariat, scheduled_at=timezone.now() - timedelta(hours=2), location="Room 301"
        )
        item = meeting_services.agenda_add(meeting=meeting, by=secretariat, submission=full_board)
        seats = list(committee.memberships.exclude(role=CommitteeMembership.Role.SECRETARIAT).select_related("user"))
        meeting_services.attendance_record(meeting=meeting, by=secretariat, present=seats)
        for seat in seats:
            meeting_services.vote_cast(item=item, by=seat.user, choice="for")
        meeting_services.item_decide(
            item=item,
            by=secretariat,
            outcome="approve_with_conditions",
            reasons="Sound design; the consent form needs one addition.",
            conditions=["Add the contact for withdrawing consent to the consent form."],
        )
        # The PI answered the condition and the secretariat signed it off: the head of the
        # institution, and the partner hospital's head for its site, now permit (JP-ERC-12/13).
        condition = Condition.objects.get(decision__submission=full_board)
        review_services.condition_answer(
            condition=condition, by=pi, response="The consent form now names the research office as the contact."
        )
        review_services.condition_sign_off(
            condition=condition, by=secretariat, meaning=Condition.Meaning.APPROVAL, password=DEMO_PASSWORD
        )

        # The next meeting is scheduled with the accepted full-board study on its agenda: every
        # member has the notice and a meeting to attend.
        next_meeting = meeting_services.meeting_schedule(
            committee=committee,
            by=secretariat,
            scheduled_at=timezone.now() + timedelta(days=10),
            location="Room 301",
        )
        meeting_services.agenda_add(meeting=next_meeting, by=secretariat, submission=accepted_submission)
