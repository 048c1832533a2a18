"""Who am I: pick an existing profile or create one (name, agency, role) on start."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
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
from marac_prep.core.errors import ValidationError
from marac_prep.core.models import User
from marac_prep.core.users import create_profile, get_user, list_users
from marac_prep.ui.forms import (
    agencies,
    choice,
    clear_when_edited,
    fill_agency_combo,
    fit_to_screen,
    inline_error,
    saving,
)
from marac_prep.ui.text import plain_label

ROLE_LABELS = {
    "coordinator": "Marac coordinator",
    "idva": "Idva",
    "agency_rep": "Agency representative",
    "viewer": "Viewer (read only)",
}


class ProfileDialog(QDialog):
    """Chooses the acting profile.

    Attributes:
        user: the chosen or created profile once accepted.
    """

    def __init__(self, database: Database, *, suggested_name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._database = database
        self.user: User | None = None
        self.setWindowTitle("Who are you?")
        with database.read_session() as session:
            users = [u for u in list_users(session) if u.active]
            self._agencies = agencies(session)
        names = {a.id: a.name for a in self._agencies}
        intro = plain_label("Marac Prep records who made each change. Pick your profile, or create one.", self)
        intro.setWordWrap(True)
        self.profiles = QListWidget(self)
        self.profiles.setAccessibleName("Existing profiles")
        for user in users:
            where = names.get(user.agency_id, "") if user.agency_id else ""
            item = QListWidgetItem(
                f"{user.name} – {ROLE_LABELS.get(user.role, user.role)}" + (f", {where}" if where else "")
            )
            item.setData(Qt.ItemDataRole.UserRole, user.id)
            self.profiles.addItem(item)
        self.profiles.itemDoubleClicked.connect(lambda _item: self.choose())
        new = QGroupBox("New profile", self)
        self.name = QLineEdit(new)
        self.name.setAccessibleName("Your name")
        self.name.setText(suggested_name if not users else "")
        self.agency = QComboBox(new)
        self.agency.setAccessibleName("Your agency")
        fill_agency_combo(self.agency, self._agencies, none_label="— (coordinator or viewer)")
        self.role = QComboBox(new)
        self.role.setAccessibleName("Your role")
        for role, label in ROLE_LABELS.items():
            self.role.addItem(label, role)
        form = QFormLayout(new)
        form.addRow("&Name", self.name)
        form.addRow("&Agency", self.agency)
        form.addRow("&Role", self.role)
        self.error = inline_error(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Continue")
        self.buttons.accepted.connect(self.choose)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(plain_label("Existing profiles", self))
        layout.addWidget(self.profiles)
        layout.addWidget(new)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        if users:
            self.profiles.setCurrentRow(0)
        self.name.textEdited.connect(lambda _t: self.profiles.clearSelection())
        clear_when_edited(self, self.error)
        fit_to_screen(self)

    def choose(self) -> bool:
        """Uses a typed new profile if a name is given, else the selected existing one."""
        with saving(self, self.error, doing="choose a profile") as saved, self._database.session() as session:
            if self.name.text().strip():
                self.user = create_profile(
                    session, name=self.name.text(), role=choice(self.role), agency_id=choice(self.agency)
                )
            else:
                item = self.profiles.currentItem()
                if item is None or not item.isSelected():
                    raise ValidationError("Pick your profile from the list, or type your name to create one.")
                self.user = get_user(session, int(item.data(Qt.ItemDataRole.UserRole)))
        return saved.ok

    @classmethod
    def choose_profile(cls, parent: QWidget | None, database: Database, suggested_name: str = "") -> User | None:
        """Shows the chooser; the profile, or None if the user cancels. Tests replace this."""
        dialog = cls(database, suggested_name=suggested_name, parent=parent)
        return dialog.user if dialog.exec() == QDialog.DialogCode.Accepted else None
