"""Creating and changing a case from a referral: criteria, consent, Dash score and the people."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlmodel import Session, select

from marac_prep.core.cases import (
    PersonInput,
    add_person,
    addresses_of,
    create_case,
    get_case,
    people_of,
    remove_person,
    update_case,
    update_person,
)
from marac_prep.core.dates import display_day
from marac_prep.core.db import Database
from marac_prep.core.errors import ValidationError
from marac_prep.core.meetings import list_meetings
from marac_prep.core.models import Case, User
from marac_prep.core.settings import current
from marac_prep.ui.forms import (
    UkDateField,
    add_choice,
    agencies,
    choice,
    clear_when_edited,
    fill_agency_combo,
    fit_to_screen,
    inline_error,
    saving,
    scrolling,
    select_data,
)
from marac_prep.ui.people_model import MASKED_ADDRESS
from marac_prep.ui.person_dialog import PersonDialog, _tri_combo

_REFERENCE = re.compile(r"^(?P<prefix>[A-Za-z]+)-(?P<year>\d{4})-(?P<number>\d+)$")


def suggest_reference(session: Session, year: int) -> str:
    """The next reference in the Marac's series for `year` ("MAR-2026-00042" after "MAR-2026-00041")."""
    numbers: list[tuple[int, str, int]] = []
    for reference in session.exec(select(Case.reference)).all():
        match = _REFERENCE.match(reference or "")
        if match and int(match["year"]) == year:
            numbers.append((int(match["number"]), match["prefix"], len(match["number"])))
    if not numbers:
        return f"MAR-{year}-{1:05d}"
    number, prefix, width = max(numbers)
    return f"{prefix}-{year}-{number + 1:0{width}d}"


@dataclass
class _PersonSlot:
    """A person in the form: stored (`person_id`) or new, and whether it was changed."""

    person: PersonInput
    person_id: int | None = None
    changed: bool = False


def describe(person: PersonInput) -> str:
    parts = [f"{person.role.capitalize()}: {person.name}"]
    if person.date_of_birth:
        parts.append(f"born {display_day(person.date_of_birth)}")
    if person.school:
        parts.append(person.school)
    if person.address:
        parts.append(MASKED_ADDRESS if person.address_confidential else person.address)
    if person.must_not_receive_information:
        parts.append("must not receive information")
    return " · ".join(parts)


