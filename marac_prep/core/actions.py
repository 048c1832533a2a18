"""Actions agreed at a Marac: recording them, reporting their status, listing and exporting them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from marac_prep.core import audit
from marac_prep.core.cases import get_case
from marac_prep.core.db import unit_of_work
from marac_prep.core.errors import ValidationError
from marac_prep.core.formulas import write_xlsx_table
from marac_prep.core.models import Agency, Case, MaracAction, Meeting, Person, User
from marac_prep.core.permissions import require
from marac_prep.core.versioning import load_current, save_versioned
from marac_prep.core.vocabulary import check_choice

ACTION_STATUSES = ("open", "done", "not_done_circumstances", "not_done_agency")
STATUS_LABELS = {
    "open": "Open",
    "done": "Done",
    "not_done_circumstances": "Not done: circumstances changed",
    "not_done_agency": "Not done: agency did not act",
}
PROTECTS = ("victim", "child", "perpetrator", "other")
TEXT_LIMIT = 2000
ACTION_CONFLICT = "Someone else changed this action meanwhile; reload it and try again."
TRACKING_COLUMNS = (
    "Date", "Case", "Victim initials", "Action", "Agency", "Owner", "Due date", "Status reported on", "Status",
)


def _clean_text(text: str, what: str) -> str:
    value = (text or "").strip()
    if not value:
        raise ValidationError(f"Write {what}.")
    if len(value) > TEXT_LIMIT:
        raise ValidationError(f"The {what.split(' ', 1)[-1]} is too long; keep it under {TEXT_LIMIT} characters.")
    return value


def _protects(values: Iterable[str]) -> list[str]:
    chosen = {check_choice(v, PROTECTS, "person an action protects") for v in values}
    return [p for p in PROTECTS if p in chosen]


def _missing(action_id: int) -> str:
    return f"There is no action number {action_id}."


def add_action(
    session: Session,
    *,
    actor: User,
    case_id: int,
    agency_id: int,
    text: str,
    owner: str = "",
    due_date: date | None = None,
    protects: Iterable[str] = ("victim",),
    meeting_id: int | None = None,
) -> MaracAction:
    """Records an action agreed for a case; it belongs to an agency (the coordinator records any
    agency's, an agency's representative only their own).

    Args:
        meeting_id: the meeting that agreed it; the case's meeting when not given.
        protects: whom it protects (victim, child, perpetrator, other); at least one.
    """
    text = _clean_text(text, "what exactly the agency will do")
    chosen = _protects(protects)
    if not chosen:
        raise ValidationError("Say whom the action protects: the victim, a child, the perpetrator or another person.")
    with unit_of_work(session):
        require(actor, "update_action", agency_id=agency_id)
        case = get_case(session, case_id)
        if session.get(Agency, agency_id) is None:
            raise ValidationError(f"There is no agency number {agency_id}; an action always belongs to an agency.")
        meeting_id = meeting_id if meeting_id is not None else case.meeting_id
        if meeting_id is None or session.get(Meeting, meeting_id) is None:
            raise ValidationError(f"Case {case.reference} is on no meeting's list, so no action can be agreed for it.")
        action = MaracAction(
            meeting_id=meeting_id, case_id=case_id, agency_id=agency_id, owner=" ".join(owner.split()),
            text=text, due_date=due_date, protects=chosen, created_at=datetime.now(UTC),
        )
        session.add(action)
        session.flush()
        audit.record(
            session, actor=actor, action="action.create", object_type="marac_action", object_id=action.id,
            case_id=case_id, details={"meeting_id": meeting_id, "agency_id": agency_id},
        )
    return action


def update_action(
    session: Session,
    *,
    actor: User,
    action_id: int,
    expected_version: int,
    text: str | None = None,
    owner: str | None = None,
    due_date: date | None = None,
    protects: Iterable[str] | None = None,
) -> MaracAction:
    """Changes what an action says (only the arguments given); own agency only, as for entries."""
    with unit_of_work(session):
        action = load_current(session, MaracAction, action_id, missing=_missing(action_id))
        require(actor, "update_action", agency_id=action.agency_id)
        changed: list[str] = []
        if text is not None and (value := _clean_text(text, "what exactly the agency will do")) != action.text:
            action.text, changed = value, [*changed, "text"]
        if owner is not None and " ".join(owner.split()) != action.owner:
            action.owner, changed = " ".join(owner.split()), [*changed, "owner"]
        if due_date is not None and due_date != action.due_date:
            action.due_date, changed = due_date, [*changed, "due_date"]
        if protects is not None:
            chosen = _protects(protects)
            if not chosen:
                raise ValidationError("Say whom the action protects.")
            if chosen != action.protects:
                action.protects, changed = chosen, [*changed, "protects"]
        save_versioned(session, action, expected_version=expected_version, conflict=ACTION_CONFLICT)
        audit.record(
            session, actor=actor, action="action.update", object_type="marac_action", object_id=action.id,
            case_id=action.case_id, details={"fields": changed},
        )
    return action


def report_status(
    session: Session,
    *,
    actor: User,
    action_id: int,
    expected_version: int,
    status: str,
    outcome: str = "",
    done_on: date | None = None,
    reported_on: date | None = None,
) -> MaracAction:
    """Reports an action's status: open; done (on `done_on`, `outcome` saying what was done); not
    done because circumstances changed, or not done because the agency did not act (`outcome`
    saying why). The owning agency's representative or the coordinator; audited."""
    status = check_choice(status, ACTION_STATUSES, "action status")
    outcome = (outcome or "").strip()
    if len(outcome) > TEXT_LIMIT:
        raise ValidationError(f"The outcome is too long; keep it under {TEXT_LIMIT} characters.")
    reported_on = reported_on or date.today()
    if status == "done":
        if done_on is None:
            raise ValidationError("Give the date the action was done.")
        if done_on > reported_on:
            raise ValidationError("The action cannot have been done after the day its status is reported.")
        if not outcome:
            raise ValidationError("Say what was done.")
    elif status != "open" and not outcome:
        raise ValidationError("Say why the action was not done.")
    with unit_of_work(session):
        action = load_current(session, MaracAction, action_id, missing=_missing(action_id))
        require(actor, "update_action", agency_id=action.agency_id)
        action.status = status
        action.done_on = done_on if status == "done" else None
        action.outcome = outcome
        action.status_reported_on = reported_on
        action.status_reported_by_id = actor.id
        action.status_reported_by_name = actor.name
        save_versioned(session, action, expected_version=expected_version, conflict=ACTION_CONFLICT)
        audit.record(
            session, actor=actor, action="action.status", object_type="marac_action", object_id=action.id,
            case_id=action.case_id, details={"status": status},
        )
    return action


