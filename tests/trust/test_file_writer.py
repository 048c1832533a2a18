"""Attacks on the one file writer: planted links, a full disk, prying eyes."""

from __future__ import annotations

import errno
import os
import stat
import warnings
from pathlib import Path

import pytest

from marac_prep.core import files
from marac_prep.core.errors import StorageError
from marac_prep.core.files import atomic_write, write_bytes


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_a_link_planted_at_the_temporary_name_is_never_written_through(tmp_path, monkeypatch):
    victim = tmp_path / "victim.txt"
    victim.write_text("the victim's own file")
    target = tmp_path / "out.csv"
    names = iter([tmp_path / ".planted.part", tmp_path / ".fresh.part"])
    monkeypatch.setattr(files, "temporary_name", lambda _target: next(names))
    (tmp_path / ".planted.part").symlink_to(victim)

    write_bytes(target, b"secret rows")

    assert victim.read_text() == "the victim's own file"
    assert target.read_bytes() == b"secret rows"
    assert (tmp_path / ".planted.part").is_symlink()  # left alone, not followed, not removed


def test_a_dangling_link_planted_at_the_temporary_name_does_not_create_its_target(tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere" / "stolen.csv"
    elsewhere.parent.mkdir()
    monkeypatch.setattr(files, "temporary_name", lambda _target: tmp_path / ".planted.part")
    (tmp_path / ".planted.part").symlink_to(elsewhere)

    with pytest.raises(StorageError, match="No temporary file could be made"):
        write_bytes(tmp_path / "out.csv", b"secret rows")

    assert not elsewhere.exists()
    assert not (tmp_path / "out.csv").exists()


def test_the_temporary_file_is_owner_only_before_its_first_byte(tmp_path):
    os.umask(0o022)
    with atomic_write(tmp_path / "out.csv") as pending:
        assert mode(pending.path) == 0o600
        assert pending.path.stat().st_size == 0
        pending.stream.write(b"rows")
    assert mode(tmp_path / "out.csv") == 0o600


def test_a_full_disk_leaves_no_partial_file_and_the_old_file_intact(tmp_path):
    target = tmp_path / "out.csv"
    target.write_bytes(b"yesterday's export")
    with pytest.raises(StorageError, match="The disk is full"), atomic_write(target) as pending:
        pending.stream.write(b"x" * 610_000)
        raise OSError(errno.ENOSPC, "No space left on device")
    assert target.read_bytes() == b"yesterday's export"
    assert leftovers(tmp_path) == []


def test_a_failing_fsync_leaves_nothing_behind(tmp_path, monkeypatch):
    def full(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(StorageError, match="The disk is full"):
        write_bytes(tmp_path / "out.csv", b"rows")
    assert list(tmp_path.iterdir()) == []


def test_any_error_in_the_writer_removes_the_temporary_file(tmp_path):
    with pytest.raises(ZeroDivisionError), atomic_write(tmp_path / "out.csv") as pending:
        pending.text().write("half a row")
        _ = 1 / 0
    assert list(tmp_path.iterdir()) == []


def test_a_link_at_the_target_is_refused_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    target = tmp_path / "out.csv"
    target.symlink_to(victim)
    with pytest.raises(StorageError, match=r"out\.csv is a link to another file .*never writes through a link"):
        write_bytes(target, b"rows")
    assert victim.read_text() == "untouched"
    assert target.is_symlink() and leftovers(tmp_path) == []


def test_a_link_planted_after_the_check_is_replaced_not_followed(tmp_path):
    # Between the check and the rename a link may appear; the rename replaces the link itself.
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    target = tmp_path / "out.csv"
    with atomic_write(target) as pending:
        pending.stream.write(b"rows")
        target.symlink_to(victim)
    assert victim.read_text() == "untouched"
    assert not target.is_symlink() and target.read_bytes() == b"rows"


# --- every output goes through the writer: owner-only, nothing left on a full disk -------------


@pytest.fixture
def workspace_file(tmp_path):
    """A database file with a meeting and a case, closed; returns (cli args, meeting id, tmp)."""
    from marac_prep.core.db import open_database
    from tests.factories import Workspace

    db = open_database(tmp_path / "marac.sqlite")
    with db.session() as session:
        ws = Workspace(session)
        meeting = ws.meeting()
        ws.case(meeting, reference="MAR-FILE-1")
        user = ws.coordinator.name
    db.close()
    return ["--database", str(tmp_path / "marac.sqlite"), "--user", user], meeting.id


def _returns_csv(path: Path) -> Path:
    from tests.interchange.helpers import RETURN_HEADER, write_csv

    return write_csv(path, [
        RETURN_HEADER,
        ["MAR-FILE-1", "Police", "01/03/2025", "incident", "Attended", "P/1"],
        ["MAR-FILE-1", "Police", "13/13/2025", "incident", "Bad date", "P/2"],
    ])


def test_the_database_and_every_output_file_are_owner_only(tmp_path, workspace_file, capsys):
    from marac_prep.cli import main

    os.umask(0o022)
    base, meeting_id = workspace_file
    meeting = str(meeting_id)
    out = tmp_path / "out"
    out.mkdir()
    assert main([*base, "import", "--meeting", meeting, "--rejects-dir", str(out), str(_returns_csv(tmp_path / "p.csv"))]) == 0
    assert main([*base, "export", "--meeting", meeting, "-o", str(out / "c.csv")]) == 0
    assert main([*base, "export", "--meeting", meeting, "-o", str(out / "c.xlsx")]) == 0
    assert main([*base, "templates", "--meeting", meeting, "-o", str(out / "t")]) == 0
    assert main([*base, "audit", "export", "-o", str(out / "audit.csv")]) == 0
    assert main([*base, "backup", "-o", str(out / "copy.sqlite")]) == 0
    with warnings.catch_warnings():
        # Which library warnings are errors depends on what ran before (a once-only warning from
        # the PDF stack); this test is about the file's mode, so warnings stay warnings here.
        warnings.simplefilter("default")
        assert main([*base, "pack", "--meeting", meeting, "-o", str(out / "pack.pdf")]) == 0
    written = [p for p in out.rglob("*") if p.is_file()]
    assert {p.suffix for p in written} == {".csv", ".xlsx", ".sqlite", ".pdf"}
    assert {p.name: oct(mode(p)) for p in written} == {p.name: oct(0o600) for p in written}
    assert mode(tmp_path / "marac.sqlite") == 0o600
    for sidecar in (tmp_path / "marac.sqlite-wal", tmp_path / "marac.sqlite-shm"):
        if sidecar.exists():
            assert mode(sidecar) == 0o600
    assert leftovers(out) == [] and leftovers(out / "t") == []


def test_rejects_on_a_full_disk_leave_no_partial_file(tmp_path, workspace_file, monkeypatch, capsys):
    from marac_prep.cli import main

    base, meeting_id = workspace_file
    rejects = tmp_path / "rejects"

    def full(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    status = main([*base, "import", "--meeting", str(meeting_id), "--rejects-dir", str(rejects),
                   str(_returns_csv(tmp_path / "p.csv"))])
    assert status != 0
    said = capsys.readouterr()
    assert "not imported – The disk is full" in said.out + said.err
    assert list(rejects.iterdir()) == []


def test_two_agency_codes_that_read_alike_get_two_template_files(tmp_path, workspace_file, capsys):
    from marac_prep.cli import main

    base, meeting_id = workspace_file
    for name, code in (("Accident and Emergency", "A&E"), ("Ambulance Emergency", "A-E")):
        assert main([*base, "agency", "add", "--name", name, "--code", code, "--category", "every_case"]) == 0
    assert main([*base, "templates", "--meeting", str(meeting_id), "-o", str(tmp_path / "t")]) == 0
    names = sorted(p.name for p in (tmp_path / "t").glob("*.xlsx"))
    reported = capsys.readouterr().out
    assert len(names) == len(set(names)) == 10
    assert sum("-A-E" in n for n in names) == 2
    assert "10" in reported


@pytest.mark.parametrize(
    "command",
    [
        ["audit", "verify"],
        ["meeting", "list"],
        ["export", "--meeting", "1", "-o", "x.csv"],
        ["gaps", "--meeting", "1"],
        ["pack", "--meeting", "1", "-o", "x.pdf"],
        ["settings", "list"],
        ["people", "find", "Fictional Person"],
        ["review-finding", "--case", "MAR-1", "--key", "k", "--note", "n"],
        ["actions", "list", "--meeting", "1"],
    ],
)
def test_a_read_command_on_a_mistyped_path_says_so_and_creates_nothing(tmp_path, command, capsys, monkeypatch):
    from marac_prep.cli import main

    monkeypatch.chdir(tmp_path)
    typo = tmp_path / "marac.sqlte"
    assert main(["--database", str(typo), *command]) != 0
    err = capsys.readouterr().err
    assert f"There is no Marac Prep database at {typo}" in err
    assert list(tmp_path.iterdir()) == []
