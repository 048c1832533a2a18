"""The people in a case as a table; confidential addresses are masked, phones never shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from marac_prep.core.casefile import CaseFile
from marac_prep.core.dates import display_day
from marac_prep.ui.line_model import LineTableModel
from marac_prep.ui.text import tooltip

MASKED_ADDRESS = "●●●●●● Confidential address – hidden"
COLUMNS = ("Role", "Name", "Date of birth", "Relationship", "School", "Address", "Handling")
_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class PersonLine:
    person_id: int
    role: str
    name: str
    aliases: tuple[str, ...]
    date_of_birth: date | None
    relationship: str
    school: str
    address: str
    address_confidential: bool
    must_not_receive_information: bool

    @property
    def address_text(self) -> str:
        # The real text stays in the database view only when the user edits the person.
        return MASKED_ADDRESS if self.address_confidential else self.address


def people_lines(case_file: CaseFile) -> list[PersonLine]:
    by_person = {a.person_id: a for a in case_file.addresses if a.person_id is not None}
    lines = []
    for person in case_file.people:
        address = by_person.get(person.id)
        lines.append(
            PersonLine(
                person_id=person.id or 0,
                role=person.role,
                name=person.name,
                aliases=tuple(person.aliases),
                date_of_birth=person.date_of_birth,
                relationship=person.relationship,
                school=person.school,
                address=address.text if address else "",
                address_confidential=bool(address and address.confidential),
                must_not_receive_information=person.must_not_receive_information,
            )
        )
    return lines


class PeopleTableModel(LineTableModel):
    """Adapts `PersonLine`s: victim first, then perpetrators, children and others."""

    COLUMNS = COLUMNS

    @staticmethod
    def _display(line: PersonLine, column: int) -> str:
        name = line.name + (f" (also {', '.join(line.aliases)})" if line.aliases else "")
        handling = "Must not receive information" if line.must_not_receive_information else ""
        return (
            line.role.capitalize(),
            name,
            display_day(line.date_of_birth),
            line.relationship,
            line.school,
            line.address_text,
            handling,
        )[column]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel.data."""
        if not index.isValid() or not 0 <= index.row() < len(self.lines):
            return None
        line = self.lines[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(line, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 5 and line.address_confidential:
                return tooltip("A confidential address (e.g. a refuge): it is never shown here or put in a pack.")
            return tooltip(self._display(line, column))
        if role == Qt.ItemDataRole.ForegroundRole and (
            (column == 5 and line.address_confidential) or (column == 6 and line.must_not_receive_information)
        ):
            return QColor("#a3261b")
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{COLUMNS[column]}: {self._display(line, column)}"
        return None
