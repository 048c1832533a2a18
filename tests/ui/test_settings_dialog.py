"""The Settings dialog: every setting described, a coordinator's change saved and applied."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLabel

from marac_prep.core.settings import current, descriptions
from marac_prep.ui.settings_dialog import SettingsDialog


def _texts(dialog) -> list[str]:
    return [label.text() for label in dialog.findChildren(QLabel)]


def test_each_setting_is_shown_with_its_description_as_plain_text(qtbot, db, ws):
    ws.session.commit()
    dialog = SettingsDialog(db, ws.coordinator)
    qtbot.addWidget(dialog)
    texts = _texts(dialog)
    for text in descriptions().values():
        assert text in texts
    assert all(label.textFormat() == Qt.TextFormat.PlainText for label in dialog.findChildren(QLabel))
    dialog.grab().save("/tmp/settings-dialog.png")


def test_a_coordinator_changes_a_window_and_the_database_keeps_it(qtbot, db, ws):
    ws.session.commit()
    dialog = SettingsDialog(db, ws.coordinator)
    qtbot.addWidget(dialog)
    dialog.fields["referral_received_window_days"].setText("21")
    dialog.fields["risk_bands"].setText("0-8, 9-13, 14-24")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    with db.read_session() as session:
        now = current(session)
    assert now.referral_received_window_days == 21 and now.risk_level(9) == "medium"


def test_a_bad_value_stays_in_the_dialog_with_the_reason(qtbot, db, ws):
    ws.session.commit()
    dialog = SettingsDialog(db, ws.coordinator)
    qtbot.addWidget(dialog)
    dialog.fields["repeat_window_days"].setText("a year")
    dialog.fields["idle_lock_minutes"].setText("15")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert "whole number" in dialog.error.text() and not dialog.error.isHidden()
    with db.read_session() as session:
        assert current(session).idle_lock_minutes == 10  # all or nothing


def test_a_viewer_sees_the_settings_but_cannot_change_them(qtbot, db, ws):
    viewer = ws.user("viewer")
    ws.session.commit()
    dialog = SettingsDialog(db, viewer)
    qtbot.addWidget(dialog)
    assert not any(field.isEnabled() for field in dialog.fields.values())
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Save) is None
    assert any("Only a coordinator can change them." in text for text in _texts(dialog))


def test_view_settings_opens_the_dialog_and_applies_a_new_idle_time(qtbot, workspace, temporary_settings, monkeypatch):
    from marac_prep.core.settings import set_setting
    from marac_prep.ui.idle_lock import IdleLock
    from tests.ui.helpers import make_window

    ws, db = workspace
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    window.idle_lock = IdleLock(window, timeout_ms=600_000)
    [action] = [a for a in window.view_menu.actions() if a.text() == "&Settings…"]

    def change(cls, parent, database, actor):
        with database.session() as session:
            set_setting(session, actor=actor, name="idle_lock_minutes", value=3)
        return True

    monkeypatch.setattr(SettingsDialog, "open_settings", classmethod(change))
    action.trigger()
    assert window.idle_lock._timer.interval() == 3 * 60_000
    window.idle_lock.stop()


def test_a_change_saved_by_another_coordinator_meanwhile_is_not_overwritten(qtbot, db, ws):
    from marac_prep.core.settings import set_setting

    ws.session.commit()
    dialog = SettingsDialog(db, ws.coordinator)
    qtbot.addWidget(dialog)
    with db.session() as session:  # another coordinator, another desk, while this dialog is open
        set_setting(session, actor=ws.coordinator, name="repeat_window_days", value=200)
    dialog.fields["repeat_window_days"].setText("300")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert dialog.result() != SettingsDialog.DialogCode.Accepted
    assert 'Another coordinator changed "Repeat window days"' in dialog.error.text()
    assert not dialog.error.isHidden() and dialog.fields["repeat_window_days"].text() == "300"
    with db.read_session() as session:
        assert current(session).repeat_window_days == 200
    dialog.grab().save("/tmp/trust-settings-conflict.png")
