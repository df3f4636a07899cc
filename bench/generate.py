#!/usr/bin/env python
"""Fill a dedicated PostgreSQL database with benchmark volume.

    .venv/bin/python bench/generate.py --reset      # drop, recreate, migrate, fill
    .venv/bin/python bench/generate.py --verify     # only re-check the audit hash chain

One institution, 2,000 investigators (two of them known: bench@ and busy@), three
secretariat staff, 10,000 protocols (40 % draft, 40 % submitted, 20 % in review) with
their team (TeamMember rows and guardian permission rows), documents and document
versions (metadata only; no files), a frozen ProtocolVersion and a Submission for
every non-draft protocol, and 200,000 audit events forming one valid hash chain.

Rows are written with PostgreSQL COPY (psycopg 3) inside one transaction, with explicit
primary keys (so the audit chain's order is the id order), then the sequences are reset
and the tables analysed. Without --reset the script refuses to touch a database that
already holds data.
"""

import argparse
import json
import random
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from common import (
    BENCH_PASSWORD,
    BENCH_TOTP_SECRET,
    BUSY_EMAIL,
    DEFAULT_DB_NAME,
    ROLE_USERS,
    ROOT,
    TYPICAL_EMAIL,
    admin_conninfo,
    project_env,
    setup_django,
)
from psycopg import sql

JST = ZoneInfo("Asia/Tokyo")

# ---------------------------------------------------------------------------------------
# Word lists
# ---------------------------------------------------------------------------------------


def _pairs(text: str) -> list[tuple[str, str]]:
    """'日本語|English; ...' as a list of (Japanese, English) pairs."""
    return [tuple(part.strip() for part in item.split("|")) for item in text.split(";") if item.strip()]  # type: ignore[misc]


