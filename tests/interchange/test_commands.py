"""The import, export and templates subcommands: JSON summary, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from marac_prep.cli import main
from tests.interchange.helpers import RETURN_HEADER, write_csv


def test_import_export_and_templates_from_the_command_line(sqlite_db, tmp_path: Path, capsys) -> None:
    from tests.factories import Workspace

    with sqlite_db.session() as session:
        ws = Workspace(session)
        meeting = ws.meeting()
        ws.case(meeting, reference="MAR-CLI-1")
        user = ws.coordinator.name
    database = sqlite_db.location
    sqlite_db.close()
    path = write_csv(tmp_path / "p.csv", [
        RETURN_HEADER,
        ["MAR-CLI-1", "Police", "01/03/2025", "incident", "Attended", "P/1"],
        ["MAR-CLI-1", "Police", "13/13/2025", "incident", "Bad", "P/2"],
    ])
    base = ["--database", database, "--user", user]
    assert main([*base, "import", "--meeting", str(meeting.id), "--json", "--rejects-dir", str(tmp_path / "r"),
                 str(path), str(tmp_path / "missing.csv")]) == 2
    report = json.loads(capsys.readouterr().out)["files"]
    assert report[0] == {"file": str(path), "format": "returns", "read": 2, "imported": 1, "skipped_duplicates": 0,
                         "rejected": 1, "rejects_file": str(tmp_path / "r" / "p.rejects.csv")}
    assert report[1]["error"].endswith("is not a file that can be read.")
    assert main([*base, "import", "--meeting", str(meeting.id), str(path)]) == 0
    assert "1 skipped as duplicates, 1 rejected" in capsys.readouterr().out
    assert main([*base, "export", "--meeting", str(meeting.id), "-o", str(tmp_path / "c.xlsx")]) == 0
    assert (tmp_path / "c.xlsx").exists()
    assert main([*base, "export", "--meeting", str(meeting.id), "-o", str(tmp_path / "c.pdf")]) == 2
    assert "export to a .csv or .xlsx file" in capsys.readouterr().err
    assert main([*base, "templates", "--meeting", str(meeting.id), "-o", str(tmp_path / "t")]) == 0
    assert len(list((tmp_path / "t").glob("*.xlsx"))) == 8