class CaseDialog(QDialog):
    """A new case (from a referral) or an existing one.

    Attributes:
        case: the saved case once saved (or the one being edited).
    """

    def __init__(
        self,
        database: Database,
        actor: User,
        *,
        case_id: int | None = None,
        meeting_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._database, self._actor = database, actor
        self.case: Case | None = None
        self._slots: list[_PersonSlot] = []
        self._removed: list[int] = []
        with database.read_session() as session:
            self._settings = current(session)
            self._agencies = agencies(session)
            self._meetings = list_meetings(session)
            if case_id is not None:
                self.case = get_case(session, case_id)
                addresses = {a.person_id: a for a in addresses_of(session, case_id)}
                for p in people_of(session, case_id):
                    self._slots.append(
                        _PersonSlot(
                            PersonInput.of(p, addresses.get(p.id)),
                            person_id=p.id,
                        )
                    )
        self.setWindowTitle("New case from a referral" if self.case is None else f"Case {self.case.reference}")
        self._build()
        if self.case is not None:
            self._fill(self.case)
        else:
            select_data(self.meeting, meeting_id)
            self.referral_date.set_day(date.today())
            with database.read_session() as session:
                self.reference.setText(suggest_reference(session, date.today().year))
            self.reference.setToolTip("Suggested: the next number in this year's series; change it if yours differs.")
        self._refresh_people()
        clear_when_edited(self, self.error)
        fit_to_screen(self, self.body)

    def _build(self) -> None:
        self.reference = QLineEdit(self)
        self.reference.setAccessibleName("Case reference")
        self.reference.setPlaceholderText("e.g. MAR-2026-0042")
        self.referral_date = UkDateField("Referral date", self, partial=False)
        self.referring_agency = QComboBox(self)
        self.referring_agency.setAccessibleName("Referring agency")
        fill_agency_combo(self.referring_agency, self._agencies)
        self.meeting = QComboBox(self)
        self.meeting.setAccessibleName("Meeting")
        add_choice(self.meeting, "— not yet listed", None)
        for meeting in self._meetings:
            self.meeting.addItem(f"{display_day(meeting.meeting_date)} {meeting.area}".strip(), meeting.id)
        self.criteria: dict[str, QCheckBox] = {}
        criteria_box = QVBoxLayout()
        for ident, label in self._settings.criteria:
            box = QCheckBox(label, self)
            self.criteria[ident] = box
            criteria_box.addWidget(box)
        self.criteria_notes = QPlainTextEdit(self)
        self.criteria_notes.setAccessibleName("Concerns (professional judgement)")
        self.criteria_notes.setTabChangesFocus(True)
        self.criteria_notes.setFixedHeight(60)
        self.dash = QSpinBox(self)
        self.dash.setAccessibleName("Dash score")
        self.dash.setRange(-1, 24)
        self.dash.setSpecialValueText("not recorded")
        self.dash.setValue(-1)
        self.dash_level = QLineEdit(self)
        self.dash_level.setReadOnly(True)
        self.dash_level.setAccessibleName("Dash risk level")
        self.aware = _tri_combo(self, "Victim aware of the referral")
        self.consent = _tri_combo(self, "Victim consented")
        self.consent_reason = QLineEdit(self)
        self.consent_reason.setAccessibleName("Why information is shared without consent")
        self.consent_reason.setPlaceholderText("Needed when the victim has not consented")
        # The pack's front sheet: the referrer's own words, and the victim's wishes / Idva's view.
        self.referral_reason = QPlainTextEdit(self)
        self.referral_reason.setAccessibleName("Referrer's reason for referral")
        self.referral_reason.setPlaceholderText("Why the referrer is referring, in their words")
        self.referral_reason.setTabChangesFocus(True)
        self.referral_reason.setFixedHeight(50)
        self.victim_wishes = QPlainTextEdit(self)
        self.victim_wishes.setAccessibleName("Victim's wishes and the Idva's view")
        self.victim_wishes.setPlaceholderText("Filled in by the Idva")
        self.victim_wishes.setTabChangesFocus(True)
        self.victim_wishes.setFixedHeight(50)

        self.people = QListWidget(self)
        self.people.setAccessibleName("People in the referral")
        self.people.setMinimumHeight(140)
        people_buttons = QHBoxLayout()
        self.add_buttons: dict[str, QPushButton] = {}
        for role, text in (
            ("victim", "Add &victim"),
            ("perpetrator", "Add &perpetrator"),
            ("child", "Add c&hild"),
            ("other", "Add &other"),
        ):
            button = QPushButton(text, self)
            button.clicked.connect(lambda _c=False, r=role: self.add_person(r))
            self.add_buttons[role] = button
            people_buttons.addWidget(button)
        self.edit_person_button = QPushButton("&Edit…", self)
        self.remove_person_button = QPushButton("Remove perso&n", self)
        self.edit_person_button.clicked.connect(self.edit_current_person)
        self.remove_person_button.clicked.connect(self.remove_current_person)
        self.people.itemActivated.connect(lambda _item: self.edit_current_person())
        people_buttons.addStretch(1)
        people_buttons.addWidget(self.edit_person_button)
        people_buttons.addWidget(self.remove_person_button)

        form = QFormLayout()
        form.addRow("&Reference", self.reference)
        form.addRow("Referral &date", self.referral_date)
        form.addRow("Referring &agency", self.referring_agency)
        form.addRow("&Meeting", self.meeting)
        dash_row = QHBoxLayout()
        dash_row.addWidget(self.dash)
        dash_row.addWidget(self.dash_level, 1)
        dash_label = QLabel("Dash &score", self)
        dash_label.setBuddy(self.dash)
        form.addRow(dash_label, dash_row)
        consent = QFormLayout()
        consent.addRow("V&ictim aware", self.aware)
        consent.addRow("&Consented", self.consent)
        consent.addRow("Reason if no&t", self.consent_reason)
        consent.addRow("Re&ferrer's reason", self.referral_reason)
        consent.addRow("Victim's &wishes / Idva's view", self.victim_wishes)
        crit = QGroupBox("Criteria met", self)
        crit_layout = QVBoxLayout(crit)
        crit_layout.addLayout(criteria_box)
        crit_layout.addWidget(self.criteria_notes)
        grid = QGridLayout()
        grid.addLayout(form, 0, 0)
        grid.addWidget(crit, 0, 1)
        grid.addLayout(consent, 1, 0)
        people_box = QGroupBox("People", self)
        people_layout = QVBoxLayout(people_box)
        people_layout.addWidget(self.people)
        people_layout.addLayout(people_buttons)
        self.error = inline_error(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        body = QVBoxLayout()
        body.addLayout(grid)
        body.addWidget(people_box, 1)
        self.body = scrolling(self, body)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.dash.valueChanged.connect(self._update_level)
        self._update_level()

    def _fill(self, case: Case) -> None:
        self.reference.setText(case.reference)
        self.referral_date.set_day(case.referral_date)
        select_data(self.referring_agency, case.referring_agency_id)
        select_data(self.meeting, case.meeting_id)
        for ident, box in self.criteria.items():
            box.setChecked(ident in case.criteria)
        self.criteria_notes.setPlainText(case.criteria_notes)
        self.dash.setValue(-1 if case.dash_score is None else case.dash_score)
        if case.repeat and "repeat" in self.criteria:
            self.criteria["repeat"].setChecked(True)  # one place says "repeat": the criterion
        select_data(self.aware, case.victim_aware)
        select_data(self.consent, case.victim_consent)
        self.consent_reason.setText(case.consent_reason)
        self.referral_reason.setPlainText(case.referral_reason)
        self.victim_wishes.setPlainText(case.victim_wishes)

    def _update_level(self, *_args: object) -> None:
        score = self.dash.value()
        self.dash_level.setText("" if score < 0 else f"{self._settings.risk_level(score)} risk")
        # A score at the visible-high-risk threshold meets that criterion; it cannot be unticked.
        box = self.criteria.get("visible_high_risk")
        if box is not None:
            forced = score >= self._settings.visible_high_risk_threshold
            if forced:
                box.setChecked(True)
            box.setEnabled(not forced)
            box.setToolTip(
                f"Ticked by the Dash score ({score} of 24): it cannot be downgraded." if forced else ""
            )

    def _refresh_people(self) -> None:
        self.people.clear()
        for number, slot in enumerate(self._slots):
            item = QListWidgetItem(describe(slot.person))
            item.setData(Qt.ItemDataRole.UserRole, number)
            self.people.addItem(item)

    def add_person(self, role: str) -> None:
        person = PersonDialog.edit_person(self, PersonInput(role=role, name=""))
        if person is not None:
            self._slots.append(_PersonSlot(person, changed=True))
            self._refresh_people()

    def edit_current_person(self) -> None:
        row = self.people.currentRow()
        if row < 0:
            return
        slot = self._slots[row]
        person = PersonDialog.edit_person(self, slot.person)
        if person is not None:
            slot.person, slot.changed = person, True
            self._refresh_people()

    def remove_current_person(self) -> None:
        row = self.people.currentRow()
        if row < 0:
            return
        slot = self._slots.pop(row)
        if slot.person_id is not None:
            self._removed.append(slot.person_id)
        self._refresh_people()

    def save(self) -> bool:
        with saving(self, self.error, doing="save the case") as saved:
            referral_date = self.referral_date.day()
            assert referral_date is not None  # required field
            values = dict(
                reference=self.reference.text(),
                referral_date=referral_date,
                referring_agency_id=choice(self.referring_agency),
                meeting_id=choice(self.meeting),
                criteria=[ident for ident, box in self.criteria.items() if box.isChecked()],
                criteria_notes=self.criteria_notes.toPlainText(),
                dash_score=None if self.dash.value() < 0 else self.dash.value(),
                repeat="repeat" in self.criteria and self.criteria["repeat"].isChecked(),
                victim_aware=choice(self.aware),
                victim_consent=choice(self.consent),
                consent_reason=self.consent_reason.text(),
                referral_reason=self.referral_reason.toPlainText().strip(),
                victim_wishes=self.victim_wishes.toPlainText().strip(),
            )
            if not any(s.person.role == "victim" for s in self._slots):
                raise ValidationError("A case needs its victim: use Add victim.")
            if not any(box.isChecked() for box in self.criteria.values()):
                raise ValidationError("Tick at least one referral criterion the case meets.")
            with self._database.interactive_session() as session:
                if self.case is None:
                    self.case = create_case(
                        session, actor=self._actor, people=[s.person for s in self._slots], **values
                    )  # type: ignore[arg-type]
                else:
                    case_id = self.case.id or 0
                    self.case = update_case(
                        session, actor=self._actor, case_id=case_id, expected_version=self.case.version, **values
                    )
                    for slot in self._slots:
                        if slot.person_id is None:
                            slot.person_id = add_person(
                                session, actor=self._actor, case_id=case_id, person=slot.person
                            ).id
                        elif slot.changed:
                            update_person(session, actor=self._actor, person_id=slot.person_id, person=slot.person)
                        slot.changed = False
                    while self._removed:
                        remove_person(session, actor=self._actor, person_id=self._removed[0])
                        self._removed.pop(0)
        return saved.ok

    @classmethod
    def open_case(
        cls,
        parent: QWidget | None,
        database: Database,
        actor: User,
        *,
        case_id: int | None = None,
        meeting_id: int | None = None,
    ) -> int | None:
        """Shows the dialog; the saved case's id, or None. Tests replace this."""
        dialog = cls(database, actor, case_id=case_id, meeting_id=meeting_id, parent=parent)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.case is not None:
            return dialog.case.id
        return None
