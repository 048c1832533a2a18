"""Least privilege for data that leaves: exports, backups, who saw what, passphrases."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlmodel import select

from marac_prep.cli import main
from marac_prep.core.access_log import CaseOpenings
from marac_prep.core.backup import backup_database
from marac_prep.core.db import open_database
from marac_prep.core.errors import PermissionDenied, ValidationError
from marac_prep.core.models import AuditEvent
from marac_prep.core.passphrases import passphrase_problem
from marac_prep.interchange.export import export_chronology
from tests.factories import Workspace


def _summaries(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [row["summary"] for row in csv.DictReader(handle)]


def _withheld_case(ws: Workspace):
    meeting = ws.meeting()
    case = ws.case(meeting)
    ws.entry(case, "HSG", summary="Tenancy visit; victim disclosed threats.")
    ws.entry(case, "POL", summary="Suspect arrested; enquiries continue.", shareable=False,
             withheld_reason="Live police investigation")
    return meeting, case


def test_an_idvas_export_leaves_out_what_other_agencies_withheld(ws, session, tmp_path):
    meeting, _case = _withheld_case(ws)
    idva = ws.user("idva", "IDVA")
    out = tmp_path / "idva.csv"
    export_chronology(session, actor=idva, meeting_id=meeting.id, path=out)
    assert _summaries(out) == ["Tenancy visit; victim disclosed threats."]
    with pytest.raises(PermissionDenied, match="cannot export entries other agencies marked not shareable"):
        export_chronology(session, actor=idva, meeting_id=meeting.id, path=tmp_path / "all.csv", everything=True)
    assert not (tmp_path / "all.csv").exists()
    # A coordinator may ask for everything, and the trail says that is what left.
    everything = tmp_path / "everything.csv"
    export_chronology(session, actor=ws.coordinator, meeting_id=meeting.id, path=everything, everything=True)
    assert "Suspect arrested; enquiries continue." in _summaries(everything)
    events = session.exec(select(AuditEvent).where(AuditEvent.action.startswith("export"))).all()  # type: ignore[attr-defined]
    assert [(e.action, e.user_id, e.details["shareable_only"]) for e in events] == [
        ("export", idva.id, True), ("export.everything", ws.coordinator.id, False),
    ]


def test_the_export_command_is_shareable_only_unless_a_coordinator_asks(tmp_path, capsys):
    target = tmp_path / "m.sqlite"
    db = open_database(target)
    with db.session() as session:
        ws = Workspace(session)
        meeting, _case = _withheld_case(ws)
        ws.user("idva", "IDVA", name="Ifan Idva")
        session.commit()
        day = f"{meeting.meeting_date:%Y-%m-%d}"
    db.close()
    out = tmp_path / "idva.csv"
    assert main(["--database", str(target), "--user", "Ifan Idva", "export", "--meeting", day, "-o", str(out)]) == 0
    assert _summaries(out) == ["Tenancy visit; victim disclosed threats."]
    assert main(["--database", str(target), "--user", "Ifan Idva", "export", "--meeting", day, "--everything",
                 "-o", str(tmp_path / "all.csv")]) == 1
    assert "cannot export entries other agencies marked not shareable" in capsys.readouterr().err
    assert main(["--database", str(target), "--user", "Cora Ordinator", "export", "--meeting", day,
                 "--everything", "-o", str(tmp_path / "all.csv")]) == 0
    assert len(_summaries(tmp_path / "all.csv")) == 2


def test_only_a_coordinator_may_back_up(sqlite_db, tmp_path, capsys):
    with sqlite_db.session() as session:
        ws = Workspace(session)
        ws.case()
        viewer = ws.user("viewer", name="Vera Viewer")
        idva = ws.user("idva", "IDVA", name="Ifan Idva")
        session.commit()
    for person in (viewer, idva):
        with pytest.raises(PermissionDenied, match="cannot back up the whole database"):
            backup_database(sqlite_db, tmp_path / f"{person.role}.sqlite", actor=person)
        assert not (tmp_path / f"{person.role}.sqlite").exists()
    backup_database(sqlite_db, tmp_path / "coordinator.sqlite", actor=ws.coordinator)
    assert (tmp_path / "coordinator.sqlite").exists()
    with sqlite_db.read_session() as s:
        backups = s.exec(select(AuditEvent).where(AuditEvent.action == "database.backup")).all()
        assert [e.user_id for e in backups] == [ws.coordinator.id]
    location = sqlite_db.location
    sqlite_db.close()
    assert main(["--database", location, "--user", "Vera Viewer", "backup", "-o", str(tmp_path / "v.sqlite")]) == 1
    assert "cannot back up the whole database" in capsys.readouterr().err
    assert not (tmp_path / "v.sqlite").exists()


def test_each_case_opened_is_audited_once_per_session(ws, db):
    first, second = ws.case(), ws.case()
    agency_rep = ws.user("agency_rep", "HSG")
    ws.session.commit()
    openings = CaseOpenings()
    with db.session() as s:
        assert openings.record(s, actor=ws.coordinator, case_id=first.id) is True
        assert openings.record(s, actor=ws.coordinator, case_id=first.id) is False
        assert openings.record(s, actor=ws.coordinator, case_id=second.id) is True
        assert openings.record(s, actor=agency_rep, case_id=first.id) is True  # another person: afresh
    with db.session() as s:
        assert CaseOpenings().record(s, actor=ws.coordinator, case_id=first.id) is True  # a new app session
    with db.read_session() as s:
        opened = s.exec(select(AuditEvent).where(AuditEvent.action == "case.open")).all()
        assert [(e.user_id, e.case_id) for e in opened] == [
            (ws.coordinator.id, first.id), (ws.coordinator.id, second.id), (agency_rep.id, first.id),
            (ws.coordinator.id, first.id),
        ]


@pytest.mark.parametrize(("weak", "reason"), [
    ("", "is empty"), ("            ", "only spaces"), ("\t \n  \t   \t ", "only spaces"),
    ("marac2026", "9 characters; use at least 12"),
])
def test_weak_passphrases_and_pack_passwords_are_refused_with_the_reason(tmp_path, weak, reason):
    assert reason in passphrase_problem(weak)
    if weak:
        with pytest.raises(ValidationError, match=reason):
            open_database(tmp_path / "new.sqlite", passphrase=weak)
        assert not (tmp_path / "new.sqlite").exists()
    assert passphrase_problem("three unrelated words") == ""


def test_the_pack_command_refuses_a_short_password_file(tmp_path, capsys):
    target = tmp_path / "m.sqlite"
    db = open_database(target)
    with db.session() as session:
        ws = Workspace(session)
        meeting = ws.meeting()
        ws.case(meeting)
        session.commit()
        day = f"{meeting.meeting_date:%Y-%m-%d}"
    db.close()
    secret = tmp_path / "pw.txt"
    secret.write_text("short1\n", encoding="utf-8")
    status = main(["--database", str(target), "--user", "Cora Ordinator", "pack", "--meeting", day,
                   "-o", str(tmp_path / "p.pdf"), "--password-file", str(secret)])
    assert status == 2
    assert "pack password is 6 characters; use at least 12" in capsys.readouterr().err
    assert not (tmp_path / "p.pdf").exists()


def test_building_minutes_and_the_tracking_form_is_audited_like_the_pack(ws, session, tmp_path, monkeypatch):
    """Who saw what: the minutes and the action tracking form leave the app as the pack does – one
    event naming the meeting and who built it, written only when the file was."""
    from marac_prep.core import files
    from marac_prep.core.actions import export_tracking_form
    from marac_prep.core.errors import StorageError
    from marac_prep.pack.minutes import export_minutes

    meeting, _case = _withheld_case(ws)
    session.commit()

    def events(action: str) -> list[AuditEvent]:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())

    export_minutes(session, actor=ws.coordinator, meeting_id=meeting.id, destination=tmp_path / "minutes.pdf")
    export_tracking_form(session, actor=ws.coordinator, path=tmp_path / "actions.xlsx", meeting_id=meeting.id)
    [built] = events("minutes.export")
    assert (built.object_type, built.object_id, built.user_id) == ("meeting", meeting.id, ws.coordinator.id)
    [tracked] = events("actions.export")
    assert tracked.user_id == ws.coordinator.id and tracked.details["meeting_id"] == meeting.id

    def full_disk(self):
        raise StorageError("The disk is full; nothing was written.")

    monkeypatch.setattr(files.PendingFile, "publish", full_disk)
    with pytest.raises(StorageError):
        export_minutes(session, actor=ws.coordinator, meeting_id=meeting.id, destination=tmp_path / "again.pdf")
    assert len(events("minutes.export")) == 1 and not (tmp_path / "again.pdf").exists()
