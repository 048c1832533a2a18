"""A link planted where a newer output is written: never followed, the user told in a sentence.

The attacker places a symbolic link at the name the user will write (the statistics return, the
minutes, the action tracking form, an import's rejects file), pointing at a file they want
overwritten. The file it points at must stay as it was, and the user must read why nothing was
written (decision 0077).
"""

from __future__ import annotations

import warnings
from datetime import date, timedelta
from pathlib import Path

import pytest

from marac_prep.cli import main
from marac_prep.core.actions import add_action
from marac_prep.core.db import open_database
from tests.factories import Workspace

VICTIM_TEXT = "the file the attacker wants overwritten\n"


@pytest.fixture
def workspace_file(tmp_path) -> tuple[list[str], str, str]:
    """A closed database with a held meeting, a case and an action; (cli arguments, meeting day, quarter)."""
    db = open_database(tmp_path / "m.sqlite")
    with db.session() as session:
        ws = Workspace(session)
        meeting = ws.meeting(-3)
        case = ws.case(meeting, reference="MAR-LINK-1")
        add_action(session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["HSG"].id,
                   owner="Huw Price", text="Fit a door lock.", due_date=date.today() + timedelta(days=5))
        day = f"{meeting.meeting_date:%d/%m/%Y}"
        quarter = f"{meeting.meeting_date.year}Q{(meeting.meeting_date.month - 1) // 3 + 1}"
    db.close()
    return ["--database", str(tmp_path / "m.sqlite"), "--user", "Cora Ordinator"], day, quarter


def plant(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A victim file elsewhere and a link to it at `name` in the output folder."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    victim = elsewhere / f"victim-{name}"
    victim.write_text(VICTIM_TEXT)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    link = out / name
    link.symlink_to(victim)
    return link, victim


def assert_refused(link: Path, victim: Path, said: str) -> None:
    assert victim.read_text() == VICTIM_TEXT  # not followed
    assert link.is_symlink()  # nothing written in its place either
    assert f"{link.name} is a link to another file" in said and "Traceback" not in said, said
    assert [p.name for p in link.parent.iterdir() if p.name.endswith(".part")] == []
    assert sorted(p.name for p in victim.parent.iterdir()) == [victim.name]  # nothing beside the victim


@pytest.mark.parametrize("name", ["q.xlsx", "q.pdf"])
def test_statistics_never_write_through_a_planted_link(tmp_path, workspace_file, capsys, name):
    base, _day, quarter = workspace_file
    link, victim = plant(tmp_path, name)
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # a once-only warning from the PDF stack is not the subject
        status = main([*base, "stats", "--quarter", quarter, "-o", str(link)])
    said = capsys.readouterr()
    assert status != 0
    assert_refused(link, victim, said.out + said.err)


def test_minutes_never_write_through_a_planted_link(tmp_path, workspace_file, capsys):
    base, day, _quarter = workspace_file
    link, victim = plant(tmp_path, "minutes.pdf")
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        status = main([*base, "minutes", "--meeting", day, "-o", str(link)])
    said = capsys.readouterr()
    assert status != 0
    assert_refused(link, victim, said.out + said.err)


def test_the_tracking_form_never_writes_through_a_planted_link(tmp_path, workspace_file, capsys):
    base, day, _quarter = workspace_file
    link, victim = plant(tmp_path, "tracking.xlsx")
    status = main([*base, "actions", "export", "--meeting", day, "-o", str(link)])
    said = capsys.readouterr()
    assert status != 0
    assert_refused(link, victim, said.out + said.err)


def test_an_import_never_writes_its_rejects_through_a_planted_link(tmp_path, workspace_file, capsys):
    from tests.interchange.helpers import RETURN_HEADER, write_csv

    base, day, _quarter = workspace_file
    source = write_csv(tmp_path / "police.csv", [
        RETURN_HEADER,
        ["MAR-LINK-1", "Police", "01/03/2025", "incident", "Attended", "P/1"],
        ["MAR-LINK-1", "Police", "13/13/2025", "incident", "Bad date", "P/2"],
    ])
    link, victim = plant(tmp_path, "police.rejects.csv")
    status = main([*base, "import", "--meeting", day, "--rejects-dir", str(link.parent), str(source)])
    said = capsys.readouterr()
    assert status != 0
    assert_refused(link, victim, said.out + said.err)


def test_the_same_outputs_are_written_when_no_link_is_there(tmp_path, workspace_file, capsys):
    # The refusals above are about the link, not the outputs: without it each file is written.
    base, day, quarter = workspace_file
    out = tmp_path / "plain"
    out.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        assert main([*base, "stats", "--quarter", quarter, "-o", str(out / "q.xlsx")]) == 0
        assert main([*base, "stats", "--quarter", quarter, "-o", str(out / "q.pdf")]) == 0
        assert main([*base, "minutes", "--meeting", day, "-o", str(out / "minutes.pdf")]) == 0
    assert main([*base, "actions", "export", "--meeting", day, "-o", str(out / "tracking.xlsx")]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["minutes.pdf", "q.pdf", "q.xlsx", "tracking.xlsx"]