@dataclass(frozen=True)
class ActionRow:
    """An action as lists, the tracking form, the minutes and `actions --json` show it.

    Attributes:
        overdue: still open after its due date (on the day the list was made).
    """

    id: int
    version: int
    meeting_id: int
    meeting_date: date
    case_id: int
    case_reference: str
    victim_initials: str
    agency_id: int
    agency: str
    owner: str
    text: str
    due_date: date | None
    protects: tuple[str, ...]
    status: str
    done_on: date | None
    outcome: str
    status_reported_on: date | None
    status_reported_by: str
    overdue: bool

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id, "meeting_id": self.meeting_id, "meeting_date": self.meeting_date.isoformat(),
            "case": self.case_reference, "victim_initials": self.victim_initials, "agency": self.agency,
            "owner": self.owner, "action": self.text,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "protects": list(self.protects), "status": self.status,
            "done_on": self.done_on.isoformat() if self.done_on else None, "outcome": self.outcome,
            "status_reported_on": self.status_reported_on.isoformat() if self.status_reported_on else None,
            "overdue": self.overdue,
        }


def initials(name: str) -> str:
    """"Alys PRITCHARD" -> "AP"; hyphenated parts count ("Mary-Jane SMITH" -> "MJS")."""
    parts = [p for word in name.split() for p in word.split("-") if p]
    return "".join(p[0].upper() for p in parts)


def is_overdue(action: MaracAction, today: date) -> bool:
    return action.status == "open" and action.due_date is not None and action.due_date < today