SURNAMES = _pairs(
    """
    佐藤|Sato; 鈴木|Suzuki; 高橋|Takahashi; 田中|Tanaka; 伊藤|Ito; 渡辺|Watanabe; 山本|Yamamoto; 中村|Nakamura;
    小林|Kobayashi; 加藤|Kato; 吉田|Yoshida; 山田|Yamada; 佐々木|Sasaki; 山口|Yamaguchi; 松本|Matsumoto; 井上|Inoue;
    木村|Kimura; 林|Hayashi; 斎藤|Saito; 清水|Shimizu; 山崎|Yamazaki; 森|Mori; 池田|Ikeda; 橋本|Hashimoto; 阿部|Abe;
    石川|Ishikawa; 山下|Yamashita; 中島|Nakajima; 石井|Ishii; 小川|Ogawa; 前田|Maeda; 岡田|Okada; 長谷川|Hasegawa;
    藤田|Fujita; 後藤|Goto; 近藤|Kondo; 村上|Murakami; 遠藤|Endo; 青木|Aoki; 坂本|Sakamoto
"""
)
GIVEN_NAMES = _pairs(
    """
    太郎|Taro; 花子|Hanako; 健|Ken; 美咲|Misaki; 大輔|Daisuke; 直樹|Naoki; 由美|Yumi; 彩|Aya; 誠|Makoto; 翔太|Shota;
    陽菜|Hina; 蓮|Ren; 結衣|Yui; 大翔|Hiroto; さくら|Sakura; 拓也|Takuya; 愛|Ai; 浩二|Koji; 恵|Megumi; 和也|Kazuya;
    真由美|Mayumi; 修|Osamu; 裕子|Yuko; 剛|Tsuyoshi; 明美|Akemi; 悠人|Yuto; 葵|Aoi; 隆|Takashi; 智子|Tomoko; 亮|Ryo
"""
)
DEPARTMENTS = _pairs(
    """
    老年医学講座|Department of Geriatric Medicine; 循環器内科学|Department of Cardiology;
    消化器外科学|Department of Gastroenterological Surgery; 小児科学|Department of Paediatrics;
    精神医学講座|Department of Psychiatry; 公衆衛生学|Department of Public Health;
    看護学研究科|Graduate School of Nursing; 放射線医学|Department of Radiology; 腎臓内科学|Department of Nephrology;
    内分泌・代謝内科学|Department of Endocrinology and Metabolism; 整形外科学|Department of Orthopaedic Surgery;
    産婦人科学|Department of Obstetrics and Gynaecology; 歯学研究科|Graduate School of Dentistry;
    薬学研究科|Graduate School of Pharmaceutical Sciences; 医療情報学|Department of Medical Informatics;
    リハビリテーション科|Department of Rehabilitation; 麻酔科学|Department of Anaesthesiology;
    皮膚科学|Department of Dermatology; 臨床研究センター|Clinical Research Centre;
    社会医学講座|Department of Social Medicine
"""
)
POPULATIONS = _pairs(
    """
    高齢者|older adults; 2型糖尿病患者|patients with type 2 diabetes; 小児喘息患者|children with asthma;
    妊婦|pregnant women; 乳がん術後患者|patients after breast cancer surgery;
    慢性腎臓病患者|patients with chronic kidney disease; 地域在住成人|community-dwelling adults;
    集中治療室入室患者|intensive care unit patients; 大学生|university students; 病棟看護師|ward nurses;
    うつ病患者|patients with depression; 関節リウマチ患者|patients with rheumatoid arthritis;
    心不全患者|patients with heart failure; 脳卒中後患者|post-stroke patients; 早産児|preterm infants;
    認知症患者|people with dementia; 大腸がん患者|patients with colorectal cancer; 透析患者|haemodialysis patients;
    勤労者|working adults; 在宅医療利用者|home-care patients
"""
)
EXPOSURES = _pairs(
    """
    睡眠|sleep; 運動療法|exercise therapy; 食事摂取|dietary intake; 腸内細菌叢|the gut microbiome;
    遠隔モニタリング|remote monitoring; AI画像診断支援|AI-assisted image diagnosis;
    服薬アドヒアランス|medication adherence; ウェアラブル端末で測定した身体活動量|wearable-measured physical activity;
    遺伝子多型|genetic polymorphisms; 社会的孤立|social isolation; 口腔ケア|oral care;
    早期リハビリテーション|early rehabilitation; 血清バイオマーカー|serum biomarkers;
    オンライン認知行動療法|online cognitive behavioural therapy; 喫煙歴|smoking history;
    多職種連携介入|a multidisciplinary intervention; 栄養指導|nutritional counselling;
    電子カルテ情報|electronic health record data
"""
)
OUTCOMES = _pairs(
    """
    認知機能|cognitive function; 再入院率|readmission; 生活の質|quality of life; 血糖コントロール|glycaemic control;
    転倒|falls; 術後合併症|postoperative complications; 抑うつ症状|depressive symptoms; 死亡率|mortality;
    慢性疼痛|chronic pain; 腎機能低下|decline in kidney function; 睡眠の質|sleep quality;
    治療継続|treatment persistence; フレイル|frailty; 在院日数|length of hospital stay; 医療費|healthcare costs
"""
)
FOREIGN_NAMES = [
    "Emily Clarke",
    "Daniel Weber",
    "Sofia Rossi",
    "Minh Nguyen",
    "Priya Raman",
    "Lucas Martin",
    "Chen Wei",
    "Kim Ji-woo",
    "Olivia Brown",
    "Mateo Garcia",
]
# Japanese, English, interventional, how samples/information are obtained
DESIGNS = [
    ("多施設共同前向き観察研究", "multicentre prospective observational study", False, "new"),
    ("後ろ向きコホート研究", "retrospective cohort study", False, "existing_own"),
    ("ランダム化比較試験", "randomised controlled trial", True, "new"),
    ("横断研究", "cross-sectional study", False, "new"),
    ("症例対照研究", "case-control study", False, "existing_own"),
    ("探索的研究", "exploratory study", False, "new"),
    ("レジストリ研究", "registry study", False, "existing_own"),
    ("質問票調査", "questionnaire survey", False, "new"),
    ("パイロット試験", "pilot trial", True, "new"),
    (
        "共同研究機関への試料・情報の提供",
        "study providing samples and data to a partner institution",
        False,
        "provide_to_other",
    ),
]
FUNDERS = [
    "JSPS KAKENHI {y}K{n:05d}",
    "AMED {y}ek{n:07d}",
    "Institutional research fund",
    "No external funding",
    "MHLW Grant-in-Aid {y}FA{n:04d}",
    "Joint research with a pharmaceutical company (contract {n})",
]
# kind: (Japanese title, file name stem)
DOCUMENT_KINDS = {
    "protocol": ("研究計画書", "research_protocol"),
    "consent_form": ("説明文書・同意書", "consent_form"),
    "e_ic_materials": ("電子同意の方法と資料", "eic_materials"),
    "opt_out_notice": ("オプトアウト通知文書", "opt_out_notice"),
    "investigator_brochure": ("研究者向け概要書", "investigator_brochure"),
    "questionnaire": ("質問票", "questionnaire"),
    "coi_form": ("利益相反自己申告書", "coi_declaration"),
    "other": ("その他資料", "supplementary"),
}
OPTIONAL_KINDS = ["investigator_brochure", "questionnaire", "coi_form", "other"]
CONTENT_TYPES = [
    ("pdf", "application/pdf"),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
]
CONSENTS_BY_ACQUISITION = {
    "new": ["written_ic", "written_ic", "written_ic", "electronic_ic", "oral_ic_with_record", "appropriate_consent"],
    "existing_own": ["opt_out", "opt_out", "broad_consent_with_notice", "no_consent_exception", "written_ic"],
    "provide_to_other": ["opt_out", "broad_consent_with_notice", "appropriate_consent"],
}
CONSENT_DOCUMENTS = {
    "written_ic": ["consent_form"],
    "oral_ic_with_record": ["consent_form"],
    "electronic_ic": ["consent_form", "e_ic_materials"],
    "opt_out": ["opt_out_notice"],
}
TEAM_ROLES = ["co_investigator", "co_investigator", "co_investigator", "coordinator", "statistician", "staff"]


