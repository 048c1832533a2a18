"""A case's gap findings, most severe first, each with its instances, the words read from the text,
its review, and links to the chronology entries it rests on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QInputDialog,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from marac_prep.analysis.findings import headline, new_since_review
from marac_prep.core.vocabulary import event_type_label
from marac_prep.ui.text import plain_label, tooltip

if TYPE_CHECKING:  # the gap rules load with the first case's analysis (decision 0100)
    from marac_prep.analysis.gaps import GapFinding
    from marac_prep.core.casefile import CaseFile

ENTRY_ID_ROLE = Qt.ItemDataRole.UserRole + 1
FINDING_ROLE = Qt.ItemDataRole.UserRole + 2
_SEVERITY_LABEL = {"high": "High", "medium": "Medium", "info": "Note"}
_SEVERITY_COLOUR = {"high": QColor("#b3261e"), "medium": QColor("#9a5b00"), "info": QColor("#4a5a6a")}
_KIND_LABEL = {
    "agency_silent": "Agency silent",
    "referral_not_received": "Referral not received",
    "referral_considered_not_made": "Referral considered, not made",
    "assessed_without_known_risk": "Assessed without known risk",
    "counter_allegation": "Counter-allegation",
    "escalation": "Escalation",
    "single_agency_risk": "Risk known to one agency",
    "repeat": "Repeat",
    "perpetrator_in_other_cases": "Perpetrator in other cases",
    "victim_in_other_cases": "Victim in other cases",
    "earlier_marac": "Earlier Marac (12+ months)",
    "victim_blaming_language": "Victim-blaming language",
    "nothing_known": "Nothing known",
    "agency_declined": "Agency declined",
    "homicide_markers": "Homicide markers",
    "risk_in_text_not_coded": "Risk in text, not coded",
    "nothing_known_with_entries": "'Nothing known' beside entries",
    "consent_not_recorded": "Consent not recorded",
    "action_not_completed": "Action not completed",
}


def entry_labels(case_file: CaseFile) -> dict[int, str]:
    """Short labels for linking to entries: date, agency and event type (never the summary)."""
    return {
        e.id: f"{e.partial_date.display()} · {case_file.agency_name(e.agency_id)} · {event_type_label(e.event_type)}"
        for e in case_file.entries
        if e.id is not None
    }


# Entries listed under one finding; the rest are counted (a tree item each would cost memory).
LINKED_ENTRIES_SHOWN = 30


class FindingsPanel(QWidget):
    """The findings list: severity, kind and message per finding, its entries beneath it.

    Attributes:
        tree: one top-level item per finding (plain text; QTreeWidget never reads markup),
            with one child per related entry.

    Signals:
        entry_activated(int): an entry id, when an entry (or a finding with entries) is activated.
        review_requested(object, str): a `GapFinding` and the coordinator's note, when the
            coordinator marks the chosen finding reviewed.
    """

    entry_activated = Signal(int)
    review_requested = Signal(object, str)

    def __init__(
        self,
        findings: list[GapFinding] | None = None,
        entry_labels: dict[int, str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.summary = plain_label("", self, name="findings_summary")
        # Wrapped: a case with many findings would otherwise widen the main window past a laptop's screen.
        self.summary.setWordWrap(True)
        self.show_notes = QCheckBox("Show &notes", self)
        self.show_notes.setChecked(True)
        self.show_notes.toggled.connect(self._on_show_notes)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("findings_tree")
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Severity", "Finding", "What was found"])
        self.tree.setWordWrap(True)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.tree.setUniformRowHeights(False)
        self.tree.setColumnWidth(0, 80)
        self.tree.setColumnWidth(1, 230)
        self.tree.itemActivated.connect(self._on_item_activated)
        self.tree.currentItemChanged.connect(self._on_current_changed)
        # Long messages do not wrap in a tree row, so the chosen finding is shown in full below it.
        self.detail = plain_label("", self, name="finding_detail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.review_button = QPushButton("&Mark reviewed…", self)
        self.review_button.setObjectName("review_finding")
        self.review_button.setToolTip(tooltip("Record that this finding was reviewed, with a note (coordinators)."))
        self.review_button.setEnabled(False)
        self.review_button.clicked.connect(self._on_review_clicked)
        self.may_review = False
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.review_button)
        top.addWidget(self.show_notes)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.detail)
        self._findings: list[GapFinding] = []
        self._labels: dict[int, str] = {}
        self.set_findings(findings or [], entry_labels or {})

    @classmethod
    def for_case(cls, case_file: CaseFile, findings: list[GapFinding], parent: QWidget | None = None) -> FindingsPanel:
        return cls(findings, entry_labels(case_file), parent)

    def set_findings(self, findings: list[GapFinding], entry_labels: dict[int, str] | None = None) -> None:
        """Shows `findings` in the order given (the analysis sorts them most severe first)."""
        kept = self._current_key()
        scroll = self.tree.verticalScrollBar().value()
        self._findings = list(findings)
        if entry_labels is not None:
            self._labels = dict(entry_labels)
        self.tree.clear()
        self.detail.setText("")
        for finding in self._findings:
            item = QTreeWidgetItem(
                [
                    _SEVERITY_LABEL.get(finding.severity, finding.severity),
                    _KIND_LABEL.get(finding.kind, finding.kind),
                    finding.message,
                ]
            )
            colour = QBrush(_SEVERITY_COLOUR.get(finding.severity, QColor("black")))
            item.setForeground(0, colour)
            item.setForeground(1, colour)
            font = item.font(0)
            font.setBold(finding.severity == "high")
            item.setFont(0, font)
            item.setFont(1, font)
            if finding.review is not None:
                item.setText(1, f"{item.text(1)} ✓ reviewed")
            item.setToolTip(2, tooltip(f"{finding.message}\n\nWhy this matters: {finding.why}"))
            item.setToolTip(1, tooltip(finding.why))
            item.setData(0, FINDING_ROLE, finding.kind)
            # Never None as item data: PySide6 6.12 loses a reference to None each time, and a case
            # with thousands of findings then crashes the interpreter ("deallocating None").
            if finding.entry_ids:
                item.setData(0, ENTRY_ID_ROLE, finding.entry_ids[0])
            if finding.review is not None:
                item.addChild(QTreeWidgetItem(["", "Reviewed", _review_text(finding)]))
            if len(finding.instances) > 1:
                for instance in finding.instances[:LINKED_ENTRIES_SHOWN]:
                    child = QTreeWidgetItem(["", _SEVERITY_LABEL.get(instance.severity, ""), instance.message])
                    if instance.entry_ids:
                        child.setData(0, ENTRY_ID_ROLE, instance.entry_ids[0])
                    item.addChild(child)
            for quote in finding.from_text[:LINKED_ENTRIES_SHOWN]:
                child = QTreeWidgetItem(["", "Read from the text", f"“{quote.words}” — {quote.reads_as}"])
                child.setData(0, ENTRY_ID_ROLE, quote.entry_id)
                item.addChild(child)
            for entry_id in finding.entry_ids[:LINKED_ENTRIES_SHOWN]:
                child = QTreeWidgetItem(["", "", self._labels.get(entry_id, f"Entry {entry_id}")])
                child.setData(0, ENTRY_ID_ROLE, entry_id)
                child.setToolTip(2, tooltip("Open this entry in the chronology."))
                item.addChild(child)
            hidden = len(finding.entry_ids) - LINKED_ENTRIES_SHOWN
            if hidden > 0:
                # A long pattern (hundreds of incidents) would otherwise cost one tree item each.
                item.addChild(QTreeWidgetItem(["", "", f"… and {hidden} more entries (see the chronology)"]))
            self.tree.addTopLevelItem(item)
            item.setHidden(finding.severity == "info" and not self.show_notes.isChecked())
        self._restore_current(kept, scroll)
        self._update_summary()

    def _current_key(self) -> tuple[str, str] | None:
        """The chosen finding as (kind, message), to choose it again when the findings are redone."""
        item = self.tree.currentItem()
        while item is not None and item.parent() is not None:
            item = item.parent()
        return (str(item.data(0, FINDING_ROLE)), item.text(2)) if item is not None else None

    def _restore_current(self, key: tuple[str, str] | None, scroll: int) -> None:
        """After a refresh (someone else's change, a re-analysis) the user stays where they were."""
        if key is not None:
            for i in range(self.tree.topLevelItemCount()):
                item = self.tree.topLevelItem(i)
                if (str(item.data(0, FINDING_ROLE)), item.text(2)) == key:
                    self.tree.setCurrentItem(item)
                    break
        self.tree.verticalScrollBar().setValue(scroll)

    def findings(self) -> list[GapFinding]:
        return list(self._findings)

    def _update_summary(self) -> None:
        high = sum(1 for f in self._findings if f.severity == "high")
        medium = sum(1 for f in self._findings if f.severity == "medium")
        notes = sum(1 for f in self._findings if f.severity == "info")
        text = "No gaps found." if high + medium == 0 else f"{headline(self._findings)}."
        if notes:
            text += f" {notes} note{'s' if notes != 1 else ''}."
        self.summary.setText(text)

    def _on_show_notes(self, checked: bool) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if self._findings[i].severity == "info":
                item.setHidden(not checked)

    def _on_current_changed(self, current: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        if current is not None and current.parent() is not None:
            current = current.parent()
        index = self.tree.indexOfTopLevelItem(current) if current is not None else -1
        if 0 <= index < len(self._findings):
            finding = self._findings[index]
            reviewed = f"\n{_review_text(finding)}" if finding.review is not None else ""
            self.detail.setText(f"{finding.message}\nWhy this matters: {finding.why}{reviewed}")
        else:
            self.detail.setText("")
        self.review_button.setEnabled(self.may_review and self.current_finding() is not None)

    def current_finding(self) -> GapFinding | None:
        """The finding chosen in the tree (or the one whose instance or entry is chosen)."""
        current = self.tree.currentItem()
        if current is not None and current.parent() is not None:
            current = current.parent()
        index = self.tree.indexOfTopLevelItem(current) if current is not None else -1
        return self._findings[index] if 0 <= index < len(self._findings) else None

    def set_may_review(self, may: bool) -> None:
        """Offers "Mark reviewed…" only to those the service will allow (coordinators)."""
        self.may_review = may
        self.review_button.setEnabled(may and self.current_finding() is not None)

    @classmethod
    def ask_note(cls, parent: QWidget, finding: GapFinding) -> str | None:
        """Asks for the review note (tests stub this); None when cancelled."""
        current = finding.review.note if finding.review is not None else ""
        text, ok = QInputDialog.getMultiLineText(
            parent,
            "Mark finding reviewed",
            f"{_KIND_LABEL.get(finding.kind, finding.kind)}: why is it reviewed? "
            "(e.g. 'raised at the meeting', 'not a concern because …')",
            current,
        )
        return text if ok else None

    def _on_review_clicked(self) -> None:
        finding = self.current_finding()
        if finding is None:
            return
        note = type(self).ask_note(self, finding)
        if note is not None:
            self.review_requested.emit(finding, note)

    def _on_item_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        entry_id = item.data(0, ENTRY_ID_ROLE)
        if entry_id is not None:
            self.entry_activated.emit(int(entry_id))


def _review_text(finding: GapFinding) -> str:
    review = finding.review
    if review is None:
        return ""
    new = new_since_review(finding)
    since = f" {len(new)} new entr{'ies' if len(new) != 1 else 'y'} since." if new else ""
    when = review.reviewed_at.strftime("%d %b %Y").lstrip("0")
    return f"Reviewed by {review.reviewed_by} on {when}: {review.note}{since}"
