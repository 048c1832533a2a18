"""Earlier Marac cases for the demo: a repeat spelled differently, a perpetrator with another victim,
and a victim seen more than 12 months ago – so the person matching shows on `marac-prep --demo`."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from marac_prep.core.matching import MatchSettings, PersonFacts, compare, fold
from marac_prep.core.models import Agency, AgencyReturn, Case, ChronologyEntry, Meeting, Person

# How another agency might have written the same name (each is a variant the matcher knows).
_FIRST_VARIANTS = {
    "Zofia": "Zosia",
    "Siobhan": "Shivaun",
    "Aisha": "Ayesha",
    "Priya": "Preeya",
    "Małgorzata": "Gosia",
    "Ioana": "Joanna",
    "Rūta": "Ruta",
    "Şule": "Sule",
    "Elif": "Elif",
    "Daniel": "Danny",
    "Rhys": "Reece",
    "Tomasz": "Thomas",
    "Mihai": "Michael",
    "Łukasz": "Lukasz",
    "Ömer": "Omer",
}
_SURNAME_VARIANTS = {
    "KAZLAUSKAS": "Kazlauskienė",
    "GRZEGORZEWSKA": "Grzegorzewski",
    "O'DONNELL": "ODonnell",
    "EVANS-BOWEN": "Bowen",
    "MACKINNON": "McKinnon",
    "LLEWELYN": "Llewellyn",
    "PRITCHARD": "Prichard",
}
_OTHER_VICTIM = ("Ffion HOLLOWAY", date(1994, 8, 17))


def spelled_differently(name: str, *, female: bool) -> str:
    """The name as another agency might have recorded it: a variant first name, a gendered or
    simplified surname, accents dropped."""
    words = name.split(" ", 1)
    if len(words) < 2:
        return fold(name).title()
    first, surname = words
    first = _FIRST_VARIANTS.get(first, fold(first).title())
    if surname == "KAZLAUSKAS" and not female:
        surname_text = fold(surname).title()
    else:
        surname_text = _SURNAME_VARIANTS.get(surname, fold(surname).title())
    return f"{first} {surname_text}"


def _variant(person: Person, threshold: float) -> tuple[str, date | None]:
    """A spelling the matcher still offers as a possible match (else the accents-only spelling)."""
    name = spelled_differently(person.name, female=person.gender == "female")
    dob = person.date_of_birth
    if dob is not None and dob.day <= 12 and dob.day != dob.month:
        dob = dob.replace(day=dob.month, month=dob.day)  # day and month transposed on the old referral
    for candidate, born in ((name, dob), (name, person.date_of_birth), (fold(person.name).title(), dob)):
        if compare(PersonFacts(person.name, (), person.date_of_birth), PersonFacts(candidate, (), born)).score >= (
            threshold
        ):
            return candidate, born
    return person.name, person.date_of_birth


def add_history(
    session: Session,
    *,
    rng: random.Random,
    meeting_id: int,
    today: date,
    agencies: list[Agency],
    created_by: int | None,
    now: Any,
) -> int:
    """Adds a held meeting about five months back with earlier cases of the first agenda's people:
    returns how many cases it wrote (0 when the agenda has fewer than three cases)."""
    cases = list(session.exec(select(Case).where(Case.meeting_id == meeting_id).order_by(col(Case.id))).all())
    if len(cases) < 3:
        return 0
    threshold = MatchSettings.from_settings().threshold
    cast_of = {
        c.id: {p.role: p for p in session.exec(select(Person).where(Person.case_id == c.id)).all()} for c in cases
    }

    def telling(role: str) -> int:
        """The first agenda case whose `role` another agency would spell visibly differently."""
        for c in cases:
            person = cast_of[c.id].get(role)
            if person is not None and c.id not in chosen:
                name, _born = _variant(person, threshold)
                if fold(name).replace(" ", "") != fold(person.name).replace(" ", "").replace("'", ""):
                    return c.id or 0
        return next(c.id or 0 for c in cases if c.id not in chosen)

    chosen: list[int] = []
    chosen.append(telling("victim"))
    chosen.append(telling("perpetrator"))
    chosen.append(next(c.id or 0 for c in cases if c.id not in chosen))
    people = {case_id: cast_of[case_id] for case_id in chosen}
    by_code = {a.short_code: a for a in agencies}
    earlier_meeting = Meeting(meeting_date=today - timedelta(days=150), area="Northmoor", status="held")
    session.add(earlier_meeting)
    session.flush()
    long_ago = Meeting(meeting_date=today - timedelta(days=420), area="Northmoor", status="held")
    session.add(long_ago)
    session.flush()
    plans: list[tuple[Meeting, int, list[tuple[str, str, date | None, Person | None]]]] = []
    # 1. A repeat: the same victim and perpetrator, the victim's name spelled differently.
    first = people[chosen[0]]
    plans.append(
        (
            earlier_meeting,
            160,
            [
                ("victim", *_variant(first["victim"], threshold), first["victim"]),
                ("perpetrator", first["perpetrator"].name, first["perpetrator"].date_of_birth, first["perpetrator"]),
            ],
        )
    )
    # 2. A serial perpetrator: the second case's perpetrator, with another (fictional) victim.
    second = people[chosen[1]]
    plans.append(
        (
            earlier_meeting,
            170,
            [
                ("victim", *_OTHER_VICTIM, None),
                ("perpetrator", *_variant(second["perpetrator"], threshold), second["perpetrator"]),
            ],
        )
    )
    # 3. More than 12 months ago: the third case's victim and perpetrator, a new referral now.
    third = people[chosen[2]]
    plans.append(
        (
            long_ago,
            430,
            [
                ("victim", third["victim"].name, third["victim"].date_of_birth, third["victim"]),
                ("perpetrator", third["perpetrator"].name, third["perpetrator"].date_of_birth, third["perpetrator"]),
            ],
        )
    )
    existing = len(session.exec(select(Case.id)).all())
    police = by_code.get("POL", agencies[0])
    for number, (meeting, days_ago, cast) in enumerate(plans):
        referral = today - timedelta(days=days_ago)
        case = Case(
            reference=f"MAR-{referral.year}-{existing + number + 1:05d}",
            meeting_id=meeting.id,
            referral_date=referral,
            referring_agency_id=police.id or 0,
            criteria=["visible_high_risk"],
            dash_score=rng.randint(14, 19),
            victim_aware=True,
            victim_consent=True,
            status="discussed",
        )
        session.add(case)
        session.flush()
        for role, name, born, source in cast:
            session.add(
                Person(
                    case_id=case.id or 0,
                    role=role,
                    name=name,
                    date_of_birth=born,
                    gender=source.gender if source is not None else "female",
                    relationship=source.relationship if source is not None and role == "perpetrator" else "",
                    must_not_receive_information=role == "perpetrator",
                    phone=f"07700 900{rng.randint(100, 999)}" if role == "victim" else "",
                    safe_to_call=rng.random() < 0.6 if role == "victim" else None,
                )
            )
        victim_first = cast[0][1].split(" ")[0]
        for kind, code, summary, offset in (
            ("incident", "POL", f"Police attended; {victim_first} reported being assaulted at home.", 12),
            (
                "referral_received",
                "IDVA",
                f"Idva service received the referral; safety plan agreed with {victim_first}.",
                6,
            ),
        ):
            agency = by_code.get(code, police)
            session.add(
                ChronologyEntry(
                    case_id=case.id or 0,
                    agency_id=agency.id or 0,
                    event_date=referral - timedelta(days=offset),
                    subjects=["victim", "perpetrator"] if kind == "incident" else ["victim"],
                    event_type=kind,
                    summary=summary,
                    created_by_id=created_by,
                    created_at=now,
                    updated_by_id=created_by,
                    updated_at=now,
                )
            )
        for agency in agencies:
            if agency.category == "every_case":
                session.add(
                    AgencyReturn(
                        case_id=case.id or 0,
                        agency_id=agency.id or 0,
                        status="returned" if agency.short_code in ("POL", "IDVA") else "nothing_known",
                        requested_on=referral + timedelta(days=1),
                        returned_on=referral + timedelta(days=5),
                    )
                )
    session.flush()
    return len(plans)