# ---------------------------------------------------------------------------------------
# Database management
# ---------------------------------------------------------------------------------------


def database_exists(db_name: str) -> bool:
    with psycopg.connect(admin_conninfo(), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name]).fetchone() is not None


def prepare_database(db_name: str, *, reset: bool) -> None:
    with psycopg.connect(admin_conninfo(), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name]).fetchone() is not None
        if exists and reset:
            print(f"Dropping database {db_name}")
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(db_name)))
            exists = False
        if not exists:
            print(f"Creating database {db_name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db_name)))


def holds_data(db_name: str) -> bool:
    with psycopg.connect(admin_conninfo(db_name), autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('accounts_user')").fetchone()[0] is None:
            return False
        return conn.execute("SELECT EXISTS (SELECT 1 FROM accounts_user)").fetchone()[0]


def migrate(db_name: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=project_env(db_name), check=True
    )


# ---------------------------------------------------------------------------------------
# Row writing
# ---------------------------------------------------------------------------------------


class Writer:
    """Collects rows per model and writes them with COPY, filling defaults for any column
    a row leaves out (so a field added to a model later does not break the generator)."""

    def __init__(self) -> None:
        self.rows: dict[Any, list[dict[str, Any]]] = {}

    def add(self, model: Any, row: dict[str, Any]) -> None:
        self.rows.setdefault(model, []).append(row)

    def count(self, model: Any) -> int:
        return len(self.rows.get(model, []))

    @staticmethod
    def _default(field: Any) -> Any:
        if field.has_default():
            return field.get_default()
        if field.null:
            return None
        if field.get_internal_type() in {"CharField", "TextField", "SlugField", "EmailField"}:
            return ""
        raise KeyError(f"{field.model.__name__}.{field.attname} has no value and no default")

    def copy(self, cursor: Any, model: Any) -> int:
        from django.db import models
        from psycopg.types.json import Jsonb

        rows = self.rows.pop(model, [])
        if not rows:
            return 0
        fields = model._meta.local_concrete_fields
        columns = [field.column for field in fields]
        is_json = [isinstance(field, models.JSONField) for field in fields]
        defaults = {field.attname: None for field in fields}
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(model._meta.db_table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        )
        with cursor.copy(statement) as copy:
            for row in rows:
                values = []
                for field, json_field in zip(fields, is_json, strict=True):
                    if field.attname in row:
                        value = row[field.attname]
                    else:
                        if defaults[field.attname] is None:
                            defaults[field.attname] = (self._default(field),)
                        value = defaults[field.attname][0]
                    values.append(Jsonb(value) if json_field and value is not None else value)
                copy.write_row(values)
        return len(rows)


# ---------------------------------------------------------------------------------------
# The data
# ---------------------------------------------------------------------------------------


def random_hex(rng: random.Random, bits: int = 256) -> str:
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


def title_pair(rng: random.Random) -> tuple[str, str, tuple]:
    pop = rng.choice(POPULATIONS)
    exp = rng.choice(EXPOSURES)
    out = rng.choice(OUTCOMES)
    design = rng.choice(DESIGNS)
    form = rng.randrange(3)
    if form == 0:
        ja = f"{pop[0]}における{exp[0]}と{out[0]}の関連に関する{design[0]}"
        en = f"{design[1][0].upper()}{design[1][1:]} of {exp[1]} and {out[1]} in {pop[1]}"
    elif form == 1:
        ja = f"{pop[0]}を対象とした{exp[0]}が{out[0]}に及ぼす影響：{design[0]}"
        en = f"Effect of {exp[1]} on {out[1]} in {pop[1]}: a {design[1]}"
    else:
        ja = f"{exp[0]}による{pop[0]}の{out[0]}改善を目指した{design[0]}"
        en = f"Improving {out[1]} in {pop[1]} through {exp[1]}: a {design[1]}"
    return ja, en, (pop, exp, out, design)


def study_facts(rng: random.Random, parts: tuple, created: datetime, *, complete: bool) -> dict[str, Any]:
    pop, exp, out, design = parts
    _, design_en, interventional, acquisition = design
    start = (created + timedelta(days=rng.randint(60, 240))).date()
    end = start + timedelta(days=365 * rng.randint(1, 5) - 1)
    consent = rng.choice(CONSENTS_BY_ACQUISITION[acquisition])
    uses_ai = rng.random() < 0.15
    ai_external = uses_ai and rng.random() < 0.2
    coi = rng.random() < 0.12
    year = created.astimezone(JST).year % 100
    facts: dict[str, Any] = {
        "summary": (
            f"This {design_en} examines {exp[1]} and {out[1]} in {pop[1]}. "
            f"本研究は{pop[0]}を対象に、{exp[0]}と{out[0]}との関連を明らかにすることを目的とする。"
            f"Participants are followed for {rng.randint(6, 60)} months; the primary endpoint is {out[1]}."
        ),
        "planned_start": start,
        "planned_end": end,
        "target_participants": rng.choice([20, 30, 40, 60, 80, 100, 120, 200, 240, 300, 500, 1000, 3000, 12000]),
        "funding_source": rng.choice(FUNDERS).format(y=year, n=rng.randrange(10**4, 10**7)),
        "has_conflict_of_interest": coi,
        "conflict_of_interest_details": "Consulting fees from a device manufacturer (declared to the COI committee)."
        if coi
        else "",
        "registry_id": (
            f"jRCT10{rng.randrange(30, 90)}{rng.randrange(10**6, 10**7)}"
            if interventional
            else (f"UMIN0000{rng.randrange(10**4, 10**5)}" if rng.random() < 0.3 else "")
        ),
        "progress_report_interval_months": 12,
        "acquisition": acquisition,
        "uses_samples": rng.random() < 0.35,
        "invasiveness": "minor" if interventional and rng.random() < 0.5 else rng.choice(["none", "none", "minor"]),
        "interventional": interventional,
        "special_care_personal_info": rng.random() < 0.7,
        "deidentification": rng.choice(
            ["pseudonymised", "pseudonymised", "pseudonymised", "identified", "non_identifiable"]
        ),
        "personally_referable": False,
        "consent_procedure": consent,
        "consent_exception_requested": False,
        "consent_exception_justification": "",
        "opt_out_notice_text": (
            "本研究では診療情報を利用します。研究への利用を希望されない方はお申し出ください。"
            "You may refuse the use of your information at any time by contacting the study office."
        )
        if consent == "opt_out"
        else "",
        "uses_ai": uses_ai,
        "ai_purpose": "Automated classification of images to support, not replace, the physician's reading."
        if uses_ai
        else "",
        "ai_trains_on_identifiable_data": (rng.random() < 0.3) if uses_ai else None,
        "ai_uses_external_service": ai_external if uses_ai else None,
    }
    if not complete:
        # A draft: some of the form not filled in yet.
        for name in list(facts):
            if rng.random() < 0.35:
                field_default = "" if isinstance(facts[name], str) else None
                if name in {"personally_referable", "progress_report_interval_months", "consent_exception_requested"}:
                    continue
                facts[name] = field_default
        if facts["planned_start"] is None or facts["planned_end"] is None:
            facts["planned_end"] = None
    return facts


def spread(rng: random.Random, start: datetime, end: datetime, n: int) -> list[datetime]:
    """n sorted times in [start, end], whole seconds (the audit hash excludes microseconds)."""
    start = start.replace(microsecond=0)
    span = max(int((end - start).total_seconds()), n + 1)
    offsets = sorted(rng.sample(range(1, span), n)) if n < span - 1 else list(range(1, n + 1))
    return [start + timedelta(seconds=offset) for offset in offsets]


def generate(db_name: str, *, investigators: int, protocols: int, audit_events: int, busy_team: int, seed: int) -> None:
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Permission
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from research_governance.accounts.models import Department, Institution, RoleMembership, User
    from research_governance.audit.models import AuditEvent
    from research_governance.audit.services import GENESIS_HASH, canonical_json, event_hash
    from research_governance.protocols.application import FORM_FIELDS
    from research_governance.protocols.models import (
        Document,
        DocumentVersion,
        Protocol,
        ProtocolUserObjectPermission,
        ProtocolVersion,
        TeamMember,
    )
    from research_governance.reviews.models import Submission

    if User.objects.exists() or Protocol.objects.exists() or AuditEvent.objects.exists():
        raise SystemExit(
            f"Database {db_name} already holds data. Use --reset to drop and recreate it "
            "(or --verify to check the audit chain)."
        )

    rng = random.Random(seed)
    started = time.perf_counter()
    now = datetime.now(UTC).replace(microsecond=0)
    w = Writer()

    perms = {
        p.codename: p.pk
        for p in Permission.objects.filter(
            content_type__app_label="protocols",
            codename__in=["view_protocol", "change_protocol", "submit_protocol"],
        )
    }
    password_hash = make_password(BENCH_PASSWORD)

    institution = Institution.objects.create(
        code="bench-university", name_ja="ベンチマーク大学医学部附属病院", name_en="Bench University Hospital"
    )
    departments = Department.objects.bulk_create(
        [Department(institution=institution, name_ja=ja, name_en=en) for ja, en in DEPARTMENTS]
    )

    # -- users ---------------------------------------------------------------------------
    users: dict[int, dict[str, Any]] = {}
    next_user = 1

    def add_user(email: str, name_ja: str, name_latin: str, role: str, department: int | None) -> int:
        nonlocal next_user
        uid = next_user
        next_user += 1
        joined = now - timedelta(days=rng.randint(400, 2500), seconds=rng.randrange(86400))
        row = {
            "id": uid,
            "password": password_hash,
            "last_login": None,
            "is_superuser": False,
            "email": email,
            "name_ja": name_ja,
            "name_latin": name_latin,
            "institution_id": institution.pk,
            "department_id": department,
            "affiliation": "",
            "preferred_language": "en" if rng.random() < 0.15 else "ja",
            "is_active": True,
            "is_staff": False,
            "date_joined": joined,
        }
        users[uid] = row
        w.add(User, row)
        w.add(
            RoleMembership,
            {
                "id": uid,
                "user_id": uid,
                "institution_id": institution.pk,
                "role": role,
                "valid_from": date(2024, 4, 1),
                "valid_to": None,
            },
        )
        return uid

    bench_id = add_user(TYPICAL_EMAIL, "ベンチ 太郎", "Taro Bench", "investigator", departments[0].pk)
    busy_id = add_user(BUSY_EMAIL, "多忙 花子", "Hanako Tabo", "investigator", departments[5].pk)
    crowd: list[int] = []
    for i in range(investigators - 2):
        if rng.random() < 0.03:
            latin = rng.choice(FOREIGN_NAMES)
            name_ja = ""
        else:
            sur, given = rng.choice(SURNAMES), rng.choice(GIVEN_NAMES)
            latin = f"{given[1]} {sur[1]}"
            name_ja = f"{sur[0]} {given[0]}"
        email = f"{latin.lower().replace(' ', '.').replace('-', '')}.{i:04d}@bench.example"
        crowd.append(add_user(email, name_ja, latin, "investigator", rng.choice(departments).pk))
    secretariat = [
        add_user(f"secretariat{i}@bench.example", f"事務局 {given[0]}", f"{given[1]} Jimukyoku", "secretariat", None)
        for i, given in enumerate(GIVEN_NAMES[:3], start=1)
    ]

    # -- protocols and everything hanging off them ---------------------------------------
    counters = Counter()

    def next_id(model: Any) -> int:
        counters[model] += 1
        return counters[model]

    def grant(user_id: int, protocol_id: int, codenames: tuple[str, ...]) -> None:
        for codename in codenames:
            w.add(
                ProtocolUserObjectPermission,
                {
                    "id": next_id(ProtocolUserObjectPermission),
                    "permission_id": perms[codename],
                    "user_id": user_id,
                    "content_object_id": protocol_id,
                },
            )

    # PIs: bench@ has exactly six; the crowd gets the rest, unevenly (some investigators run many).
    statuses = ["draft"] * 2 + ["submitted"] * 3 + ["in_review"]
    pis = [bench_id] * len(statuses)
    weights = [rng.lognormvariate(0, 0.9) for _ in crowd]
    others = protocols - len(statuses)
    pis += rng.choices(crowd, weights=weights, k=others)
    statuses += rng.choices(["draft", "submitted", "in_review"], weights=[40, 40, 20], k=others)
    order = list(range(len(pis)))
    rng.shuffle(order)  # bench@'s protocols are not the first ids
    pis = [pis[i] for i in order]
    statuses = [statuses[i] for i in order]

    # Extra team memberships of the two known users.
    bench_team = set(rng.sample([i for i, pi in enumerate(pis) if pi != bench_id], 3))
    busy_team_idx = set(rng.sample([i for i, pi in enumerate(pis) if pi != bench_id], busy_team))

    events: list[tuple] = []  # (occurred_at, protocol_id, seq, actor_id, action, target_type, target_id, data)
    protocol_rows: list[dict[str, Any]] = []
    save_slots: list[tuple[int, datetime, datetime]] = []  # (protocol index, window start, window end)

    for index, (pi, status) in enumerate(zip(pis, statuses, strict=True)):
        pid = index + 1
        created = now - timedelta(seconds=rng.randrange(3 * 86400, 3 * 365 * 86400))
        complete = status != "draft" or rng.random() < 0.3
        ja, en, parts = title_pair(rng)
        if status == "draft" and rng.random() < 0.1:
            en = ""
        facts = study_facts(rng, parts, created, complete=complete)
        if status == "draft":
            end = created + (now - created) * rng.uniform(0.05, 1.0)
            submitted_at = accepted_at = None
        else:
            submitted_at = created + min(timedelta(days=rng.uniform(7, 120)), (now - created) * 0.7)
            submitted_at = submitted_at.replace(microsecond=0)
            end = submitted_at
            accepted_at = None
            if status == "in_review":
                accepted_at = submitted_at + min(timedelta(days=rng.uniform(0.2, 21)), (now - submitted_at) * 0.9)
                accepted_at = accepted_at.replace(microsecond=0)
        end = end.replace(microsecond=0)
        seq = 0

        def event(
            at: datetime, actor: int, action: str, target_type: str, target_id: int, data: dict, pid: int = pid
        ) -> None:
            nonlocal seq
            seq += 1
            events.append((at, pid, seq, actor, action, target_type, str(target_id), data))

        reference = f"{created.astimezone(JST):%Y}-{pid:05d}"
        event(
            created,
            pi,
            "protocol.created",
            "protocols.protocol",
            pid,
            {"reference": reference, "title_ja": ja, "title_en": en},
        )
        # Team: the PI (view, change, submit) plus 1-3 members from the crowd.
        grant(pi, pid, ("view_protocol", "change_protocol", "submit_protocol"))
        members = [u for u in rng.sample(crowd, 4) if u != pi][: rng.randint(1, 3)]
        if index in bench_team:
            members.append(bench_id)
        if index in busy_team_idx:
            members.append(busy_id)
        middle: list[tuple[str, Any]] = []
        team_snapshot = []
        for member in members:
            can_edit = rng.random() < (0.1 if member == busy_id else 0.2)
            role = rng.choice(TEAM_ROLES)
            middle.append(("team", (member, role, can_edit)))
        # Documents: the ones the consent procedure requires, then optional ones, 1-4 in all.
        required = ["protocol", *CONSENT_DOCUMENTS.get(facts["consent_procedure"] or "", [])]
        n_docs = max(len(required), rng.randint(1, 4)) if complete else rng.randint(1, 4)
        kinds = (required + rng.sample(OPTIONAL_KINDS, 4))[:n_docs]
        for kind in kinds:
            middle.append(("document", (kind, 2 if rng.random() < 0.3 else 1)))
        # The team and the documents arrive during the first part of the drafting.
        times = spread(
            rng,
            created,
            created + (end - created) * 0.6,
            len(middle) + sum(d[1][1] - 1 for d in middle if d[0] == "document"),
        )
        ti = iter(times)
        current_versions = []
        doc_snapshots = []
        for kind_of, payload in middle:
            at = next(ti)
            if kind_of == "team":
                member, role, can_edit = payload
                w.add(
                    TeamMember,
                    {
                        "id": next_id(TeamMember),
                        "protocol_id": pid,
                        "user_id": member,
                        "role": role,
                        "can_edit": can_edit,
                        "added_at": at,
                    },
                )
                grant(
                    member,
                    pid,
                    ("view_protocol", "change_protocol", "submit_protocol") if can_edit else ("view_protocol",),
                )
                user = users[member]
                team_snapshot.append(
                    {
                        "user_id": member,
                        "name_ja": user["name_ja"],
                        "name_latin": user["name_latin"],
                        "email": user["email"],
                        "role": role,
                        "can_edit": can_edit,
                    }
                )
                event(
                    at,
                    pi,
                    "protocol.team_member_added",
                    "protocols.protocol",
                    pid,
                    {"user_id": member, "email": user["email"], "role": role, "can_edit": can_edit},
                )
                continue
            kind, n_versions = payload
            title_ja, stem = DOCUMENT_KINDS[kind]
            did = next_id(Document)
            doc_row = {
                "id": did,
                "protocol_id": pid,
                "kind": kind,
                "title": title_ja,
                "current_version_id": None,
                "created_at": at,
                "withdrawn_at": None,
            }
            w.add(Document, doc_row)
            ext, content_type = rng.choice(CONTENT_TYPES)
            version_at = at
            for number in range(1, n_versions + 1):
                vid = next_id(DocumentVersion)
                sha = random_hex(rng)
                original = (
                    f"{title_ja}_第{number}版.{ext}"
                    if rng.random() < 0.5
                    else f"{stem}_v{number}.{rng.randint(0, 9)}.{ext}"
                )
                size = int(min(max(rng.lognormvariate(12.5, 1.0), 8_000), 19_000_000))
                if number > 1:
                    version_at = next(ti)
                w.add(
                    DocumentVersion,
                    {
                        "id": vid,
                        "document_id": did,
                        "number": number,
                        "file": f"protocols/{pid}/documents/{did}/v{number}-{sha[:16]}",
                        "original_name": original,
                        "content_type": content_type,
                        "size": size,
                        "sha256": sha,
                        "uploaded_by_id": pi,
                        "uploaded_at": version_at,
                    },
                )
                if number == 1:
                    event(
                        version_at,
                        pi,
                        "document.added",
                        "protocols.document",
                        did,
                        {"kind": kind, "title": title_ja, "file_name": original, "sha256": sha},
                    )
                else:
                    event(
                        version_at,
                        pi,
                        "document.replaced",
                        "protocols.document",
                        did,
                        {"version": number, "file_name": original, "sha256": sha, "replaced_version": number - 1},
                    )
                doc_row["current_version_id"] = vid
                current = (vid, number, original, size, sha)
            current_versions.append(current[0])
            doc_snapshots.append(
                {
                    "document_id": did,
                    "kind": kind,
                    "title": title_ja,
                    "version_id": current[0],
                    "version": current[1],
                    "file_name": current[2],
                    "size": current[3],
                    "sha256": current[4],
                }
            )
        # Draft saves fill the remaining event budget later, between the documents and the end.
        save_slots.append((index, created + (end - created) * 0.6, end))

        row = {
            "id": pid,
            "institution_id": institution.pk,
            "reference": reference,
            "status": status,
            "principal_investigator_id": pi,
            "created_by_id": pi,
            "created_at": created,
            "updated_at": end,
            "last_submitted_at": submitted_at,
            "lock_version": 1,
            "title_ja": ja,
            "title_en": en,
            **facts,
        }
        protocol_rows.append(row)

        if status != "draft":
            vid = next_id(ProtocolVersion)
            sid = next_id(Submission)
            pi_user = users[pi]
            snapshot = {
                "reference": reference,
                "form": {
                    name: (row[name].isoformat() if isinstance(row[name], date) else row[name]) for name in FORM_FIELDS
                },
                "principal_investigator": {
                    "id": pi,
                    "name_ja": pi_user["name_ja"],
                    "name_latin": pi_user["name_latin"],
                    "email": pi_user["email"],
                },
                "team": team_snapshot,
                "sites": [],
                "recipients": [],
                "documents": doc_snapshots,
            }
            w.add(
                ProtocolVersion,
                {
                    "id": vid,
                    "protocol_id": pid,
                    "number": 1,
                    "snapshot": snapshot,
                    "created_at": submitted_at,
                    "created_by_id": pi,
                },
            )
            for dv in current_versions:
                w.add(
                    ProtocolVersion.document_versions.through,
                    {"id": next_id("pv_dv"), "protocolversion_id": vid, "documentversion_id": dv},
                )
            w.add(
                Submission,
                {
                    "id": sid,
                    "protocol_id": pid,
                    "version_id": vid,
                    "kind": "initial",
                    "status": "accepted" if status == "in_review" else "submitted",
                    "submitted_by_id": pi,
                    "submitted_at": submitted_at,
                    "status_changed_at": accepted_at or submitted_at,
                },
            )
            event(
                submitted_at,
                pi,
                "protocol.submitted",
                "reviews.submission",
                sid,
                {"version": 1, "kind": "initial", "documents": len(current_versions)},
            )
            row["lock_version"] += 1
            if accepted_at:
                event(
                    accepted_at,
                    rng.choice(secretariat),
                    "submission.accepted",
                    "reviews.submission",
                    sid,
                    {"from": "submitted", "to": "accepted", "version": 1},
                )
                row["updated_at"] = accepted_at

    # -- draft saves: the rest of the audit budget -----------------------------------------
    remaining = audit_events - len(events)
    if remaining < 0:
        print(f"warning: the fixed events alone are {len(events)}; no draft-save events added")
        remaining = 0
    save_weights = [rng.lognormvariate(0, 0.8) for _ in save_slots]
    per_protocol = Counter(rng.choices(range(len(save_slots)), weights=save_weights, k=remaining))
    seq_base = 1000
    for slot, n in per_protocol.items():
        index, start, end = save_slots[slot]
        pid = index + 1
        pi = pis[index]
        row = protocol_rows[index]
        for k, at in enumerate(spread(rng, start, end, n)):
            fields = sorted(rng.sample(FORM_FIELDS, rng.randint(1, 4)))
            events.append(
                (at, pid, seq_base + k, pi, "protocol.draft_saved", "protocols.protocol", str(pid), {"fields": fields})
            )
        row["lock_version"] += n
    for row in protocol_rows:
        w.add(Protocol, row)

    # -- the audit chain: chronological, ids in that order, each hash over the previous ----
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    previous = GENESIS_HASH
    emails = {uid: u["email"] for uid, u in users.items()}
    for number, (at, pid, _seq, actor, action, target_type, target_id, data) in enumerate(events, start=1):
        clean = json.loads(canonical_json(data))
        digest = event_hash(
            previous_hash=previous,
            occurred_at=at.isoformat(),
            actor_id=actor,
            action=action,
            target_type=target_type,
            target_id=target_id,
            data=clean,
        )
        w.add(
            AuditEvent,
            {
                "id": number,
                "occurred_at": at,
                "actor_id": actor,
                "actor_label": emails[actor],
                "action": action,
                "target_type": target_type,
                "target_id": target_id,
                "protocol_id": pid,
                "institution_id": institution.pk,
                "data": clean,
                "previous_hash": previous,
                "hash": digest,
            },
        )
        previous = digest
    # One person in each other role whose home page is measured (bench/common.py ROLE_USERS),
    # made last so the rest of the data stays what the seed made it before they existed.
    for email, role in ROLE_USERS.items():
        if role != "secretariat":
            add_user(email, f"{role} 一郎", f"Ichiro {role.title()}", role, None)
    built = time.perf_counter()
    print(f"Built rows in memory in {built - started:.1f} s")

    # -- write -------------------------------------------------------------------------------
    written_models = [
        User,
        RoleMembership,
        Protocol,
        ProtocolUserObjectPermission,
        TeamMember,
        Document,
        DocumentVersion,
        ProtocolVersion,
        ProtocolVersion.document_versions.through,
        Submission,
        AuditEvent,
    ]
    summary = []
    with transaction.atomic():
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            for model in written_models:
                t0 = time.perf_counter()
                n = w.copy(cursor, model)
                summary.append((model._meta.db_table, n, time.perf_counter() - t0))
                print(f"  {model._meta.db_table:<45} {n:>8,} rows  {time.perf_counter() - t0:6.1f} s")
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), written_models):
                cursor.execute(statement)
    copied = time.perf_counter()
    print(f"Wrote rows in {copied - built:.1f} s")
    # SEC-02: the people in a committee role have set up an authenticator app (run.py signs them
    # in with its code).
    from research_governance.accounts.mfa import provision_totp

    for user in User.objects.filter(email__in=ROLE_USERS):
        provision_totp(user, BENCH_TOTP_SECRET)

    # The rows were copied, not made by the services: everyone's "Waiting for you" is found as
    # the nightly job finds it (notifications.inbox).
    from research_governance.notifications.inbox import rebuild_all

    t0 = time.perf_counter()
    rebuild_all()
    print(f"Inbox rebuilt in {time.perf_counter() - t0:.1f} s")

    with psycopg.connect(admin_conninfo(db_name), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"VACUUM ANALYZE in {time.perf_counter() - copied:.1f} s")
    print(f"Generated {db_name} in {time.perf_counter() - started:.1f} s (TIME_ZONE {settings.TIME_ZONE})")


