"""Who am I: pick your profile and prove it (your account, or the profile's passphrase).

Profiles are made by coordinators; the chooser creates only a new database's first coordinator,
for the account that created the database (see docs/security.md).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from marac_prep.core.db import Database
from marac_prep.core.errors import PermissionDenied, ValidationError
from marac_prep.core.identity import Proof, authenticate, may_create_first_coordinator
from marac_prep.core.models import User
from marac_prep.core.users import create_profile, list_users
from marac_prep.ui.forms import agencies, clear_when_edited, fit_to_screen, inline_error, saving
from marac_prep.ui.text import plain_label

ROLE_LABELS = {
    "coordinator": "Marac coordinator",
    "idva": "Idva",
    "agency_rep": "Agency representative",
    "viewer": "Viewer (read only)",
}


class ProfileDialog(QDialog):
    """Chooses the acting profile, which must be proved.

    Attributes:
        user: the proved (or, on a new database, created) profile once accepted.
        profiles: the existing profiles; passphrase: the chosen profile's passphrase, if it has one.
        name: the first coordinator's name (shown only on a database without profiles).
    """

    def __init__(self, database: Database, *, suggested_name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._database = database
        self.user: User | None = None
        self.setWindowTitle("Who are you?")
        self.setMinimumWidth(420)
        self._proof = Proof.of_this_process()
        with database.read_session() as session:
            users = [u for u in list_users(session) if u.active]
            self._agencies = agencies(session)
            self.first_profile = may_create_first_coordinator(session, self._proof)
        names = {a.id: a.name for a in self._agencies}
        intro = plain_label(
            "Marac Prep records who made each change. Pick your profile; a profile that is not "
            "bound to your account on this computer needs its passphrase.", self,
        )
        intro.setWordWrap(True)
        self.profiles = QListWidget(self)
        self.profiles.setAccessibleName("Existing profiles")
        for user in users:
            where = names.get(user.agency_id, "") if user.agency_id else ""
            item = QListWidgetItem(
                f"{user.name} – {ROLE_LABELS.get(user.role, user.role)}" + (f", {where}" if where else "")
            )
            item.setData(Qt.ItemDataRole.UserRole, user.name)
            self.profiles.addItem(item)
            if suggested_name and user.name.casefold() == suggested_name.strip().casefold():
                self.profiles.setCurrentItem(item)
        self.profiles.itemDoubleClicked.connect(lambda _item: self.choose())
        self.passphrase = QLineEdit(self)
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Profile passphrase")
        self.passphrase.setPlaceholderText("Passphrase, if your profile has one")
        self.passphrase.returnPressed.connect(self.choose)
        new = QGroupBox("This database has no profiles yet: you become its first coordinator", self)
        self.name = QLineEdit(new)
        self.name.setAccessibleName("Your name")
        self.name.setText(suggested_name or self._proof.os_account)
        QFormLayout(new).addRow("&Name", self.name)
        new.setVisible(self.first_profile)
        self.error = inline_error(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Continue")
        self.buttons.accepted.connect(self.choose)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        if users:
            layout.addWidget(plain_label("Profiles", self))
            layout.addWidget(self.profiles)
            layout.addWidget(self.passphrase)
        else:
            self.profiles.hide()
            self.passphrase.hide()
        layout.addWidget(new)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        if users and self.profiles.currentItem() is None:
            self.profiles.setCurrentRow(0)
        clear_when_edited(self, self.error)
        fit_to_screen(self)

    def choose(self) -> bool:
        """Proves the selected profile (or makes the first coordinator); refusals show inline."""
        with (
            saving(self, self.error, doing="choose a profile") as saved,
            self._database.interactive_session() as session,
        ):
            if self.first_profile:
                self.user = create_profile(
                    session, name=self.name.text(), role="coordinator", agency_id=None,
                    os_account=self._proof.os_account,
                )
            else:
                item = self.profiles.currentItem()
                if item is None:
                    raise ValidationError("Pick your profile from the list.")
                proof = Proof.of_this_process(passphrase=self.passphrase.text())
                self.passphrase.clear()
                try:
                    self.user = authenticate(session, name=str(item.data(Qt.ItemDataRole.UserRole)), proof=proof)
                except PermissionDenied as exc:  # said beside the field, the dialog staying open
                    raise ValidationError(str(exc)) from None
        return saved.ok

    @classmethod
    def choose_profile(cls, parent: QWidget | None, database: Database, suggested_name: str = "") -> User | None:
        """Shows the chooser; the proved profile, or None if the user cancels. Tests replace this."""
        dialog = cls(database, suggested_name=suggested_name, parent=parent)
        return dialog.user if dialog.exec() == QDialog.DialogCode.Accepted else None
