"""Two desks in two processes save the same record at the same moment: nothing is lost.

Each round both desks read the record (seeing the same version), then both are told to save at
once. Exactly one save may win; the other must be refused with the conflict message. A round in
which both report "saved" is a lost update (the first desk's change silently overwritten).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from marac_prep.core.audit import verify_chain
from marac_prep.core.db import Database
from marac_prep.core.models import AgencyReturn, Case, ChronologyEntry, Meeting, Person, Setting
from marac_prep.core.returns import set_return

DESK = Path(__file__).with_name("race_process.py")
ROUNDS = 40


class Desk:
    """One copy of the app in its own process, driven line by line."""

    def __init__(self, location: str, user_id: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(DESK), location, str(user_id)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )
        assert self.answer() == "ready"

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def answer(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def ask(self, line: str) -> str:
        self.send(line)
        return self.answer()

    def close(self) -> None:
        try:
            self.send("quit")
            self.proc.wait(timeout=30)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(timeout=30)
        finally:
            for pipe in (self.proc.stdin, self.proc.stdout):
                if pipe is not None:
                    pipe.close()


@pytest.fixture
def desks(db: Database, ws) -> Iterator[tuple[Desk, Desk]]:
    location = db.location if db.is_sqlite else db.engine.url.render_as_string(hide_password=False)
    pair = (Desk(location, ws.coordinator.id), Desk(location, ws.coordinator.id))
    yield pair
    for desk in pair:
        desk.close()


def _race(desks: tuple[Desk, Desk], kind: str, row_id: int) -> list[tuple[str, str, str]]:
    """Runs the rounds; returns each round's (answer of desk 0, answer of desk 1, winning text)."""
    rounds = []
    for n in range(ROUNDS):
        seen = [desk.ask(f"read {kind} {row_id}") for desk in desks]
        assert seen[0] == seen[1], seen
        for i, desk in enumerate(desks):
            desk.send(f"write {kind} {row_id} {seen[i]} round-{n}-desk-{i}")
        answers = [desk.answer() for desk in desks]
        assert all(a in ("saved", "conflict") for a in answers), answers
        winner = next((f"round-{n}-desk-{i}" for i, a in enumerate(answers) if a == "saved"), "")
        rounds.append((answers[0], answers[1], winner))
    return rounds


def _check(rounds: list[tuple[str, str, str]], db: Database, kind: str, stored_text: str) -> None:
    lost = sum(1 for a, b, _w in rounds if a == b == "saved")
    assert lost == 0, f"{lost} of {ROUNDS} rounds lost an update of the {kind}"
    assert all(sorted((a, b)) == ["conflict", "saved"] for a, b, _w in rounds)
    assert stored_text == rounds[-1][2]
    with db.read_session() as s:
        assert verify_chain(s).ok


@pytest.mark.parametrize("kind", ["case", "meeting", "return", "entry", "person"])
def test_two_desks_saving_the_same_record_lose_nothing(db, ws, desks, kind):
    meeting = ws.meeting()
    case = ws.case(meeting)
    entry = ws.entry(case, "POL")
    record = set_return(ws.session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["HSG"].id,
                        status="requested")
    person = ws.session.exec(select(Person).where(Person.case_id == case.id, Person.role == "perpetrator")).one()
    row_id = {"case": case.id, "meeting": meeting.id, "return": record.id, "entry": entry.id,
              "person": person.id}[kind]
    ws.session.commit()  # the setup's session lets go of the database before the desks start
    rounds = _race(desks, kind, row_id)
    with db.read_session() as s:
        stored = {
            "case": lambda: s.get(Case, case.id).criteria_notes,
            "meeting": lambda: s.get(Meeting, meeting.id).area,
            "return": lambda: s.get(AgencyReturn, record.id).note,
            "entry": lambda: s.get(ChronologyEntry, entry.id).summary,
            "person": lambda: s.get(Person, person.id).name,
        }[kind]()
        version = s.get({"case": Case, "meeting": Meeting, "return": AgencyReturn, "entry": ChronologyEntry,
                         "person": Person}[kind], row_id).version
    _check(rounds, db, kind, stored)
    assert version == 1 + ROUNDS


def test_two_coordinators_changing_a_setting_at_once_lose_nothing(db, ws, desks):
    from marac_prep.core.settings import set_setting

    set_setting(ws.session, actor=ws.coordinator, name="default_marking", value="OFFICIAL-SENSITIVE: start")
    ws.session.commit()
    rounds = _race(desks, "setting", "default_marking")
    with db.read_session() as s:
        stored = s.get(Setting, "default_marking")
        _check(rounds, db, "setting", stored.value)
        assert stored.version == 1 + ROUNDS


def test_two_desks_chasing_at_once_count_every_chase(db, ws, desks):
    """A chase without a version: each saved chase is counted, none is silently dropped."""
    case = ws.case(ws.meeting())
    agency_id = ws.agency["HSG"].id
    set_return(ws.session, actor=ws.coordinator, case_id=case.id, agency_id=agency_id, status="requested")
    ws.session.commit()
    saved = 0
    for _ in range(ROUNDS):
        for desk in desks:
            desk.send(f"chase {case.id} {agency_id}")
        answers = [desk.answer() for desk in desks]
        assert all(a in ("saved", "conflict") for a in answers), answers
        saved += answers.count("saved")
    with db.read_session() as s:
        record = s.exec(select(AgencyReturn).where(AgencyReturn.case_id == case.id)).one()
        assert record.chase_count == saved


def _return_file(path: Path, reference: str, tag: str, rows: int) -> Path:
    lines = ["case_reference,agency,date,event_type,summary"]
    for i in range(rows):
        when = date.today() - timedelta(days=1 + i)
        lines.append(f"{reference},Housing,{when:%d/%m/%Y},incident,Fictional visit {tag} number {i}.")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_same_file_imported_twice_at_once_is_stored_once(db, ws, desks, tmp_path):
    meeting = ws.meeting()
    case = ws.case(meeting)
    rows = 25
    ws.session.commit()
    for n in range(ROUNDS):
        path = _return_file(tmp_path / f"housing-{n}.csv", case.reference, f"r{n}", rows)
        for desk in desks:
            desk.send(f"import {meeting.id} {path}")
        answers = [desk.answer() for desk in desks]
        assert sorted(answers) == ["0", str(rows)], answers
    with db.read_session() as s:
        stored = s.exec(select(ChronologyEntry).where(ChronologyEntry.case_id == case.id)).all()
        assert len(stored) == ROUNDS * rows
