"""One person in a referral: victim, perpetrator, child or other, with an optional address."""

from __future__ import annotations

import copy

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from marac_prep.core.cases import PersonInput
from marac_prep.core.diversity import NOT_RECORDED, labels
from marac_prep.core.errors import ValidationError
from marac_prep.core.vocabulary import PERSON_ROLES
from marac_prep.ui.forms import (
    UkDateField,
    add_choice,
    choice,
    clear_when_edited,
    fit_to_screen,
    inline_error,
    scrolling,
    select_data,
    show_inline,
)

# As the SafeLives quarterly return counts them, with "other" and "not recorded" (resources/diversity.json).
GENDERS = labels("gender")
ETHNICITIES = labels("ethnicity")
DISABILITIES = labels("disability")


def _list_combo(parent: QWidget, name: str, items: tuple[str, ...]) -> QComboBox:
    """A choice from the list only: the quarterly return counts what is chosen, never free text."""
    combo = QComboBox(parent)
    combo.setAccessibleName(name)
    combo.addItems(list(items))
    combo.setCurrentIndex(combo.findText(NOT_RECORDED))
    return combo


def _set_combo_text(combo: QComboBox, text: str) -> None:
    """Selects the stored value; an older free-text value not on the list is kept as an extra item
    (marked as such) so opening and saving a person never loses what was recorded."""
    index = combo.findText(text, Qt.MatchFlag.MatchFixedString) if text.strip() else combo.findText(NOT_RECORDED)
    if index < 0:
        combo.addItem(f"{text} (not on the list)", text)
        index = combo.count() - 1
    combo.setCurrentIndex(index)


def _combo_text(combo: QComboBox) -> str:
    kept = combo.currentData()
    if isinstance(kept, str):
        return kept
    text = combo.currentText().strip()
    return "" if text == NOT_RECORDED else text


def _tri_combo(parent: QWidget, name: str) -> QComboBox:
    combo = QComboBox(parent)
    combo.setAccessibleName(name)
    add_choice(combo, "Not recorded", None)
    combo.addItem("Yes", True)
    combo.addItem("No", False)
    return combo


