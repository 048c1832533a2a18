"""Role x own/other agency through the main window: what is offered agrees with the rules and MATRIX."""

from __future__ import annotations

import pytest

from marac_prep.core.permissions import allowed
from marac_prep.ui.dash_dialog import DashDialog
from marac_prep.ui.entry_dialog import EntryDialog
from tests.trust.test_permission_matrix import EXPECTED, MATRIX, OTHER_AGENCY, ROLE_AGENCY
from tests.ui.helpers import make_window, open_case

SCOPES = ("own", "other")


def _expect(action: str, role: str, scope: str) -> bool:
    return EXPECTED[action][role][SCOPES.index(scope)]


def test_the_ui_uses_the_matrix_written_in_the_trust_tests():
    assert "edit_entry" in MATRIX and set(ROLE_AGENCY) == {"coordinator", "idva", "agency_rep", "viewer"}


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", list(ROLE_AGENCY))
def test_what_the_window_offers_matches_the_matrix(qtbot, workspace, temporary_settings, messages, role, scope):
    ws, db = workspace
    meeting = ws.meeting()
    case = ws.case(meeting, children=1)
    own_code = ROLE_AGENCY[role] or "POL"
    code = own_code if scope == "own" else OTHER_AGENCY
    agency_id = ws.agency[code].id
    entry = ws.entry(case, code, summary=f"{code} record.")
    actor = ws.user(role, ROLE_AGENCY[role])
    ws.session.commit()

    window = make_window(qtbot, db, actor, temporary_settings)
    # Meeting-level actions: no agency involved, so own and other agree.
    assert window.new_meeting_action.isEnabled() is _expect("manage_meeting", role, scope)
    assert window.new_meeting_button.isEnabled() is _expect("manage_meeting", role, scope)
    assert window.new_case_action.isEnabled() is _expect("manage_case", role, scope)
    for action in (window.export_action, window.export_chronology_action, window.templates_action):
        assert action.isEnabled() is _expect("export", role, scope), action.text()
    # Import is offered when the role may import for its own agency at least.
    assert window.import_action.isEnabled() is _expect("import", role, "own")

    open_case(qtbot, window, case.id)
    assert window.new_entry_action.isEnabled() is _expect("edit_entry", role, "own")
    assert window._case_buttons["edit_entry"].isEnabled() is _expect("edit_entry", role, "own")
    assert window.dash_action.isEnabled() is _expect("record_risk_assessment", role, "own")
    assert window.edit_case_action.isEnabled() is _expect("manage_case", role, scope)

    # The Dash checklist offers exactly the agencies the role may assess for.
    dash = DashDialog(db, actor, case_id=case.id)
    qtbot.addWidget(dash)
    offered = {dash.agency.itemData(i) for i in range(dash.agency.count())}
    assert (agency_id in offered) is _expect("record_risk_assessment", role, scope)

    # Editing an entry of own vs other agency.
    dialog = EntryDialog(db, actor, case_id=case.id, entry_id=entry.id)
    qtbot.addWidget(dialog)
    may_edit = _expect("edit_entry", role, scope)
    assert may_edit is allowed(actor, "edit_entry", agency_id=agency_id)
    assert dialog.read_only is not may_edit
    assert dialog.save_button.isEnabled() is may_edit

    # Returns: mark requested / nothing known for own vs other agency.
    returns = window.case_view.returns
    if agency_id not in {line.agency_id for line in returns.model.lines}:
        pytest.fail(f"{code} has no line in the returns panel")
    returns.select_agency(agency_id)
    may_return = _expect("set_return", role, scope)
    assert may_return is allowed(actor, "set_return", agency_id=agency_id)
    assert returns.request_button.isEnabled() is may_return
    assert returns.nothing_button.isEnabled() is may_return

    # A refusal raised by the service anyway is a dialog, never a traceback.
    errors_before = len(messages.errors)
    window.record_return(agency_id, "requested")
    qtbot.waitUntil(lambda: not window._export_ops, timeout=20_000)  # the change runs off the GUI thread
    if may_return:
        assert len(messages.errors) == errors_before
    else:
        assert messages.errors[-1][0] == "Not allowed" and "nothing was changed" in messages.errors[-1][1]
