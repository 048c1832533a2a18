"""The pack shows a repeat as the gap analysis and the app do: by the person matcher, possible until
confirmed, on the agenda, the case title and the front sheet, never naming another case's victim."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from marac_prep.core.models import Case, Person
from marac_prep.core.people import decide_match
from marac_prep.pack import export_pack
from tests.factories import Workspace

DOB = date(1988, 6, 14)
PERPETRATOR = "Darren FENWICK"
PERPETRATOR_DOB = date(1985, 3, 3)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def page_texts(path: Path) -> list[str]:
    return [squash(page.extract_text() or "") for page in PdfReader(str(path)).pages]


def agenda_row(texts: list[str], reference: str, following: str | None) -> str:
    agenda = next(t for t in texts if "Agenda" in t and "Pages: where each case" in t)
    row = agenda.split(reference, 1)[1]
    return row.split(following, 1)[0] if following else row.split("Pages:", 1)[0]


def front_sheet(texts: list[str], reference: str) -> str:
    return next(t for t in texts if re.search(rf"Case \d of \d: {reference}\b", t))


@pytest.fixture
def meeting_cases(ws: Workspace) -> tuple[Case, Case, Case]:
    """Katherine, referred now, was Catherine (same date of birth, same perpetrator) 210 days ago;
    the perpetrator also had another victim; and a control case that is nobody's repeat."""
    held = ws.meeting(days_ahead=-200)
    earlier = ws.case(held, reference="MAR-OLD-0101", victim="Catherine HOLLOWAY", victim_dob=DOB,
                      perpetrator=PERPETRATOR, perpetrator_dob=PERPETRATOR_DOB, referral_days_ago=210)
    ws.case(held, reference="MAR-OLD-0102", victim="Bronwen ASHCROFT", victim_dob=date(1991, 8, 30),
            perpetrator=PERPETRATOR, perpetrator_dob=PERPETRATOR_DOB, referral_days_ago=205)
    meeting = ws.meeting()
    repeat = ws.case(meeting, reference="MAR-NOW-0201", victim="Katherine HOLLOWAY", victim_dob=DOB,
                     perpetrator=PERPETRATOR, perpetrator_dob=PERPETRATOR_DOB)
    control = ws.case(meeting, reference="MAR-NOW-0202", victim="Priya RAMANATHAN", victim_dob=date(1992, 11, 2),
                      perpetrator="Owen TALBOT", perpetrator_dob=date(1990, 1, 1))
    return earlier, repeat, control


def _pack(ws: Workspace, session: Session, case: Case, path: Path) -> list[str]:
    export_pack(session, actor=ws.coordinator, meeting_id=case.meeting_id, destination=path)
    return page_texts(path)


def test_a_spelling_variant_is_a_possible_repeat_on_the_agenda_and_front_sheet(
    ws: Workspace, session: Session, meeting_cases: tuple[Case, Case, Case], tmp_path: Path
) -> None:
    _, repeat, control = meeting_cases
    texts = _pack(ws, session, repeat, tmp_path / "pack.pdf")

    assert "Possible repeat" in agenda_row(texts, repeat.reference, control.reference)
    control_row = agenda_row(texts, control.reference, None)
    assert "repeat" not in control_row.casefold() and " No " in f" {control_row} "

    front = front_sheet(texts, repeat.reference)
    assert f"{repeat.reference} – POSSIBLE REPEAT" in front
    history = front.split("Repeat and history", 1)[1]
    assert "POSSIBLE REPEAT – same victim and perpetrator as MAR-OLD-0101" in history
    assert "not yet confirmed" in history
    assert "MAR-OLD-0102" in history  # the perpetrator's other case, by reference and date only
    # The findings say the same thing as the summary.
    assert any("Repeat: MAR-OLD-0101" in t for t in texts)
    # Another case's victim is never named, and neither is the earlier spelling of this one.
    whole = " ".join(texts)
    assert "ASHCROFT" not in whole and "Bronwen" not in whole and "Catherine" not in whole

    control_front = front_sheet(texts, control.reference)
    assert "REPEAT" not in control_front
    assert "Not a repeat" in control_front.split("Repeat and history", 1)[1]
    assert "No earlier Marac case" in control_front


def test_a_confirmed_match_makes_it_a_repeat(
    ws: Workspace, session: Session, meeting_cases: tuple[Case, Case, Case], tmp_path: Path
) -> None:
    earlier, repeat, control = meeting_cases

    def victim(case: Case) -> Person:
        return session.exec(select(Person).where(Person.case_id == case.id, Person.role == "victim")).one()

    def perpetrator(case: Case) -> Person:
        return session.exec(select(Person).where(Person.case_id == case.id, Person.role == "perpetrator")).one()

    for who in (victim, perpetrator):
        decide_match(session, actor=ws.coordinator, person_id=who(repeat).id, other_person_id=who(earlier).id,
                     same=True)
    texts = _pack(ws, session, repeat, tmp_path / "pack.pdf")

    row = agenda_row(texts, repeat.reference, control.reference)
    assert "Repeat" in row and "Possible" not in row
    front = front_sheet(texts, repeat.reference)
    assert f"{repeat.reference} – REPEAT" in front and "POSSIBLE" not in front
    assert "REPEAT – same victim and perpetrator as MAR-OLD-0101" in front


def test_a_one_case_pack_reads_the_same_history(
    ws: Workspace, session: Session, meeting_cases: tuple[Case, Case, Case], tmp_path: Path
) -> None:
    _, repeat, _ = meeting_cases
    path = tmp_path / "case.pdf"
    export_pack(session, actor=ws.coordinator, meeting_id=repeat.meeting_id, case_reference=repeat.reference,
                destination=path)
    texts = page_texts(path)
    assert "Possible repeat" in agenda_row(texts, repeat.reference, None)
    front = front_sheet(texts, repeat.reference)
    assert "POSSIBLE REPEAT – same victim and perpetrator as MAR-OLD-0101" in front


def test_a_repeat_marked_on_the_referral_with_no_earlier_case_here_says_so_without_contradiction(
    ws: Workspace, session: Session, tmp_path: Path
) -> None:
    meeting = ws.meeting()
    marked = ws.case(meeting, reference="MAR-NOW-0301", victim="Ffion PARRY", victim_dob=date(1990, 4, 4),
                     perpetrator="Gareth MILES", perpetrator_dob=date(1987, 7, 7), repeat=True)
    history = front_sheet(_pack(ws, session, marked, tmp_path / "pack.pdf"), marked.reference)
    history = history.split("Repeat and history", 1)[1]
    assert "REPEAT – marked on the referral" in history
    assert "No earlier Marac case of this case's people is held here; the referral says there was one." in history
    assert "No earlier Marac case of this case's people found" not in history
