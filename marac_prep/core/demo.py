"""A fictional, realistic workspace for trying the app and for benchmarks at scale.

Every person here is invented. Rows are written in bulk (not one service call each) so that
5,000 cases and 1,000,000 entries take minutes; the run is audited as one event.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, select

from marac_prep.core import audit
from marac_prep.core.db import unit_of_work
from marac_prep.core.models import (
    Address,
    Agency,
    AgencyReturn,
    Case,
    ChronologyEntry,
    Meeting,
    Person,
    User,
)
from marac_prep.core.permissions import require
from marac_prep.core.vocabulary import event_types

FIRST_NAMES_F = [
    "Amelia",
    "Zofia",
    "Ioana",
    "Elif",
    "Gwenllian",
    "Rūta",
    "Siobhan",
    "Priya",
    "Aisha",
    "Małgorzata",
    "Chloe",
    "Nia",
    "Şule",
    "Agnieszka",
    "Jasmine",
    "Kerry-Ann",
    "Ffion",
    "Oksana",
]
FIRST_NAMES_M = [
    "Daniel",
    "Tomasz",
    "Mihai",
    "Emre",
    "Rhys",
    "Darius",
    "Liam",
    "Ravi",
    "Kyle",
    "Łukasz",
    "Marcus",
    "Gethin",
    "Ömer",
    "Craig",
    "Jonas",
    "Stefan",
]
SURNAMES = [
    "ASHWORTH",
    "KOWALCZYK",
    "POPESCU",
    "YILDIZ",
    "PRITCHARD",
    "KAZLAUSKAS",
    "O'DONNELL",
    "PATEL",
    "BRENNAN",
    "WÓJCIK",
    "ŞAHİN",
    "LLEWELYN",
    "DUMITRESCU",
    "HOLLOWAY",
    "GRZEGORZEWSKA",
    "MACKINNON",
    "EVANS-BOWEN",
    "NOWAK",
    "ȚURCANU",
    "ÇELIK",
]
CHILD_NAMES = ["Lily", "Oscar", "Maja", "Tudor", "Ela", "Osian", "Ayaan", "Poppy", "Kacper", "Alys"]
SCHOOLS = ["Brookfield Primary", "St Aidan's Primary", "Millbrook Academy", "Ysgol y Dderwen", "Hillside Nursery"]
AREAS = ["Northmoor", "Eastbridge", "Westvale"]
STREETS = ["Alder Road", "Canal Street", "Heol y Bryn", "Orchard Close", "Station Parade", "Mill Lane"]

# Summaries per event type; {v} is the victim's first name, {p} the perpetrator's.
SUMMARIES: dict[str, list[str]] = {
    "incident": [
        "Police called by neighbour; {p} shouting and banging doors, {v} had a cut lip.",
        "{v} reported {p} pushed her into a wall during an argument about money.",
        "{p} arrested after damaging the front door of {v}'s address.",
    ],
    "disclosure": [
        "{v} disclosed to GP that {p} checks her phone and controls her money.",
        "{v} told the school nurse she is frightened of {p} since the separation.",
        "{v} disclosed {p} put his hands around her neck last month.",
    ],
    "risk_assessment": ["Dash completed with {v}."],
    "referral_made": ["Referral sent about {v} and the children."],
    "referral_received": ["Referral about {v} received and allocated."],
    "referral_considered_not_made": [
        "Marac referral discussed at supervision; not made as {v} said things had calmed down.",
    ],
    "call_out": ["Ambulance attended {v}'s address; {v} had fallen, explanation inconsistent."],
    "ae_attendance": ["{v} attended A&E with a wrist injury; said she tripped. {p} present throughout."],
    "missed_appointment": ["{v} did not attend housing appointment; letter sent offering a new date."],
    "service_offered": ["Idva support offered to {v} by phone; safety planning started."],
    "court_or_order": ["Non-molestation order granted against {p}."],
    "breach": ["{p} seen outside {v}'s workplace in breach of bail conditions."],
    "counter_allegation": ["{p} alleged {v} assaulted him; no injuries seen, {v} had marks on her arms."],
    "safeguarding_action": ["Strategy discussion held for the children; child protection enquiry started."],
    "contact": ["Welfare check by phone with {v}; no new concerns reported."],
    "other": ["Housing repair request for the lock on {v}'s front door."],
}
INDICATORS_BY_TYPE: dict[str, list[str]] = {
    "incident": ["injury", "frightened", "getting_worse", "threats_to_kill", "weapons"],
    "disclosure": ["controlling", "strangulation", "separation", "stalking", "financial", "isolated"],
    "ae_attendance": ["injury"],
    "breach": ["breached_orders", "stalking"],
    "call_out": ["injury"],
}
RETURN_MIX = ["returned"] * 6 + ["nothing_known"] * 2 + ["chased", "requested", "not_requested", "declined"]


@dataclass(frozen=True)
class DemoSummary:
    """What a demo run wrote."""

    meetings: int
    cases: int
    entries: int


def _batched(session: Session, table: Any, rows: list[dict[str, Any]], size: int = 5000) -> None:
    for start in range(0, len(rows), size):
        session.execute(insert(table), rows[start : start + size])


def _person(rng: random.Random, role: str, gender: str, today: date) -> dict[str, Any]:
    first = rng.choice(FIRST_NAMES_F if gender == "female" else FIRST_NAMES_M)
    age_days = rng.randint(19 * 365, 55 * 365)
    return {
        "role": role,
        "name": f"{first} {rng.choice(SURNAMES)}",
        "gender": gender,
        "date_of_birth": today - timedelta(days=age_days),
        "aliases": [],
        "ethnicity": "",
        "disability": "",
        "relationship": "",
        "school": "",
        "phone": "",
        "lgbt": None,
        "safe_to_call": None,
        "must_not_receive_information": False,
    }


def build_demo(
    session: Session,
    *,
    actor: User,
    cases: int = 8,
    entries_per_case: int = 24,
    seed: int = 1,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Writes meetings (25 cases each, the first upcoming) with fictional cases, people, returns
    and chronology entries of every event type. Deterministic for a given seed and day."""
    rng = random.Random(seed)
    today = today or date.today()
    now = datetime.now(UTC)
    with unit_of_work(session):
        require(actor, "manage_meeting")
        agencies = list(session.exec(select(Agency).where(Agency.active)).all())
        by_category: dict[str, list[Agency]] = {}
        for agency in agencies:
            by_category.setdefault(agency.category, []).append(agency)
        police = next(a for a in agencies if a.short_code == "POL")
        kinds = [e.id for e in event_types() if e.id != "nothing_known"]
        meeting_count = max(1, -(-cases // 25))
        meeting_ids = []
        for index in range(meeting_count):
            meeting = Meeting(
                meeting_date=today + timedelta(days=7 - 14 * index),
                area=AREAS[index % len(AREAS)],
                status="planned" if index == 0 else "held",
            )
            session.add(meeting)
            session.flush()
            meeting_ids.append(meeting.id)
        existing = len(session.exec(select(Case.id)).all())
        entry_total = 0
        for number in range(cases):
            meeting_index = number // 25
            meeting_date = today + timedelta(days=7 - 14 * meeting_index)
            referral_date = min(meeting_date - timedelta(days=rng.randint(8, 20)), today)
            has_children = rng.random() < 0.55
            score = rng.choice([rng.randint(14, 20), rng.randint(9, 13), rng.randint(15, 22)])
            criteria = ["visible_high_risk"] if score >= 14 else ["professional_judgement"]
            if rng.random() < 0.2:
                criteria.append("potential_escalation")
            case = Case(
                reference=f"MAR-{referral_date.year}-{existing + number + 1:05d}",
                meeting_id=meeting_ids[meeting_index],
                referral_date=referral_date,
                referring_agency_id=rng.choice([police, police, *agencies]).id or 0,
                criteria=sorted(criteria),
                dash_score=score,
                repeat=rng.random() < 0.3,
                victim_aware=True,
                victim_consent=rng.random() < 0.7,
            )
            if not case.victim_consent:
                case.consent_reason = (
                    "Risk of serious harm to the victim and children; sharing is necessary and proportionate."
                )
            session.add(case)
            session.flush()
            case_id = case.id or 0
            victim = _person(rng, "victim", "female" if rng.random() < 0.9 else "male", today)
            perpetrator = _person(rng, "perpetrator", "male" if victim["gender"] == "female" else "female", today)
            perpetrator["relationship"] = rng.choice(["Ex-partner", "Partner", "Husband", "Ex-husband"])
            perpetrator["must_not_receive_information"] = True
            people = [victim, perpetrator]
            if has_children:
                for _ in range(rng.randint(1, 3)):
                    people.append(
                        {
                            **_person(rng, "child", rng.choice(["female", "male"]), today),
                            "name": f"{rng.choice(CHILD_NAMES)} {victim['name'].split(' ', 1)[1]}",
                            "date_of_birth": today - timedelta(days=rng.randint(200, 15 * 365)),
                            "school": rng.choice(SCHOOLS),
                            "relationship": "Child of both",
                        }
                    )
            person_ids = []
            for row in people:
                person = Person(case_id=case_id, **row)
                session.add(person)
                session.flush()
                person_ids.append(person.id)
            refuge = rng.random() < 0.4
            session.add(
                Address(
                    case_id=case_id,
                    person_id=person_ids[0],
                    confidential=refuge,
                    text=(
                        "Refuge address held by Idva – do not disclose"
                        if refuge
                        else f"{rng.randint(1, 120)} {rng.choice(STREETS)}, {rng.choice(AREAS)}"
                    ),
                )
            )
            victim["phone"] = f"07700 900{rng.randint(100, 999)}"
            expected = by_category.get("every_case", []) + (by_category.get("children", []) if has_children else [])
            statuses = {a.id: rng.choice(RETURN_MIX) for a in expected}
            statuses[police.id] = "returned"
            returning = [a for a in expected if statuses[a.id] == "returned"]
            return_rows = []
            for agency in expected:
                status = statuses[agency.id]
                requested = referral_date + timedelta(days=1)
                return_rows.append(
                    {
                        "case_id": case_id,
                        "agency_id": agency.id,
                        "status": status,
                        "requested_on": None if status == "not_requested" else requested,
                        "chased_on": requested + timedelta(days=4) if status == "chased" else None,
                        "chase_count": 1 if status == "chased" else 0,
                        "returned_on": min(requested + timedelta(days=rng.randint(2, 6)), today)
                        if status in ("returned", "nothing_known", "declined")
                        else None,
                        "representative": ""
                        if status in ("not_requested", "requested")
                        else f"{rng.choice(FIRST_NAMES_F + FIRST_NAMES_M)} ({agency.short_code})",
                        "note": "",
                        "version": 1,
                    }
                )
            _batched(session, AgencyReturn, return_rows)
            v_first = victim["name"].split(" ")[0]
            p_first = perpetrator["name"].split(" ")[0]
            entry_rows = []
            for index in range(entries_per_case):
                kind = kinds[index] if index < len(kinds) and number % 2 == 0 else rng.choice(kinds)
                agency = rng.choice(returning)
                day = referral_date - timedelta(days=rng.randint(0, 540))
                precision = rng.choices(["day", "month", "year"], [90, 8, 2])[0]
                if precision == "month":
                    day = day.replace(day=1)
                elif precision == "year":
                    day = day.replace(month=1, day=1)
                indicators = rng.sample(
                    INDICATORS_BY_TYPE.get(kind, []), k=min(len(INDICATORS_BY_TYPE.get(kind, [])), rng.randint(0, 2))
                )
                referred_to = (
                    rng.choice([a for a in agencies if a.id != agency.id]).id if kind == "referral_made" else None
                )
                shareable = rng.random() > 0.03
                entry_rows.append(
                    {
                        "case_id": case_id,
                        "agency_id": agency.id,
                        "event_date": day,
                        "date_precision": precision,
                        "date_approximate": rng.random() < 0.05,
                        "event_time": f"{rng.randint(0, 23):02d}:{rng.choice(['00', '15', '30', '45'])}"
                        if rng.random() < 0.4
                        else None,
                        "sequence": 0,
                        "source_ref": f"{agency.short_code}/{rng.randint(10000, 99999)}",
                        "recorded_by": f"{rng.choice(FIRST_NAMES_F + FIRST_NAMES_M)} ({agency.short_code})",
                        "subjects": ["victim", "perpetrator"]
                        if kind in ("incident", "counter_allegation", "breach")
                        else ["victim"],
                        "event_type": kind,
                        "summary": rng.choice(SUMMARIES[kind]).format(v=v_first, p=p_first),
                        "detail": "Officer noted the children were present upstairs.\nFollow-up visit booked."
                        if rng.random() < 0.2
                        else "",
                        "fact_or_opinion": "opinion" if rng.random() < 0.1 else "fact",
                        "risk_indicators": indicators,
                        "risk_level": rng.choice(["standard", "medium", "high"]) if kind == "risk_assessment" else None,
                        "referred_to_agency_id": referred_to,
                        "shareable": shareable,
                        "withheld_reason": "" if shareable else "Live police investigation",
                        "withdrawn_at": None,
                        "withdrawn_by_id": None,
                        "withdrawn_reason": "",
                        "created_by_id": actor.id,
                        "created_at": now,
                        "updated_by_id": actor.id,
                        "updated_at": now,
                        "version": 1,
                    }
                )
            _batched(session, ChronologyEntry, entry_rows)
            entry_total += len(entry_rows)
            if progress is not None:
                progress(number + 1, cases)
        audit.record(
            session,
            actor=actor,
            action="demo.generate",
            object_type="workspace",
            details={"cases": cases, "entries": entry_total, "seed": seed},
        )
    return DemoSummary(meetings=meeting_count, cases=cases, entries=entry_total)
