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
    CaseHearing,
    ChronologyEntry,
    MaracAction,
    Meeting,
    MeetingAttendance,
    Person,
    User,
)
from marac_prep.core.permissions import require
from marac_prep.demo.history import add_history

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
    "GRZEGORZEWSKI",
    "MACKINNON",
    "EVANS-BOWEN",
    "NOWAK",
    "ȚURCANU",
    "ÇELIK",
]
# Surnames whose form follows the person's gender: (masculine ending, feminine ending).
# Polish -ski/-ska, -cki/-cka, -dzki/-dzka; Lithuanian married form -as/-ienė.
_GENDERED_ENDINGS = (("SKI", "SKA"), ("CKI", "CKA"), ("DZKI", "DZKA"), ("AS", "IENĖ"))


def surname_for(surname: str, gender: str) -> str:
    """The form of `surname` (written in its masculine form) that a person of `gender` would
    carry: GRZEGORZEWSKI for a man, GRZEGORZEWSKA for a woman; others are unchanged."""
    for masculine, feminine in _GENDERED_ENDINGS:
        if surname.endswith(masculine):
            return surname[: -len(masculine)] + feminine if gender == "female" else surname
        if surname.endswith(feminine):
            return surname if gender == "female" else surname[: -len(feminine)] + masculine
    return surname


CHILD_NAMES_F = ["Lily", "Maja", "Ela", "Poppy", "Alys", "Hana"]
CHILD_NAMES_M = ["Oscar", "Tudor", "Osian", "Ayaan", "Kacper", "Jakub"]
SCHOOLS = ["Brookfield Primary", "St Aidan's Primary", "Millbrook Academy", "Ysgol y Dderwen", "Hillside Nursery"]
AREAS = ["Northmoor", "Eastbridge", "Westvale"]
STREETS = ["Alder Road", "Canal Street", "Heol y Bryn", "Orchard Close", "Station Parade", "Mill Lane"]