def verify_chain() -> int:
    """Recompute every audit hash from the stored rows, in id order, as an integrity check would."""
    from research_governance.audit.models import AuditEvent
    from research_governance.audit.services import GENESIS_HASH, event_hash

    t0 = time.perf_counter()
    previous = GENESIS_HASH
    count = 0
    rows = AuditEvent.objects.order_by("id").values_list(
        "id", "occurred_at", "actor_id", "action", "target_type", "target_id", "data", "previous_hash", "hash"
    )
    for pk, occurred_at, actor_id, action, target_type, target_id, data, previous_hash, stored in rows.iterator(
        chunk_size=10_000
    ):
        expected = event_hash(
            previous_hash=previous_hash,
            occurred_at=occurred_at.isoformat(),
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            data=data,
        )
        if previous_hash != previous or expected != stored:
            raise SystemExit(f"Audit chain broken at event {pk}")
        previous = stored
        count += 1
    print(f"Audit chain intact: {count:,} events verified in {time.perf_counter() - t0:.1f} s")
    return count


def print_counts() -> None:
    from django.db import connection

    tables = [
        "accounts_user",
        "protocols_protocol",
        "protocols_protocoluserobjectpermission",
        "protocols_teammember",
        "protocols_document",
        "protocols_documentversion",
        "protocols_protocolversion",
        "reviews_submission",
        "audit_auditevent",
    ]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)).as_string(None))
            print(f"  {table:<45} {cursor.fetchone()[0]:>8,}")
        cursor.execute("SELECT status, count(*) FROM protocols_protocol GROUP BY status ORDER BY status")
        print("  protocols by status: " + ", ".join(f"{s} {n:,}" for s, n in cursor.fetchall()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-name", default=DEFAULT_DB_NAME)
    parser.add_argument("--reset", action="store_true", help="Drop and recreate the database first.")
    parser.add_argument("--verify", action="store_true", help="Only verify the audit hash chain and print counts.")
    parser.add_argument("--investigators", type=int, default=2000)
    parser.add_argument("--protocols", type=int, default=10_000)
    parser.add_argument("--audit-events", type=int, default=200_000)
    parser.add_argument("--busy-team", type=int, default=500, help="Protocols busy@ is on the team of.")
    parser.add_argument("--seed", type=int, default=20260401)
    args = parser.parse_args()

    t0 = time.perf_counter()
    if args.verify:
        if not database_exists(args.db_name):
            raise SystemExit(f"Database {args.db_name} does not exist; run without --verify first.")
        setup_django(args.db_name)
        print_counts()
        verify_chain()
        return

    prepare_database(args.db_name, reset=args.reset)
    if holds_data(args.db_name):
        raise SystemExit(
            f"Database {args.db_name} already holds data. Use --reset to drop and recreate it "
            "(or --verify to check the audit chain)."
        )
    migrate(args.db_name)
    print(f"Migrated in {time.perf_counter() - t0:.1f} s")
    setup_django(args.db_name)
    generate(
        args.db_name,
        investigators=args.investigators,
        protocols=args.protocols,
        audit_events=args.audit_events,
        busy_team=args.busy_team,
        seed=args.seed,
    )
    print_counts()
    verify_chain()
    print(f"Done in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
