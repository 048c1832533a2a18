"""Who you are on a SQLite database: profiles need proof (issue 13, section 1). Each test is an
attack that worked before: another --user, a forged LOGNAME, a missing --user making a
coordinator, anyone making profiles."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import func, select

import marac_prep.core.identity as identity
from marac_prep.cli import main
from marac_prep.core.db import open_database
from marac_prep.core.errors import PermissionDenied, ValidationError
from marac_prep.core.identity import Proof, authenticate, current_os_account
from marac_prep.core.models import User
from marac_prep.core.users import bind_profile, create_profile, find_user

ME = current_os_account()
OTHER = "rhian.evans"
PASSPHRASE = "a long fictional passphrase"


@pytest.fixture
def workspace(tmp_path: Path) -> str:
    """A database made by this account (its first coordinator, Cora), with Rhian bound to another
    account and Priya protected by a passphrase."""
    target = str(tmp_path / "m.sqlite")
    db = open_database(target)
    with db.session() as s:
        cora = create_profile(s, name="Cora Ordinator", role="coordinator", agency_id=None, os_account=ME)
        create_profile(s, actor=cora, name="Rhian Evans", role="coordinator", agency_id=None, os_account=OTHER)
        create_profile(s, actor=cora, name="Priya Viewer", role="viewer", agency_id=None, passphrase=PASSPHRASE)
    db.close()
    return target


def _profiles(target: str) -> int:
    db = open_database(target)
    try:
        with db.read_session() as s:
            return int(s.exec(select(func.count()).select_from(User)).one())
    finally:
        db.close()


def test_another_users_profile_is_refused(workspace, capsys):
    args = ["--database", workspace, "--user", "rhian EVANS", "meeting", "create", "--date", "2030-01-07"]
    assert main(args) == 1
    assert "belongs to another account" in capsys.readouterr().err
    assert main(["--database", workspace, "--user", "Cora Ordinator", "meeting", "create", "--date", "2030-01-07"]) == 0


def test_a_forged_logname_proves_nothing(workspace, monkeypatch, capsys):
    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(variable, OTHER)
    assert main(["--database", workspace, "--user", "Rhian Evans", "meeting", "create", "--date", "2030-01-07"]) == 1
    # Without --user the real account's own profile acts; nobody named after LOGNAME appears.
    assert main(["--database", workspace, "meeting", "create", "--date", "2030-01-08"]) == 0
    assert main(["--database", workspace, "user", "list"]) == 0
    out = capsys.readouterr().out
    assert OTHER not in out.replace(f"account {OTHER}", "") and _profiles(workspace) == 3


def test_a_passphrase_profile_needs_its_passphrase(workspace, tmp_path, capsys):
    act = ["meeting", "create", "--date", "2030-01-07"]
    base = ["--database", workspace, "--user", "Priya Viewer"]
    assert main([*base, *act]) == 1
    assert "not Priya Viewer's passphrase" in capsys.readouterr().err
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase at all\n")
    assert main([*base, "--user-passphrase-file", str(wrong), *act]) == 1
    assert "not Priya Viewer's passphrase" in capsys.readouterr().err
    right = tmp_path / "right.txt"
    right.write_text(PASSPHRASE + "\n")
    # Proved: now it is her role that refuses, as it should.
    assert main([*base, "--user-passphrase-file", str(right), *act]) == 1
    assert "As a viewer, Priya Viewer cannot create or change meetings" in capsys.readouterr().err


def test_a_missing_user_never_creates_a_profile(workspace, capsys):
    db = open_database(workspace)
    with db.session() as s:
        cora = find_user(s, "Cora Ordinator")
        # This account's only profile moves to a passphrase: the account has no profile now.
        bind_profile(s, actor=cora, user_id=cora.id, os_account="", passphrase=PASSPHRASE)
    db.close()
    assert main(["--database", workspace, "meeting", "create", "--date", "2030-01-07"]) == 1
    assert "No profile on this database belongs to the account" in capsys.readouterr().err
    assert _profiles(workspace) == 3


def test_only_the_databases_creator_becomes_its_first_coordinator(tmp_path, monkeypatch, capsys):
    target = str(tmp_path / "theirs.sqlite")
    monkeypatch.setattr(identity, "current_os_account", lambda: "someone.else")
    open_database(target).close()  # created by another account
    monkeypatch.undo()
    assert main(["--database", target, "meeting", "create", "--date", "2030-01-07"]) == 1
    assert _profiles(target) == 0
    db = open_database(target)
    with db.session() as s, pytest.raises(PermissionDenied, match="Only a coordinator can create profiles"):
        create_profile(s, name="Mallory", role="coordinator", agency_id=None, os_account=ME)
    db.close()
    # The creator itself gets its first coordinator, named after its account, and only once.
    mine = str(tmp_path / "mine.sqlite")
    assert main(["--database", mine, "meeting", "create", "--date", "2030-01-07"]) == 0
    assert _profiles(mine) == 1


def test_profiles_are_made_only_by_a_coordinator_with_a_proof(workspace):
    db = open_database(workspace)
    with db.session() as s:
        proof = Proof(os_account=ME)
        with pytest.raises(PermissionDenied):
            create_profile(s, name="Self Made", role="coordinator", agency_id=None, os_account=ME)
        cora = authenticate(s, name="Cora Ordinator", proof=proof)
        with pytest.raises(ValidationError, match="prove who they are"):
            create_profile(s, actor=cora, name="No Proof", role="viewer", agency_id=None)
        with pytest.raises(ValidationError, match="at least 12"):
            create_profile(s, actor=cora, name="Short", role="viewer", agency_id=None, passphrase="hunter2")
        viewer = authenticate(s, name="Priya Viewer", proof=Proof(os_account=ME, passphrase=PASSPHRASE))
        with pytest.raises(PermissionDenied):
            create_profile(s, actor=viewer, name="Viewer's Friend", role="coordinator", agency_id=None,
                           os_account=ME)
        stored = find_user(s, "Priya Viewer")
        assert PASSPHRASE not in (stored.passphrase_hash or "") and stored.passphrase_hash.startswith("scrypt$")
    db.close()