# What each agency would plausibly record: (event type, agency short codes, summary, indicators,
# referred-to agency code, needs children). {v} is the victim's first name, {p} the perpetrator's.
Template = tuple[str, tuple[str, ...], str, tuple[str, ...], str | None, bool]
TEMPLATES: tuple[Template, ...] = (
    (
        "incident",
        ("POL",),
        "Police called by neighbour; {p} shouting and banging doors, {v} had a cut lip.",
        ("injury", "frightened"),
        None,
        False,
    ),
    (
        "incident",
        ("POL",),
        "{p} arrested after damaging the front door of {v}'s address with a hammer.",
        ("weapons", "getting_worse"),
        None,
        False,
    ),
    (
        "incident",
        ("IDVA",),
        "{v} told {her} Idva that {p} pushed {vobj} into a wall during a row about money.",
        ("injury", "financial"),
        None,
        False,
    ),
    (
        "disclosure",
        ("HLTH",),
        "{v} disclosed to {her} GP that {p} checks {her} phone and controls {her} money.",
        ("controlling", "financial"),
        None,
        False,
    ),
    (
        "disclosure",
        ("EDU",),
        "{v} told the school's safeguarding lead {she} is frightened of {p} since the separation.",
        ("frightened", "separation"),
        None,
        True,
    ),
    (
        "disclosure",
        ("IDVA",),
        "{v} disclosed that {p} put {his} hands around {her} neck last month.",
        ("strangulation",),
        None,
        False,
    ),
    (
        "disclosure",
        ("MH",),
        "{v} told {her} care coordinator that {p} has threatened to kill {vobj} if {she} leaves.",
        ("threats_to_kill", "separation"),
        None,
        False,
    ),
    ("risk_assessment", ("POL",), "Dash completed by attending officer with {v}.", (), None, False),
    ("risk_assessment", ("IDVA",), "Dash reviewed with {v} at Idva appointment.", (), None, False),
    ("referral_made", ("POL",), "Referral sent to Children's Social Care about the children.", (), "CSC", True),
    ("referral_made", ("HLTH",), "GP referred {v} to the Idva service with {her} consent.", (), "IDVA", False),
    ("referral_made", ("POL",), "Referral sent to the Idva service after the call-out.", (), "IDVA", False),
    (
        "referral_received",
        ("IDVA",),
        "Referral about {v} received from police and allocated to an Idva.",
        (),
        None,
        False,
    ),
    (
        "referral_received",
        ("CSC",),
        "Referral about the children received from police; assessment opened.",
        (),
        None,
        True,
    ),
    (
        "referral_considered_not_made",
        ("HLTH", "MH", "HSG"),
        "Marac referral discussed at supervision; not made as {v} said things had calmed down.",
        (),
        None,
        False,
    ),
    (
        "call_out",
        ("POL",),
        "Police attended {v}'s address after a silent 999 call; {p} had left.",
        ("frightened",),
        None,
        False,
    ),
    (
        "ae_attendance",
        ("HLTH",),
        "{v} attended A&E with a wrist injury; said {she} tripped. {p} present throughout.",
        ("injury",),
        None,
        False,
    ),
    (
        "missed_appointment",
        ("HSG",),
        "{v} did not attend housing options appointment; new date offered by letter.",
        (),
        None,
        False,
    ),
    (
        "missed_appointment",
        ("HLTH",),
        "{v} missed an antenatal appointment; midwife phoned and rebooked.",
        ("pregnancy",),
        None,
        False,
    ),
    ("service_offered", ("IDVA",), "Idva support offered to {v} by phone; safety planning started.", (), None, False),
    ("service_offered", ("HSG",), "Sanctuary scheme offered to {v}: extra locks and a door viewer.", (), None, False),
    ("court_or_order", ("POL",), "{p} charged and bailed with conditions not to contact {v}.", (), None, False),
    (
        "court_or_order",
        ("PROB",),
        "{p} sentenced to a community order with a building better relationships requirement.",
        (),
        None,
        False,
    ),
    ("court_or_order", ("POL",), "Non-molestation order served on {p} by officers; {v} informed.", (), None, False),
    (
        "breach",
        ("POL",),
        "{p} seen outside {v}'s workplace in breach of bail conditions.",
        ("breached_orders", "stalking"),
        None,
        False,
    ),
    (
        "breach",
        ("PROB",),
        "{p} breached licence conditions by messaging {v} 40 times in a day.",
        ("breached_orders", "stalking"),
        None,
        False,
    ),
    (
        "counter_allegation",
        ("POL",),
        "{p} alleged {v} assaulted {him}; no injuries seen on {p}, marks on {v}'s arms.",
        (),
        None,
        False,
    ),
    (
        "safeguarding_action",
        ("CSC",),
        "Strategy discussion held for the children; child protection enquiry started.",
        (),
        None,
        True,
    ),
    ("safeguarding_action", ("ASC",), "Adult safeguarding concern raised for {v}; enquiry opened.", (), None, False),
    ("contact", ("IDVA",), "Welfare check by phone with {v}; no new concerns reported.", (), None, False),
    (
        "contact",
        ("SMS",),
        "{p} attended substance misuse review; said {he} is drinking more since the separation.",
        ("substance_mental_health",),
        None,
        False,
    ),
    ("contact", ("PROB",), "Supervision with {p}; {he} minimised the incidents and blamed {v}.", (), None, False),
    ("other", ("HSG",), "Repair request for the lock on {v}'s front door.", (), None, False),
    (
        "other",
        ("HSG",),
        "Repair to a broken internal door at {v}'s flat; tenant said it was an accident.",
        (),
        None,
        False,
    ),
    ("contact", ("HSG",), "Tenancy visit to {v}; rent arrears since {p} moved out, support offered.", (), None, False),
    ("contact", ("HLTH",), "Midwife booking appointment with {v}; routine enquiry about abuse made.", (), None, False),
    ("contact", ("HLTH",), "GP review with {v} for low mood and poor sleep; follow-up in two weeks.", (), None, False),
    ("other", ("EDU",), "Attendance of {v}'s children has fallen to 82% this term; letter sent home.", (), None, True),
    ("contact", ("EDU",), "Eldest child arrived late and upset; seen by the safeguarding lead.", (), None, True),
    (
        "incident",
        ("POL",),
        "{p} arrested for assault on {v}; released on bail not to contact {v}.",
        ("injury",),
        None,
        False,
    ),
)
DETAILS = (
    "Officer noted the children were present upstairs.\nFollow-up visit booked.",
    "Seen alone.\nSafety plan reviewed; safe contact times agreed.",
    "Information from the electronic record; the original notes are held by the team.",
)
RETURN_MIX = ["returned"] * 6 + ["nothing_known"] * 2 + ["chased", "requested", "not_requested", "declined"]


