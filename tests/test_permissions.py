"""Who may do what, as plain rules: every role, unknown roles and actions, and the sentences said."""

from __future__ import annotations

import pytest

from marac_prep.core.errors import PermissionDenied
from marac_prep.core.models import User
from marac_prep.core.permissions import allowed, require

ACTIONS = ("manage_meeting", "manage_case", "edit_entry", "set_return", "record_risk_assessment",
           "manage_users", "import", "export", "view_audit", "manage_settings", "update_action")


def person(role: str, agency_id: int | None = 7, active: bool = True) -> User:
    return User(id=1, name="Ffion Jenkins", role=role, agency_id=agency_id, active=active)


@pytest.mark.parametrize(
    ("role", "anywhere", "own_agency"),
    [
        ("coordinator", set(ACTIONS), set(ACTIONS)),
        ("idva", {"manage_case", "export"},
         {"manage_case", "export", "edit_entry", "set_return", "record_risk_assessment", "import", "update_action"}),
        ("agency_rep", set(), {"edit_entry", "set_return", "record_risk_assessment", "import", "update_action"}),
        ("viewer", set(), set()),
        ("auditor", set(), set()),  # a role the app does not know may do nothing
    ],
)
def test_each_role_may_do_exactly_its_actions(role, anywhere, own_agency):
    actor = person(role)
    assert {a for a in ACTIONS if allowed(actor, a, agency_id=99)} == anywhere
    assert {a for a in ACTIONS if allowed(actor, a, agency_id=7)} == own_agency
    assert {a for a in ACTIONS if allowed(actor, a)} == anywhere
    assert not allowed(actor, "launch_rockets", agency_id=7)


def test_an_own_agency_action_needs_an_agency_on_both_sides():
    assert not allowed(person("agency_rep", agency_id=None), "edit_entry", agency_id=None)
    assert not allowed(person("agency_rep", agency_id=None), "edit_entry", agency_id=7)


def test_an_inactive_profile_may_do_nothing_and_is_told_why():
    actor = person("coordinator", active=False)
    assert not any(allowed(actor, a, agency_id=7) for a in ACTIONS)
    with pytest.raises(PermissionDenied) as refused:
        require(actor, "export")
    assert str(refused.value) == "Ffion Jenkins's profile is inactive, so it cannot export case information."


@pytest.mark.parametrize(
    ("role", "action", "sentence"),
    [
        ("viewer", "export", "As a viewer, Ffion Jenkins cannot export case information; nothing was changed."),
        ("idva", "manage_settings",
         "As an Idva, Ffion Jenkins cannot change this Marac's settings; nothing was changed."),
        ("agency_rep", "edit_entry", "As an agency representative, Ffion Jenkins can add or change chronology "
                                     "entries only for their own agency; nothing was changed."),
        ("idva", "set_return",
         "As an Idva, Ffion Jenkins can change an agency's return only for their own agency; nothing was changed."),
        ("coordinator", "launch_rockets", "As a coordinator, Ffion Jenkins cannot launch_rockets; nothing was changed."),
        ("auditor", "view_audit", "As auditor, Ffion Jenkins cannot see the audit trail; nothing was changed."),
        ("viewer", "manage_users", "As a viewer, Ffion Jenkins cannot manage users and agencies; nothing was changed."),
        ("viewer", "manage_meeting", "As a viewer, Ffion Jenkins cannot create or change meetings; nothing was changed."),
        ("viewer", "import", "As a viewer, Ffion Jenkins cannot import agency returns; nothing was changed."),
        ("viewer", "record_risk_assessment",
         "As a viewer, Ffion Jenkins cannot record a risk assessment; nothing was changed."),
        ("viewer", "manage_case", "As a viewer, Ffion Jenkins cannot create or change cases; nothing was changed."),
    ],
)
def test_a_refusal_is_one_plain_sentence(role, action, sentence):
    with pytest.raises(PermissionDenied) as refused:
        require(person(role), action, agency_id=99)
    assert str(refused.value) == sentence


def test_an_allowed_action_passes_silently():
    assert require(person("agency_rep"), "edit_entry", agency_id=7) is None
