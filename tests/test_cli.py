"""The command line: one clear line for bad input, exit codes, and the demo workspace."""

from __future__ import annotations

import subprocess
import sys

import pytest

from marac_prep import __version__
from marac_prep.cli import main
from marac_prep.core.identity import current_os_account


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "marac_prep", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**__import__("os").environ, "MARAC_PREP_DATABASE": "/nonexistent/should-not-be-used"},
    )


def test_version():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"marac-prep {__version__}"


def test_demo_then_meeting_list(tmp_path):
    target = str(tmp_path / "demo.sqlite")
    demo = run("--database", target, "demo")
    assert demo.returncode == 0, demo.stderr
    assert "8 cases" in demo.stdout
    listing = run("--database", target, "meeting", "list")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.strip().splitlines()
    # The upcoming meeting first; then the held meetings of the demo's earlier cases (repeats) and
    # the past meeting with actions (issue 18).
    assert len(lines) == 5 and lines[1].split()[-1] == "8"


def test_impossible_meeting_date_is_one_line_exit_2(tmp_path):
    result = run("--database", str(tmp_path / "m.sqlite"), "meeting", "create", "--date", "2026-13-45")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "2026-13-45" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "m.sqlite").exists()  # bad input is rejected before any file is made


def test_non_database_file_fails_clearly_and_is_unchanged(tmp_path):
    path = tmp_path / "notes.docx"
    path.write_bytes(b"PK\x03\x04 not a database")
    result = run("--database", str(path), "meeting", "list")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "not a Marac Prep database" in result.stderr
    assert path.read_bytes() == b"PK\x03\x04 not a database"


def test_usage_errors_are_one_line(capsys):
    assert main(["meeting", "create"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--date" in err


def test_meeting_create_and_list_in_process(tmp_path, capsys):
    target = str(tmp_path / "m.sqlite")
    assert main(["--database", target, "meeting", "create", "--date", "2027-01-14", "--area", "Eastbridge"]) == 0
    assert main(["--database", target, "meeting", "list"]) == 0
    out = capsys.readouterr().out
    assert "14 Jan 2027" in out and "Eastbridge" in out


def test_unknown_user_is_bad_input(tmp_path, capsys):
    from marac_prep.core.db import open_database

    open_database(tmp_path / "m.sqlite").close()
    assert main(["--database", str(tmp_path / "m.sqlite"), "--user", "Nobody Known", "meeting", "list"]) == 0
    assert (
        main(
            [
                "--database",
                str(tmp_path / "m.sqlite"),
                "--user",
                "Nobody Known",
                "meeting",
                "create",
                "--date",
                "2027-01-14",
            ]
        )
        == 2
    )
    assert "no profile" in capsys.readouterr().err


@pytest.mark.parametrize("role", ["agency_rep", "viewer"])
def test_cli_user_without_rights_is_refused(tmp_path, capsys, role):
    target = str(tmp_path / "m.sqlite")
    args = ["--database", target, "user", "create", "--name", "Rhian Evans", "--role", role,
            "--os-account", current_os_account()]
    assert main([*args, "--agency", "Housing"] if role == "agency_rep" else args) == 0
    assert main(["--database", target, "--user", "rhian evans", "meeting", "create", "--date", "2027-01-14"]) == 1
    assert "cannot create or change meetings" in capsys.readouterr().err


def test_opening_the_app_skips_the_subcommands_and_anything_else_gets_the_full_parser():
    from marac_prep.cli import _app_options

    opened = _app_options(["--database", "team.sqlite", "--user", "Cora Ordinator"])
    assert opened is not None and (opened.database, opened.user, opened.demo) == ("team.sqlite", "Cora Ordinator", False)
    assert _app_options([]) is not None and _app_options(["--demo"]).demo
    for argv in (["gaps", "--meeting", "next"], ["--help"], ["--version"], ["--bogus"], ["--database"]):
        assert _app_options(argv) is None, argv
