"""`marac-prep actions`: listing a meeting's actions (overdue ones marked) and the tracking form."""

from __future__ import annotations

import json
from datetime import date, timedelta

import openpyxl

from marac_prep.cli import main
from marac_prep.core.actions import add_action
from marac_prep.core.db import open_database
from tests.factories import Workspace


def _file(tmp_path) -> tuple[str, str]:
    target = str(tmp_path / "m.sqlite")
    db = open_database(target)
    with db.session() as session:
        ws = Workspace(session)
        meeting = ws.meeting(-10)
        case = ws.case(meeting, reference="MAR-CLI-1")
        add_action(session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["HSG"].id,
                   owner="Huw Price", text="Fit a door lock.", due_date=date.today() - timedelta(days=2))
        add_action(session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["POL"].id,
                   text="Flag the address.", due_date=date.today() + timedelta(days=20))
        day = f"{meeting.meeting_date:%d/%m/%Y}"
    db.close()
    return target, day


def test_actions_list_overdue_json_and_export(tmp_path, capsys):
    target, day = _file(tmp_path)
    base = ["--database", target, "--user", "Cora Ordinator"]
    assert main([*base, "actions", "--meeting", day]) == 0
    out = capsys.readouterr().out
    assert "2 actions" in out and "OVERDUE MAR-CLI-1" in out and "Fit a door lock." in out
    assert main([*base, "actions", "--meeting", day, "--overdue", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [a["action"] for a in listed] == ["Fit a door lock."] and listed[0]["overdue"] is True
    out_file = tmp_path / "tracking.xlsx"
    assert main([*base, "actions", "export", "-o", str(out_file)]) == 0
    rows = list(openpyxl.load_workbook(out_file).active.iter_rows(values_only=True))
    assert len(rows) == 3 and rows[0][-1] == "Status" and {r[1] for r in rows[1:]} == {"MAR-CLI-1"}


def test_actions_without_meeting_is_one_sentence(tmp_path, capsys):
    target, _ = _file(tmp_path)
    assert main(["--database", target, "actions"]) == 2
    err = capsys.readouterr().err
    assert "--meeting" in err and "Traceback" not in err


def test_minutes_command_writes_marked_pdf(tmp_path, capsys):
    import pypdf

    target, day = _file(tmp_path)
    out = tmp_path / "minutes.pdf"
    assert main(["--database", target, "--user", "Cora Ordinator", "minutes", "--meeting", day, "-o", str(out),
                 "--marking", "OFFICIAL"]) == 0
    assert "1 case, 2 actions" in capsys.readouterr().out
    text = " ".join(pypdf.PdfReader(out).pages[0].extract_text().split())
    assert "OFFICIAL" in text and "Fit a door lock." in text and "MAR-CLI-1" in text
