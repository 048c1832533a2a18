"""The Dash risk checklist: 24 questions by id and short label, a live score, saved with its version."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from marac_prep.core.db import Database
from marac_prep.core.errors import ValidationError
from marac_prep.core.models import RiskAssessment, User
from marac_prep.core.permissions import allowed
from marac_prep.core.risk import Answer, dash_score, record_risk_assessment
from marac_prep.core.settings import current
from marac_prep.core.vocabulary import dash_questions, dash_tool
from marac_prep.ui.forms import (
    UkDateField,
    agencies,
    choice,
    clear_when_edited,
    fill_agency_combo,
    fit_to_screen,
    inline_error,
    saving,
    select_data,
)
from marac_prep.ui.text import plain_label

_ANSWER_LABELS = (("yes", "Yes"), ("no", "No"), ("dont_know", "Don't know"))


class DashDialog(QDialog):
    """Records a Dash assessment for a case.

    Attributes:
        assessment: the saved assessment once saved.
    """

    def __init__(self, database: Database, actor: User, *, case_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._database, self._actor, self._case_id = database, actor, case_id
        self.assessment: RiskAssessment | None = None
        tool, version = dash_tool()
        self.setWindowTitle(f"{tool} risk checklist ({version})")
        with database.read_session() as session:
            choices = [a for a in agencies(session) if allowed(actor, "record_risk_assessment", agency_id=a.id)]
            self._settings = current(session)
        self.agency = QComboBox(self)
        self.agency.setAccessibleName("Assessing agency")
        fill_agency_combo(self.agency, choices)
        if actor.agency_id is not None:
            select_data(self.agency, actor.agency_id)
        self.assessed_on = UkDateField("Assessed on", self, partial=False)
        self.assessed_on.set_day(date.today())
        self.score = plain_label("", self, name="scoreLine")
        self.score.setWordWrap(True)
        self.groups: dict[str, QButtonGroup] = {}
        self.sources: dict[str, QLineEdit] = {}
        grid = QGridLayout()
        grid.addWidget(plain_label("Question (★ high-risk indicator)", self), 0, 0)
        grid.setColumnStretch(0, 1)
        grid.addWidget(plain_label("Answer", self), 0, 1, 1, 3)
        grid.addWidget(plain_label("Source, if not the victim", self), 0, 4)
        for row, question in enumerate(dash_questions(), start=1):
            text = plain_label(f"{question.number}. {question.label}" + (" ★" if question.high_risk else ""), self)
            text.setObjectName("dashQuestion")
            if question.question:
                text.setText(f"{text.text()}\n{question.question}")
            text.setWordWrap(True)
            text.setMinimumWidth(260)
            grid.addWidget(text, row, 0)
            group = QButtonGroup(self)
            for column, (value, label) in enumerate(_ANSWER_LABELS, start=1):
                button = QRadioButton(label, self)
                button.setAccessibleName(f"Question {question.number}, {question.label}: {label}")
                button.setProperty("answer", value)
                group.addButton(button)
                grid.addWidget(button, row, column)
            group.buttonToggled.connect(self._update_score)
            source = QLineEdit(self)
            source.setAccessibleName(f"Source for question {question.number}")
            source.setPlaceholderText("e.g. police record")
            grid.addWidget(source, row, 4)
            self.groups[question.id] = group
            self.sources[question.id] = source
        holder = QWidget(self)
        holder.setLayout(grid)
        scroll = QScrollArea(self)
        scroll.setWidget(holder)
        scroll.setWidgetResizable(True)
        form = QFormLayout()
        form.addRow("Assessing &agency", self.agency)
        form.addRow("Assessed &on", self.assessed_on)
        # Context the answers do not hold (who was present, what the victim said about a "don't know").
        self.notes = QPlainTextEdit(self)
        self.notes.setAccessibleName("Notes on the assessment")
        self.notes.setPlaceholderText("Context the answers do not hold, e.g. why some answers are don't know")
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(self.notes.fontMetrics().lineSpacing() * 3 + 12)
        notes_label = QLabel("&Notes", self)
        notes_label.setBuddy(self.notes)
        self.error = inline_error(self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(scroll, 1)
        notes_form = QFormLayout()
        notes_form.addRow(notes_label, self.notes)
        layout.addLayout(notes_form)
        layout.addWidget(self.score)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._update_score()
        clear_when_edited(self, self.error)
        fit_to_screen(self, scroll)

    def set_answer(self, question_id: str, answer: str) -> None:
        for button in self.groups[question_id].buttons():
            if button.property("answer") == answer:
                button.setChecked(True)

    def answers(self) -> dict[str, Answer]:
        out = {}
        for qid, group in self.groups.items():
            checked = group.checkedButton()
            if checked is not None:
                out[qid] = Answer(str(checked.property("answer")), self.sources[qid].text())
        return out

    def _update_score(self, *_args: object) -> None:
        answers = self.answers()
        score = dash_score(answers)
        level = self._settings.risk_level(score)
        threshold = self._settings.visible_high_risk_threshold
        note = " – meets the visible high risk criterion" if score >= threshold else ""
        self.score.setText(
            f"Score {score} of 24: {level} risk{note}. {len(answers)} of 24 questions answered "
            '("don\'t know" does not count as yes).'
        )

    def save(self) -> bool:
        with saving(self, self.error, doing="save the risk assessment") as saved:
            day = self.assessed_on.day()
            assert day is not None
            if choice(self.agency) is None:
                raise ValidationError("Your profile cannot record a risk assessment for any agency.")
            with self._database.interactive_session() as session:
                self.assessment = record_risk_assessment(
                    session,
                    actor=self._actor,
                    case_id=self._case_id,
                    agency_id=choice(self.agency),
                    assessed_on=day,
                    answers=self.answers(),
                    notes=self.notes.toPlainText(),
                )
        return saved.ok

    @classmethod
    def open_checklist(cls, parent: QWidget | None, database: Database, actor: User, *, case_id: int) -> bool:
        """Shows the checklist; True when an assessment was saved. Tests replace this."""
        return cls(database, actor, case_id=case_id, parent=parent).exec() == QDialog.DialogCode.Accepted
