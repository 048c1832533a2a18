"""`marac-prep stats`: the quarterly return as text, exact JSON, a spreadsheet and a marked PDF."""

from __future__ import annotations

import json
from datetime import date

import openpyxl
import pytest
from sqlmodel import select

from marac_prep.cli import main
from marac_prep.core.agencies import add_agency
from marac_prep.core.cases import PersonInput, create_case
from marac_prep.core.db import open_database
from marac_prep.core.identity import current_os_account
from marac_prep.core.meetings import create_meeting
from marac_prep.core.models import AuditEvent
from marac_prep.core.users import create_profile, find_user
from tests.factories import Workspace


def _file(tmp_path) -> str:
    """One meeting in Q3 2026 with two cases:
    - Police, victim Female / Asian / no disability / not LGBT+, 30; one child; perpetrator 17.
    - Agency "=HYPERLINK(...)" (a hostile name), victim Male, nothing else recorded; a repeat on the referral.
    Hand count: cases 2, repeats 1 (50.0 %), children 1, other agencies 1 (50.0 %), minoritised 1, male 1,
    perpetrators under 18: 1; not recorded ethnicity 1, LGBT+ 1, disability 1, age 1.
    """
    target = str(tmp_path / "s.sqlite")
    db = open_database(target)
    with db.session() as session:
        ws = Workspace(session)
        odd = add_agency(session, actor=ws.coordinator, name="=HYPERLINK(\"x\")", short_code="ODD")
        meeting = create_meeting(session, actor=ws.coordinator, meeting_date=date(2026, 8, 6))
        create_case(session, actor=ws.coordinator, reference="MAR-S-1", referral_date=date(2026, 7, 28),
                    referring_agency_id=ws.agency["POL"].id, meeting_id=meeting.id, criteria=["visible_high_risk"],
                    people=[PersonInput(role="victim", name="Priya SHAH", date_of_birth=date(1996, 1, 1),
                                        gender="Female", ethnicity="Asian or Asian British",
                                        disability="No disability", lgbt=False),
                            PersonInput(role="perpetrator", name="Kyle BRENT", date_of_birth=date(2009, 1, 1)),
                            PersonInput(role="child", name="Ela SHAH")])
        create_case(session, actor=ws.coordinator, reference="MAR-S-2", referral_date=date(2026, 7, 30),
                    referring_agency_id=odd.id, meeting_id=meeting.id, criteria=["repeat"],
                    people=[PersonInput(role="victim", name="Tomasz LIS", gender="m")])
    db.close()
    return target


def test_stats_json_is_exactly_the_return(tmp_path, capsys):
    target = _file(tmp_path)
    assert main(["--database", target, "--user", "Cora Ordinator", "stats", "--quarter", "2026Q3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "quarter": "2026Q3", "meetings": 1, "cases": 2, "repeat_cases": 1, "repeat_percent": 50.0, "children": 1,
        "referrals_by_agency": {"=HYPERLINK(\"x\")": 1, "Police": 1}, "partner_agency_referral_percent": 50.0,
        "victims": {"black_asian_minoritised": 1, "lgbt": 0, "disabled": 0, "male": 1, "aged_16_17": 0,
                    "not_recorded": {"ethnicity": 1, "lgbt": 1, "disability": 1, "gender": 0, "age": 1}},
        "perpetrators_under_18": 1,
    }
    assert main(["--database", target, "--user", "Cora Ordinator", "stats", "--quarter", "2026Q2", "--json"]) == 0
    empty = json.loads(capsys.readouterr().out)
    assert (empty["cases"], empty["repeat_percent"], empty["referrals_by_agency"]) == (0, None, {})


def test_stats_text_and_spreadsheet(tmp_path, capsys):
    target = _file(tmp_path)
    base = ["--database", target, "--user", "Cora Ordinator", "stats", "--quarter", "2026q3"]
    assert main(base) == 0
    out = capsys.readouterr().out
    assert "Repeat cases: 1 (50.0 %; national 32.0 %)" in out and "Q3 2026 (Jul–Sep)" in out
    xlsx = tmp_path / "q3.xlsx"
    assert main([*base, "-o", str(xlsx)]) == 0
    book = openpyxl.load_workbook(xlsx)
    summary = {r[0]: r[1:] for r in book["Quarterly return"].iter_rows(values_only=True) if r and r[0]}
    assert summary["Repeat cases"][:3] == (1, 50.0, 32.0)
    assert summary["Victims who are male"][:3] == (1, 50.0, 6.5)
    referrals = list(book["Referrals by agency"].iter_rows(values_only=True))
    # A hostile agency name is written as text, never as a formula.
    assert ("'=HYPERLINK(\"x\")", 1, 50.0) in referrals
    meetings = list(book["Meetings"].iter_rows(values_only=True))
    assert meetings[1][:4] == ("06/08/2026", "Planned", 2, 1)
    db = open_database(target, read_only=True)
    with db.session() as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "statistics.export")).one().details[
            "format"] == "xlsx"
    db.close()


def test_stats_pdf_is_marked_and_numbered(tmp_path, capsys):
    import pypdf

    target = _file(tmp_path)
    out = tmp_path / "q3.pdf"
    assert main(["--database", target, "--user", "Cora Ordinator", "stats", "--quarter", "2026Q3", "-o", str(out),
                 "--marking", "OFFICIAL"]) == 0
    reader = pypdf.PdfReader(out)
    pages = [p.extract_text() for p in reader.pages]
    assert all("OFFICIAL" in text and f"of {len(pages)}" in text for text in pages)
    whole = "\n".join(pages)
    assert "Marac statistics: Q3 2026" in whole and "Cases per meeting" in whole and "16.1" in whole
    assert "=HYPERLINK" in whole  # printed as text


@pytest.mark.parametrize("args, words", [
    (["--quarter", "2026Q9"], "e.g. 2026Q3"),
    (["--quarter", "2026Q3", "-o", "x.docx"], ".xlsx or a .pdf"),
    (["--quarter", "2026Q3", "--marking", "OFFICIAL"], "only when writing a PDF"),
])
def test_stats_mistakes_are_one_sentence(tmp_path, capsys, args, words):
    target = _file(tmp_path)
    assert main(["--database", target, "--user", "Cora Ordinator", "stats", *args]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_stats_refused_for_a_viewer(tmp_path, capsys):
    target = _file(tmp_path)
    db = open_database(target)
    with db.session() as session:
        create_profile(session, actor=find_user(session, "Cora Ordinator"), name="Vera Viewer", role="viewer",
                       agency_id=None, os_account=current_os_account())
    db.close()
    assert main(["--database", target, "--user", "Vera Viewer", "stats", "--quarter", "2026Q3"]) != 0
    err = capsys.readouterr().err
    assert "cannot see or export the Marac's statistics" in err and "Traceback" not in err


def test_stats_pdf_encrypted_with_the_password_file(tmp_path, capsys):
    import pikepdf

    target = _file(tmp_path)
    secret = tmp_path / "password.txt"
    secret.write_text("Tęcza nad Wisłą 2026!\n", encoding="utf-8")
    out = tmp_path / "q3-locked.pdf"
    assert main(["--database", target, "--user", "Cora Ordinator", "stats", "--quarter", "2026Q3", "-o", str(out),
                 "--password-file", str(secret)]) == 0
    assert "encrypted (AES-256)" in capsys.readouterr().out
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(out)
    with pikepdf.open(out, password="Tęcza nad Wisłą 2026!") as pdf:
        assert pdf.encryption.R == 6 and len(pdf.pages) >= 1
