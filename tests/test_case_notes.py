"""A coordinator's case notes: audited, coordinators only, and never in a pack unless asked."""

from __future__ import annotations

import pytest
from pypdf import PdfReader
from sqlmodel import select

from marac_prep.core.case_notes import add_case_note, case_notes, remove_case_note, update_case_note
from marac_prep.core.errors import ConflictError, PermissionDenied, ValidationError
from marac_prep.core.models import AuditEvent
from marac_prep.pack import export_pack


def _actions(session) -> list[str]:
    return [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.object_type == "case_note")).all()]


def test_notes_are_added_changed_and_removed_with_an_audit_event_each(session, ws):
    case = ws.case(ws.meeting())
    note = add_case_note(session, actor=ws.coordinator, case_id=case.id, text="  Chase CSC for the school name. ")
    assert note.text == "Chase CSC for the school name." and note.author_name == ws.coordinator.name
    changed = update_case_note(session, actor=ws.coordinator, note_id=note.id, expected_version=note.version,
                               text="CSC gave the school name on the phone.")
    assert [n.text for n in case_notes(session, actor=ws.coordinator, case_id=case.id)] == [changed.text]
    with pytest.raises(ConflictError):
        update_case_note(session, actor=ws.coordinator, note_id=note.id, expected_version=1, text="Stale copy.")
    remove_case_note(session, actor=ws.coordinator, note_id=note.id)
    assert case_notes(session, actor=ws.coordinator, case_id=case.id) == []
    assert _actions(session) == ["case_note.create", "case_note.update", "case_note.remove"]
    events = session.exec(select(AuditEvent).where(AuditEvent.object_type == "case_note")).all()
    assert all("CSC" not in str(e.details) for e in events)  # ids in the trail, never the note's words
    with pytest.raises(ValidationError, match="Write the note"):
        add_case_note(session, actor=ws.coordinator, case_id=case.id, text="   ")


@pytest.mark.parametrize(("role", "agency"), [("idva", "IDVA"), ("agency_rep", "POL"), ("viewer", None)])
def test_only_a_coordinator_reads_or_writes_notes(session, ws, role, agency):
    case = ws.case(ws.meeting())
    add_case_note(session, actor=ws.coordinator, case_id=case.id, text="Victim prefers a female officer.")
    other = ws.user(role, agency)
    with pytest.raises(PermissionDenied):
        add_case_note(session, actor=other, case_id=case.id, text="Mine.")
    with pytest.raises(PermissionDenied):
        case_notes(session, actor=other, case_id=case.id)
    assert _actions(session) == ["case_note.create"]


def _text(path) -> str:
    return " ".join(" ".join(page.extract_text() or "" for page in PdfReader(str(path)).pages).split())


def test_notes_stay_out_of_the_pack_unless_asked(session, ws, tmp_path):
    meeting = ws.meeting()
    case = ws.case(meeting, reference="MAR-NOTE-001")
    add_case_note(session, actor=ws.coordinator, case_id=case.id, text="Ring the Idva before Tuesday's meeting.")
    session.commit()
    default = export_pack(session, actor=ws.coordinator, meeting_id=meeting.id, destination=tmp_path / "a.pdf")
    text = _text(default.path)
    assert "MAR-NOTE-001" in text
    assert "Ring the Idva" not in text and "Coordinator's notes" not in text
    asked = export_pack(session, actor=ws.coordinator, meeting_id=meeting.id, destination=tmp_path / "b.pdf",
                        include_notes=True)
    text = _text(asked.path)
    assert "Coordinator's notes" in text and "Ring the Idva before Tuesday's meeting." in text
    exports = session.exec(select(AuditEvent).where(AuditEvent.action == "pack.export")).all()
    assert [e.details["case_notes"] for e in exports] == [False, True]
    with pytest.raises(PermissionDenied):
        export_pack(session, actor=ws.user("idva", "IDVA"), meeting_id=meeting.id, destination=tmp_path / "c.pdf",
                    include_notes=True)
    assert not (tmp_path / "c.pdf").exists()


def test_cli_pack_includes_notes_only_with_the_flag(tmp_path, capsys):
    from marac_prep.cli import main
    from marac_prep.core.db import open_database
    from tests.factories import Workspace

    path = tmp_path / "marac.sqlite"
    db = open_database(path)
    with db.session() as session:
        ws = Workspace(session)
        meeting = ws.meeting()
        case = ws.case(meeting, reference="MAR-CLI-NOTE")
        add_case_note(session, actor=ws.coordinator, case_id=case.id, text="Fictional: check the refuge space.")
        day = meeting.meeting_date.isoformat()
    db.close()

    def pack(*extra: str) -> str:
        out = tmp_path / f"pack{len(extra)}.pdf"
        args = ["--database", str(path), "--user", "Cora Ordinator", "pack", "--meeting", day, "-o", str(out)]
        assert main([*args, *extra]) == 0
        return _text(out)

    assert "check the refuge space" not in pack()
    assert "check the refuge space" in pack("--include-notes")