class PersonDialog(QDialog):
    """Edits a `PersonInput`; the result is in `person` when accepted."""

    def __init__(self, person: PersonInput, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.person = copy.deepcopy(person)
        self.setWindowTitle(f"{person.role.capitalize()} in the referral")
        self.role = QComboBox(self)
        self.role.setAccessibleName("Role in the case")
        for role in PERSON_ROLES:
            self.role.addItem(role.capitalize(), role)
        self.name = QLineEdit(self)
        self.name.setAccessibleName("Name")
        self.name.setPlaceholderText("First name and SURNAME, e.g. Amelia ASHWORTH")
        self.aliases = QLineEdit(self)
        self.aliases.setAccessibleName("Aliases, separated by commas")
        self.dob = UkDateField("Date of birth", self, partial=False, required=False)
        self.gender = _list_combo(self, "Gender", GENDERS)
        self.ethnicity = _list_combo(self, "Ethnicity", ETHNICITIES)
        self.disability = _list_combo(self, "Disability", DISABILITIES)
        self.lgbt = _tri_combo(self, "LGBT+")
        self.relationship = QLineEdit(self)
        self.relationship.setAccessibleName("Relationship")
        self.relationship.setPlaceholderText("e.g. ex-partner; for a child: son of victim and perpetrator")
        self.school = QLineEdit(self)
        self.school.setAccessibleName("School or nursery")
        self.phone = QLineEdit(self)
        self.phone.setAccessibleName("Safe phone number")
        self.safe_to_call = _tri_combo(self, "Safe to call")
        self.never_inform = QCheckBox("Must never receive information about this case", self)
        self.address = QLineEdit(self)
        self.address.setAccessibleName("Address")
        self.confidential = QCheckBox("Confidential (e.g. a refuge): never shown or shared", self)
        self.show_address = QCheckBox("Show", self)
        self.show_address.setAccessibleName("Show the confidential address")
        self.error = inline_error(self)
        address_row = QHBoxLayout()
        address_row.addWidget(self.address, 1)
        address_row.addWidget(self.show_address)
        form = QFormLayout()
        form.addRow("&Role", self.role)
        form.addRow("&Name", self.name)
        form.addRow("A&liases", self.aliases)
        form.addRow("Date of &birth", self.dob)
        form.addRow("&Gender", self.gender)
        form.addRow("&Ethnicity", self.ethnicity)
        form.addRow("&Disability", self.disability)
        form.addRow("LGBT+", self.lgbt)
        form.addRow("Rela&tionship", self.relationship)
        form.addRow("&School", self.school)
        form.addRow("&Phone", self.phone)
        form.addRow("Safe to &call", self.safe_to_call)
        self.form = form
        form.addRow("", self.never_inform)
        address_label = QLabel("&Address", self)
        address_label.setBuddy(self.address)
        form.addRow(address_label, address_row)
        form.addRow("", self.confidential)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        self.body = scrolling(self, form)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._fill(self.person)
        self.confidential.toggled.connect(self._update_masking)
        self.show_address.toggled.connect(self._update_masking)
        self._update_masking()
        self.role.currentIndexChanged.connect(self._update_role_fields)
        self._update_role_fields()
        clear_when_edited(self, self.error)
        fit_to_screen(self, self.body)

    def _fill(self, p: PersonInput) -> None:
        select_data(self.role, p.role)
        self.name.setText(p.name)
        self.aliases.setText(", ".join(p.aliases))
        self.dob.set_day(p.date_of_birth)
        _set_combo_text(self.gender, p.gender)
        _set_combo_text(self.ethnicity, p.ethnicity)
        _set_combo_text(self.disability, p.disability)
        select_data(self.lgbt, p.lgbt)
        self.relationship.setText(p.relationship)
        self.school.setText(p.school)
        self.phone.setText(p.phone)
        select_data(self.safe_to_call, p.safe_to_call)
        self.never_inform.setChecked(p.must_not_receive_information)
        self.address.setText(p.address)
        self.confidential.setChecked(p.address_confidential)

    def _update_role_fields(self, *_args: object) -> None:
        """A perpetrator is not asked for a school or whether it is safe to call (those protect the
        victim and the children)."""
        perpetrator = choice(self.role) == "perpetrator"
        self.form.setRowVisible(self.school, not perpetrator)
        self.form.setRowVisible(self.safe_to_call, not perpetrator)

    def _update_masking(self, *_args: object) -> None:
        # A confidential address is masked on screen unless the user asks to see it.
        masked = self.confidential.isChecked() and not self.show_address.isChecked()
        self.address.setEchoMode(QLineEdit.EchoMode.Password if masked else QLineEdit.EchoMode.Normal)
        self.show_address.setVisible(self.confidential.isChecked())

    def save(self) -> bool:
        show_inline(self.error, "")
        if not self.name.text().strip():
            show_inline(self.error, "Each person needs a name (write 'Unknown' if it is not known).")
            return False
        try:
            dob = self.dob.day()
        except ValidationError as exc:
            show_inline(self.error, str(exc))
            return False
        self.person = PersonInput(
            role=choice(self.role),
            name=self.name.text().strip(),
            aliases=[a.strip() for a in self.aliases.text().split(",") if a.strip()],
            date_of_birth=dob,
            gender=_combo_text(self.gender),
            ethnicity=_combo_text(self.ethnicity),
            disability=_combo_text(self.disability),
            lgbt=choice(self.lgbt),
            relationship=self.relationship.text().strip(),
            school=self.school.text().strip() if choice(self.role) != "perpetrator" else "",
            phone=self.phone.text().strip(),
            safe_to_call=choice(self.safe_to_call) if choice(self.role) != "perpetrator" else None,
            must_not_receive_information=self.never_inform.isChecked(),
            address=self.address.text().strip(),
            address_confidential=self.confidential.isChecked(),
        )
        self.accept()
        return True

    @classmethod
    def edit_person(cls, parent: QWidget | None, person: PersonInput) -> PersonInput | None:
        """Shows the dialog; the edited person, or None when cancelled. Tests replace this."""
        dialog = cls(person, parent)
        return dialog.person if dialog.exec() == QDialog.DialogCode.Accepted else None
