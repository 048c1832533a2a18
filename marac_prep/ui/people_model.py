"""The people in a case as a table; confidential addresses are masked, phones never shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from marac_prep.core.casefile import CaseFile
from marac_prep.core.dates import display_day
from marac_prep.ui.line_model import LineTableModel
from marac_prep.ui.text import ALERT

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

    def _tooltip_text(self, line: PersonLine, column: int) -> str:
        if column == 5 and line.address_confidential:
            return "A confidential address (e.g. a refuge): it is never shown here or put in a pack."
        return self._display(line, column)

    def _role(self, line: PersonLine, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and (
            (column == 5 and line.address_confidential) or (column == 6 and line.must_not_receive_information)
        ):
            return ALERT
        return None
