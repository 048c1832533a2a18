"""The minutes PDF: marked, numbered, encrypted with a password, and saying what the meeting agreed."""

from __future__ import annotations

from datetime import date

import pikepdf
import pypdf
import pytest

from marac_prep.core.actions import add_action
from marac_prep.core.attendance import plan_hearing, record_attendance
from marac_prep.core.errors import PermissionDenied
from marac_prep.pack.minutes import export_minutes


def _meeting(session, ws):
    meeting = ws.meeting(-3)
    case = ws.case(meeting, reference="MAR-MIN-0001")
    record_attendance(session, actor=ws.coordinator, meeting_id=meeting.id, person_name="Bethan Rees",
                      role="chair", agency_id=ws.agency["POL"].id, confidentiality_agreed=True)
    record_attendance(session, actor=ws.coordinator, meeting_id=meeting.id, person_name="Huw Price",
                      attendance="apologies", agency_id=ws.agency["HSG"].id, information_sent=False)
    plan_hearing(session, actor=ws.coordinator, meeting_id=meeting.id, case_id=case.id, start_time="10:20",
                 agreed_risk_level="high", discussion_note="Victim's wishes <b>heard</b>; safety plan agreed.")
    add_action(session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["POL"].id,
               owner="PC Dafydd Evans", text="Flag the address for an urgent response & review.",
               due_date=date(2099, 1, 15), protects=["victim", "child"])
    return meeting


def test_minutes_read_back(session, ws, tmp_path):
    meeting = _meeting(session, ws)
    out = tmp_path / "minutes.pdf"
    result = export_minutes(session, actor=ws.coordinator, meeting_id=meeting.id, destination=out,
                            marking="OFFICIAL-SENSITIVE")
    reader = pypdf.PdfReader(out)
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert result.cases == 1 and result.actions == 1
    for words in ("OFFICIAL-SENSITIVE", "Bethan Rees", "Huw Price", "Agreed risk level: High",
                  "Flag the address for an urgent response & review.", "PC Dafydd Evans", "15/01/2099",
                  "<b>heard</b>", f"Page 1 of {len(reader.pages)}"):
        assert words in text, words


def test_minutes_encrypted_and_refused_to_viewer(session, ws, tmp_path):
    meeting = _meeting(session, ws)
    out = tmp_path / "locked.pdf"
    export_minutes(session, actor=ws.coordinator, meeting_id=meeting.id, destination=out, password="correct horse")
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(out)
    with pikepdf.open(out, password="correct horse") as pdf:
        assert pdf.is_encrypted and len(pdf.pages) >= 1
    with pytest.raises(PermissionDenied):
        export_minutes(session, actor=ws.user("viewer"), meeting_id=meeting.id, destination=tmp_path / "v.pdf")
    assert not (tmp_path / "v.pdf").exists()