def count_overdue(session: Session, *, today: date | None = None) -> int:
    """How many actions (of every meeting) are still open after their due date."""
    today = today or date.today()
    query = select(func.count()).select_from(MaracAction).where(
        MaracAction.status == "open", col(MaracAction.due_date).is_not(None), col(MaracAction.due_date) < today
    )
    return int(session.exec(query).one())


def list_actions(
    session: Session,
    *,
    meeting_id: int | None = None,
    case_ids: Iterable[int] | None = None,
    overdue_only: bool = False,
    today: date | None = None,
) -> list[ActionRow]:
    """Actions of a meeting (or of some cases, or all), by case then due date; anyone may read them."""
    today = today or date.today()
    query = select(MaracAction, Case, Meeting, Agency).join(Case, col(Case.id) == col(MaracAction.case_id)).join(
        Meeting, col(Meeting.id) == col(MaracAction.meeting_id)
    ).join(Agency, col(Agency.id) == col(MaracAction.agency_id))
    if meeting_id is not None:
        query = query.where(MaracAction.meeting_id == meeting_id)
    if case_ids is not None:
        query = query.where(col(MaracAction.case_id).in_(list(case_ids)))
    rows = session.exec(query).all()
    wanted_cases = {case.id for _, case, _, _ in rows}
    victims: dict[int, str] = {}
    if wanted_cases:
        victim_rows = session.exec(
            select(Person).where(Person.role == "victim", col(Person.case_id).in_(wanted_cases))
            .order_by(col(Person.id))
        ).all()
        for person in victim_rows:
            victims.setdefault(person.case_id, initials(person.name))
    result = []
    for action, case, meeting, agency in rows:
        overdue = is_overdue(action, today)
        if overdue_only and not overdue:
            continue
        assert action.id is not None and case.id is not None and meeting.id is not None
        result.append(
            ActionRow(
                id=action.id, version=action.version, meeting_id=meeting.id, meeting_date=meeting.meeting_date,
                case_id=case.id, case_reference=case.reference, victim_initials=victims.get(case.id, ""),
                agency_id=action.agency_id, agency=agency.name, owner=action.owner, text=action.text,
                due_date=action.due_date, protects=tuple(action.protects), status=action.status,
                done_on=action.done_on, outcome=action.outcome, status_reported_on=action.status_reported_on,
                status_reported_by=action.status_reported_by_name, overdue=overdue,
            )
        )
    result.sort(key=lambda r: (r.meeting_date, r.case_reference, r.due_date or date.max, r.id))
    return result


def tracking_row(row: ActionRow) -> list[str]:
    """One line of the action tracking form (every cell formula-guarded when written)."""
    status = row.status_label
    if row.status == "done" and row.done_on:
        status = f"Done {row.done_on:%d/%m/%Y}: {row.outcome}"
    elif row.status != "open" and row.outcome:
        status = f"{status}: {row.outcome}"
    elif row.overdue:
        status = "Open (overdue)"
    return [
        f"{row.meeting_date:%d/%m/%Y}", row.case_reference, row.victim_initials, row.text, row.agency, row.owner,
        f"{row.due_date:%d/%m/%Y}" if row.due_date else "",
        f"{row.status_reported_on:%d/%m/%Y}" if row.status_reported_on else "", status,
    ]


def export_tracking_form(
    session: Session, *, actor: User, path: Path, meeting_id: int | None = None, today: date | None = None
) -> int:
    """Writes the action tracking form as XLSX (whole or nothing, owner-only); audited, the file
    written before the audit event's transaction (`audit.publish_audited`).

    Returns:
        The number of actions written.
    """
    path = Path(path)
    if path.suffix.casefold() != ".xlsx":
        raise ValidationError(f"{path.name}: the action tracking form is written as an .xlsx file.")
    require(actor, "export")
    rows = list_actions(session, meeting_id=meeting_id, today=today)
    audit.publish_audited(
        session, path,
        lambda pending: write_xlsx_table(pending.stream, title="Action tracking", header=TRACKING_COLUMNS,
                                         rows=(tracking_row(row) for row in rows)),
        actor=actor, action="actions.export", object_type="marac_action",
        details={"meeting_id": meeting_id, "actions": len(rows)},
    )
    return len(rows)
