"""`marac-prep pack` end to end on a SQLite file, as the checks outside the project run it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from marac_prep.cli import main
from marac_prep.core.db import open_database
from marac_prep.core.identity import current_os_account
from tests.factories import Workspace
from tests.pack.scenario import REFUGE, build_scenario


@pytest.fixture
def workspace_file(tmp_path: Path) -> tuple[str, str]:
    """A database file with the scenario; returns (path, meeting date as YYYY-MM-DD)."""
    path = tmp_path / "marac.sqlite"
    db = open_database(path)
    with db.session() as session:
        ws = Workspace(session)
        scenario = build_scenario(ws)
        day = scenario.meeting.meeting_date.isoformat()
    db.close()
    return str(path), day


def run(database: str, *args: str) -> int:
    return main(["--database", database, "--user", "Cora Ordinator", "pack", *args])


def test_cli_pack_by_date_and_case(workspace_file: tuple[str, str], tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    database, day = workspace_file
    out = tmp_path / "whole.pdf"
    assert run(database, "--meeting", day, "-o", str(out)) == 0
    assert "5 cases" in capsys.readouterr().out
    assert len(PdfReader(str(out)).pages) >= 8
    one = tmp_path / "one.pdf"
    assert run(database, "--meeting", day, "--case", "mar-p-003", "-o", str(one), "--marking", "OFFICIAL") == 0
    text = "".join(p.extract_text() for p in PdfReader(str(one)).pages)
    assert "Ioana ȚURCANU" in text and "Małgorzata WÓJCIK" not in text
    assert "OFFICIAL-SENSITIVE" not in text and "Page 1 of" in text
    assert subprocess.run(["qpdf", "--check", str(one)], capture_output=True).returncode == 0


def test_cli_password_file(workspace_file: tuple[str, str], tmp_path: Path) -> None:
    database, day = workspace_file
    secret = tmp_path / "pw.txt"
    secret.write_text("correct horse battery\n", encoding="utf-8")
    out = tmp_path / "locked.pdf"
    assert run(database, "--meeting", day, "-o", str(out), "--password-file", str(secret)) == 0
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(out)
    with pikepdf.open(out, password="correct horse battery") as pdf:
        assert pdf.encryption.R == 6 and pdf.encryption.bits == 256
        assert str(pdf.encryption.stream_method).endswith("aesv3")
    assert REFUGE.encode() not in out.read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--meeting", "1", "-o", "pack.txt"], ".pdf"),
        (["--meeting", "31/02/2026", "-o", "x.pdf"], "neither a meeting number nor a meeting date"),
        (["--meeting", "99", "-o", "x.pdf"], "no meeting number 99"),
        (["--meeting", "1", "--case", "NOPE", "-o", "x.pdf"], 'no case with reference "NOPE"'),
        (["--meeting", "1", "-o", "missing/x.pdf"], "does not exist"),
        (["--meeting", "1", "-o", "x.pdf", "--password-file", "nofile.txt"], "does not exist"),
        (["--meeting", "1", "-o", "x.pdf", "--marking", ""], "marking cannot be empty"),
    ],
)
def test_cli_bad_input_is_one_line_and_writes_nothing(
    workspace_file: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], args: list[str], message: str,
) -> None:
    database, _ = workspace_file
    monkeypatch.chdir(tmp_path)
    assert run(database, *args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1
    assert not list(tmp_path.glob("*.pdf")) and not list(tmp_path.glob(".marac-pack-*"))


def test_cli_viewer_cannot_export(workspace_file: tuple[str, str], tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    database, day = workspace_file
    assert main(["--database", database, "--user", "Cora Ordinator", "user", "create", "--name", "Val Viewer",
                 "--role", "viewer", "--os-account", current_os_account()]) == 0
    assert main(["--database", database, "--user", "Val Viewer", "pack", "--meeting", day,
                 "-o", str(tmp_path / "v.pdf")]) == 1
    assert "cannot export" in capsys.readouterr().err
    assert not (tmp_path / "v.pdf").exists()