@dataclass(frozen=True)
class DemoSummary:
    """What a demo run wrote."""

    meetings: int
    cases: int
    entries: int
    earlier_cases: int = 0  # held meetings' cases of the first agenda's people (`demo.history`)


def _batched(session: Session, table: Any, rows: list[dict[str, Any]], size: int = 5000) -> None:
    for start in range(0, len(rows), size):
        session.execute(insert(table), rows[start : start + size])


def _person(
    rng: random.Random,
    role: str,
    gender: str,
    today: date,
    *,
    surname: str | None = None,
    ages: tuple[int, int] = (19, 55),
) -> dict[str, Any]:
    first = rng.choice(FIRST_NAMES_F if gender == "female" else FIRST_NAMES_M)
    age_days = rng.randint(ages[0] * 365, ages[1] * 365)
    return {
        "role": role,
        "name": f"{first} {surname_for(surname or rng.choice(SURNAMES), gender)}",
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


def _people(rng: random.Random, has_children: bool, today: date) -> list[dict[str, Any]]:
    """A victim, the perpetrator and (if `has_children`) their children: parents of children
    are 20 to 44, every child at least 16 years younger than both parents, and surnames take
    each person's form (a married couple and their children share one family name)."""
    ages = (20, 44) if has_children else (19, 55)
    family = rng.choice(SURNAMES)
    married = rng.random() < 0.5
    victim = _person(rng, "victim", "female" if rng.random() < 0.9 else "male", today, surname=family, ages=ages)
    victim["phone"] = f"07700 900{rng.randint(100, 999)}"
    victim["safe_to_call"] = rng.random() < 0.6
    perpetrator = _person(
        rng,
        "perpetrator",
        "male" if victim["gender"] == "female" else "female",
        today,
        surname=family if married else None,
        ages=ages,
    )
    spouse = ["Husband", "Ex-husband"] if perpetrator["gender"] == "male" else ["Wife", "Ex-wife"]
    perpetrator["relationship"] = rng.choice(spouse if married else ["Ex-partner", "Partner"])
    perpetrator["must_not_receive_information"] = True
    people = [victim, perpetrator]
    youngest_parent = min(today - victim["date_of_birth"], today - perpetrator["date_of_birth"])
    oldest_child_days = min(15 * 365, youngest_parent.days - 16 * 365 - 30)
    for _ in range(rng.randint(1, 3) if has_children else 0):
        gender = rng.choice(["female", "male"])
        child = _person(rng, "child", gender, today)
        child.update(
            name=f"{rng.choice(CHILD_NAMES_F if gender == 'female' else CHILD_NAMES_M)} {surname_for(family, gender)}",
            date_of_birth=today - timedelta(days=rng.randint(200, max(200, oldest_child_days))),
            school=rng.choice(SCHOOLS),
            relationship="Child of both",
        )
        people.append(child)
    return people


# Roughly the shape of referrals in an English area: most victims White British, some in each other
# group, and a share of every field not recorded (the quarterly return counts those apart).
_ETHNICITIES = (
    ("White British", 58), ("White other", 9), ("Asian or Asian British", 8),
    ("Black, Black British, Caribbean or African", 5), ("Mixed or multiple ethnic groups", 3),
    ("Gypsy, Roma or Irish Traveller", 1), ("Other ethnic group", 2), ("", 14),
)
_DISABILITIES = (
    ("No disability", 66), ("Mental health condition", 8), ("Physical disability", 4), ("Learning disability", 2),
    ("Sensory impairment", 1), ("", 19),
)


def record_diversity(rng: random.Random, people: list[dict[str, Any]], *, leave_unrecorded: bool = False) -> None:
    """Ethnicity, disability and LGBT+ for the victim and perpetrator, some not recorded (all of
    them with `leave_unrecorded`, as on a hurried referral). Drawn from their own random stream, so
    the rest of the workspace is the same as before they were."""
    for person in people:
        if person["role"] not in ("victim", "perpetrator"):
            continue
        labels, weights = zip(*_ETHNICITIES, strict=True)
        person["ethnicity"] = rng.choices(labels, weights)[0]
        labels, weights = zip(*_DISABILITIES, strict=True)
        person["disability"] = rng.choices(labels, weights)[0]
        person["lgbt"] = rng.choices([False, True, None], [78, 5, 17])[0]
        if leave_unrecorded:
            person.update(ethnicity="", disability="", lgbt=None)


def _referrer(drawn: Agency, police: Agency, rng: random.Random) -> Agency:
    """About two referrals in three come from the police, as nationally (SafeLives: 36 % from
    other agencies); the rest from the agency first drawn."""
    return police if rng.random() < 0.55 else drawn


def _pronouns(victim: str, perpetrator: str) -> dict[str, str]:
    """{she}/{her}/{vobj} name the victim, {he}/{him}/{his} the perpetrator, in the templates."""
    f_v, f_p = victim == "female", perpetrator == "female"
    return {
        "she": "she" if f_v else "he",
        "her": "her" if f_v else "his",
        "vobj": "her" if f_v else "him",
        "he": "she" if f_p else "he",
        "him": "her" if f_p else "him",
        "his": "her" if f_p else "his",
    }


def _address(rng: random.Random) -> tuple[str, bool]:
    """A fictional address; four in ten are confidential (a refuge or a safe house)."""
    street = f"{rng.randint(1, 120)} {rng.choice(STREETS)}, {rng.choice(AREAS)}"
    if rng.random() < 0.4:
        return f"Flat {rng.randint(1, 9)}, {street} (refuge)", True
    return street, False


def _entry_plan(
    rng: random.Random, count: int, *, every_kind: bool, has_children: bool, returning: set[str]
) -> list[Template]:
    """Which templates a case's entries use: every event type first (on some cases), then a mix
    weighted towards agencies that have returned."""
    usable = [t for t in TEMPLATES if has_children or not t[5]]
    plan: list[Template] = []
    if every_kind:
        for kind in dict.fromkeys(t[0] for t in usable):
            options = [t for t in usable if t[0] == kind]
            preferred = [t for t in options if returning & set(t[1])]
            plan.append(rng.choice(preferred or options))
    preferred = [t for t in usable if returning & set(t[1])]
    while len(plan) < count:
        plan.append(rng.choice(preferred or usable))
    return plan[:count]


def _day_in_past(rng: random.Random, before: date) -> tuple[date, str]:
    day = before - timedelta(days=rng.randint(0, 540))
    precision = rng.choices(["day", "month", "year"], [90, 8, 2])[0]
    if precision == "month":
        day = day.replace(day=1)
    elif precision == "year":
        day = day.replace(month=1, day=1)
    return day, precision


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
    diversity_rng = random.Random(seed + 1004)  # a spread with some of each on the default demo
    today = today or date.today()
    now = datetime.now(UTC)
    with unit_of_work(session):
        require(actor, "manage_meeting")
        agencies = list(session.exec(select(Agency).where(Agency.active)).all())
        by_code = {a.short_code: a for a in agencies}
        police = by_code["POL"]
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
        first_case: Case | None = None
        first_people: list[dict[str, Any]] = []
        for number in range(cases):
            meeting_date = today + timedelta(days=7 - 14 * (number // 25))
            referral_date = min(meeting_date - timedelta(days=rng.randint(8, 20)), today)
            has_children = rng.random() < 0.55
            score = rng.choice([rng.randint(14, 20), rng.randint(9, 13), rng.randint(15, 22)])
            criteria = ["visible_high_risk"] if score >= 14 else ["professional_judgement"]
            if rng.random() < 0.2:
                criteria.append("potential_escalation")
            consent = rng.random() < 0.7
            case = Case(
                reference=f"MAR-{referral_date.year}-{existing + number + 1:05d}",
                meeting_id=meeting_ids[number // 25],
                referral_date=referral_date,
                referring_agency_id=_referrer(rng.choice([police, police, *agencies]), police, diversity_rng).id or 0,
                criteria=sorted(criteria),
                dash_score=score,
                repeat=rng.random() < 0.3,
                victim_aware=True,
                victim_consent=consent,
                consent_reason=""
                if consent
                else "Risk of serious harm to the victim and children; sharing is necessary and proportionate.",
            )
            session.add(case)
            session.flush()
            case_id = case.id or 0
            people = _people(rng, has_children, today)
            record_diversity(diversity_rng, people, leave_unrecorded=number % 6 == 5)
            if number == 0:
                first_case, first_people = case, people
            v_first, p_first = (person["name"].split(" ")[0] for person in people[:2])
            pronouns = _pronouns(people[0]["gender"], people[1]["gender"])
            person_ids = []
            for row in people:
                person = Person(case_id=case_id, **row)
                session.add(person)
                session.flush()
                person_ids.append(person.id)
            text, confidential = _address(rng)
            session.add(Address(case_id=case_id, person_id=person_ids[0], text=text, confidential=confidential))

            expected = [
                a for a in agencies if a.category == "every_case" or (has_children and a.category == "children")
            ]
            statuses = {a.short_code: rng.choice(RETURN_MIX) for a in expected}
            statuses["POL"] = "returned"
            returning = {code for code, status in statuses.items() if status == "returned"}
            plan = _entry_plan(
                rng, entries_per_case, every_kind=number % 2 == 0, has_children=has_children, returning=returning
            )
            entry_rows = []
            for kind, codes, summary, indicators, referred, _children in plan:
                code = rng.choice([c for c in codes if c in returning] or list(codes))
                agency = by_code.get(code, police)
                # An agency with entries has returned information, whatever the dice said.
                statuses[agency.short_code] = "returned"
                day, precision = _day_in_past(rng, referral_date)
                shareable = rng.random() > 0.03
                entry_rows.append(
                    {
                        "case_id": case_id,
                        "agency_id": agency.id,
                        "event_date": day,
                        "date_precision": precision,
                        "date_approximate": rng.random() < 0.05,
                        "event_time": f"{rng.randint(0, 23):02d}:{rng.choice(['00', '15', '30', '45'])}"
                        if precision == "day" and rng.random() < 0.4
                        else None,
                        "sequence": 0,
                        "source_ref": f"{agency.short_code}/{rng.randint(10000, 99999)}",
                        "recorded_by": f"{rng.choice(FIRST_NAMES_F + FIRST_NAMES_M)} ({agency.short_code})",
                        "subjects": ["victim", "perpetrator"]
                        if kind in ("incident", "counter_allegation", "breach")
                        else ["victim"],
                        "event_type": kind,
                        "summary": summary.format(v=v_first, p=p_first, **pronouns),
                        "detail": rng.choice(DETAILS) if rng.random() < 0.2 else "",
                        "fact_or_opinion": "opinion" if rng.random() < 0.1 else "fact",
                        "risk_indicators": list(indicators),
                        "risk_level": rng.choice(["standard", "medium", "high"]) if kind == "risk_assessment" else None,
                        "referred_to_agency_id": by_code[referred].id if referred in by_code else None,
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
            _batched(session, AgencyReturn, _return_rows(rng, case_id, expected, statuses, referral_date, today))
            if progress is not None:
                progress(number + 1, cases)
        earlier = add_history(
            session,
            rng=random.Random(seed + 1),
            meeting_id=meeting_ids[0] or 0,
            today=today,
            agencies=agencies,
            created_by=actor.id,
            now=now,
        )
        past = 0
        if first_case is not None:
            _past_meeting_with_actions(session, by_code, first_case, first_people, today=today, now=now)
            past = 1
        _running_order(session, meeting_ids[0] or 0)
        audit.record(
            session,
            actor=actor,
            action="demo.generate",
            object_type="workspace",
            details={"cases": cases, "entries": entry_total, "seed": seed},
        )
    # The past meeting with actions (issue 18) is one more meeting and one more earlier case.
    return DemoSummary(
        meetings=meeting_count + (2 if earlier else 0) + past, cases=cases, entries=entry_total,
        earlier_cases=earlier + past,
    )


def _running_order(session: Session, meeting_id: int, *, start: int = 10 * 60, minutes: int = 15) -> None:
    """The upcoming meeting's running order: its cases in agenda order, a 15-minute slot each from
    10:00, so the pack's agenda and meeting mode's clock show time slots."""
    from marac_prep.core.cases import cases_for_meeting

    for position, case in enumerate(cases_for_meeting(session, meeting_id), start=1):
        at = start + (position - 1) * minutes
        session.add(CaseHearing(meeting_id=meeting_id, case_id=case.id or 0, position=position,
                                start_time=f"{at // 60:02d}:{at % 60:02d}", duration_minutes=minutes))
    session.flush()


def _past_meeting_with_actions(
    session: Session, by_code: dict[str, Agency], repeat_of: Case, people: list[dict[str, Any]], *,
    today: date, now: datetime,
) -> None:
    """An earlier Marac, held five weeks ago, that heard the first upcoming case's victim before:
    attendance and apologies, the running order with the agreed level and a note, and actions in
    every status (so the repeat case shows an action the agency did not complete)."""
    held = today - timedelta(days=35)
    meeting = Meeting(meeting_date=held, area=AREAS[0], status="held")
    session.add(meeting)
    session.flush()
    earlier = Case(
        reference=f"{repeat_of.reference}-P", meeting_id=meeting.id, referral_date=held - timedelta(days=12),
        referring_agency_id=by_code["POL"].id or 0, criteria=["visible_high_risk"], dash_score=16,
        victim_aware=True, victim_consent=True, status="discussed",
    )
    session.add(earlier)
    session.flush()
    for row in people[:2]:  # the same victim and perpetrator
        session.add(Person(case_id=earlier.id or 0, **row))
    meeting_id, case_id = meeting.id or 0, earlier.id or 0
    for name, code, role, attendance, sent in (
        ("Bethan Rees", "POL", "chair", "present", None),
        ("Seren Hughes", "IDVA", "representative", "present", None),
        ("Huw Price", "HSG", "representative", "present", None),
        ("Dr Owain Jones", "HLTH", "representative", "apologies", True),
        ("Carys Morgan", "PROB", "representative", "apologies", False),
    ):
        session.add(MeetingAttendance(
            meeting_id=meeting_id, agency_id=by_code[code].id if code in by_code else None, person_name=name,
            role=role, attendance=attendance, information_sent=sent, confidentiality_agreed=attendance == "present",
        ))
    session.add(CaseHearing(
        meeting_id=meeting_id, case_id=case_id, position=1, start_time="10:00", duration_minutes=20,
        agreed_risk_level="high", discussion_note="Fictional: safety plan agreed with the victim through the Idva.",
    ))
    plans = (
        ("POL", "PC Dafydd Evans", "Flag the victim's address for an urgent response.", 7, "done",
         "Address flagged on the command system.", ["victim", "child"]),
        ("HSG", "Huw Price", "Fit a door lock and a door chain within two weeks.", 14, "not_done_agency",
         "No contractor was booked.", ["victim"]),
        ("HLTH", "Dr Owain Jones", "Offer the victim a GP appointment to talk about her health.", 21,
         "not_done_circumstances", "She moved to another practice's area.", ["victim"]),
        ("PROB", "Carys Morgan", "Review the perpetrator's licence conditions with the offender manager.", 21,
         "open", "", ["perpetrator"]),
        ("IDVA", "Seren Hughes", "Keep in weekly contact with the victim until the next review.", 60, "open", "",
         ["victim", "child"]),
    )
    for code, owner, text, due_in, status, outcome, protects in plans:
        agency = by_code.get(code)
        if agency is None:
            continue
        due = held + timedelta(days=due_in)
        session.add(MaracAction(
            meeting_id=meeting_id, case_id=case_id, agency_id=agency.id or 0, owner=owner, text=text,
            due_date=due, protects=protects, status=status,
            done_on=due - timedelta(days=2) if status == "done" else None, outcome=outcome,
            status_reported_on=min(due + timedelta(days=1), today) if status != "open" else None,
            status_reported_by_name=owner if status != "open" else "", created_at=now,
        ))
    session.flush()


def _return_rows(
    rng: random.Random, case_id: int, expected: list[Agency], statuses: dict[str, str], referral: date, today: date
) -> list[dict[str, Any]]:
    rows = []
    for agency in expected:
        status = statuses[agency.short_code]
        requested = min(referral + timedelta(days=1), today)  # nothing in the demo is dated in the future
        rows.append(
            {
                "case_id": case_id,
                "agency_id": agency.id,
                "status": status,
                "requested_on": None if status == "not_requested" else requested,
                "chased_on": min(requested + timedelta(days=4), today) if status == "chased" else None,
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
    return rows
