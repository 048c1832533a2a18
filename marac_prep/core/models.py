"""The table models: every record Marac Prep keeps, named as the domain names them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from marac_prep.core.dates import PartialDate

# Naming convention so Alembic migrations name constraints the same on SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


def _json_dict() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Agency(SQLModel, table=True):
    """An agency that sits at the Marac (Police, Idva service, Housing …).

    Attributes:
        category: "every_case" (expected on every case), "children" (expected when the
            household has children) or "optional".
    """

    __tablename__ = "agency"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    short_code: str = Field(unique=True)
    category: str = "optional"
    active: bool = True


class User(SQLModel, table=True):
    """A person using the app: a coordinator, an Idva, an agency representative or a viewer."""

    __tablename__ = "app_user"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    role: str = "viewer"
    active: bool = True
    # How the person proves who they are (issue 13; see docs/security.md). On SQLite a profile
    # is bound to an operating-system account or protected by its own passphrase (an scrypt
    # hash, never the passphrase); on PostgreSQL it is the database login it connects as.
    os_account: str | None = None
    passphrase_hash: str | None = Field(default=None, repr=False)
    db_login: str | None = Field(default=None, index=True, unique=True)


class Meeting(SQLModel, table=True):
    """One Marac meeting: its date, area and status."""

    __tablename__ = "meeting"
    id: int | None = Field(default=None, primary_key=True)
    meeting_date: date = Field(index=True)
    area: str = ""
    status: str = "planned"
    version: int = 1


class Case(SQLModel, table=True):
    """A referral to the Marac, heard at a meeting.

    Attributes:
        criteria: ids of the referral criteria met (visible_high_risk, professional_judgement,
            potential_escalation, repeat).
        victim_aware / victim_consent: None when not recorded.
        consent_reason: why information is shared without consent.
        referral_reason: the referrer's own words on why the case is referred (the referral
            form's free text), printed on the pack's front sheet.
        victim_wishes: the victim's wishes and the Idva's view, filled in by the Idva.
    """

    __tablename__ = "marac_case"
    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(unique=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    referral_date: date
    referring_agency_id: int = Field(foreign_key="agency.id")
    criteria: list[str] = _json_list()
    criteria_notes: str = ""
    dash_score: int | None = None
    repeat: bool = False
    victim_aware: bool | None = None
    victim_consent: bool | None = None
    consent_reason: str = ""
    status: str = "open"
    # The pack's case front sheet (SafeLives practice).
    referral_reason: str = ""
    victim_wishes: str = ""
    version: int = 1


class PersonFields(SQLModel):
    """What a referral says about one person; shared by the table (`Person`) and the services'
    input (`cases.PersonInput`), as in the SQLModel project template's base classes.

    Attributes:
        phone / safe_to_call: safe contact details; they never leave the database in a pack.
        must_not_receive_information: this person must never be told about the case.
    """

    role: str
    name: str
    aliases: list[str] = _json_list()
    date_of_birth: date | None = None
    gender: str = ""
    ethnicity: str = ""
    disability: str = ""
    lgbt: bool | None = None
    relationship: str = ""
    school: str = ""
    phone: str = ""
    safe_to_call: bool | None = None
    must_not_receive_information: bool = False


class Person(PersonFields, table=True):
    """Someone in a case: the victim, a perpetrator, a child or another person.

    Attributes:
        version: raised on every change (the conditional update refuses a stale one).
    """

    __tablename__ = "person"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="marac_case.id", index=True)
    version: int = 1  # raised on each change; an edit of an older version is refused


class Address(SQLModel, table=True):
    """An address of a person or of the case; a confidential one (a refuge) never leaves the database."""

    __tablename__ = "address"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="marac_case.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    text: str
    confidential: bool = False


class ChronologyEntry(SQLModel, table=True):
    """One dated significant event an agency knows about.

    Attributes:
        event_date / date_precision / date_approximate: the date as the agency knows it
            (see `PartialDate`); `event_date` is the first day of the period.
        sequence: orders entries on the same day.
        subjects: who the entry is about ("victim", "perpetrator", "child", "other").
        risk_indicators: Dash indicator ids the entry evidences.
        risk_level: for risk assessments, the level the agency gave.
        shareable / withheld_reason: an entry that may not be shared is left out of packs.
        withdrawn_at / withdrawn_reason: a withdrawn entry is kept, not deleted.
        version: rises by one on each change; an edit of an older version is refused.
    """

    __tablename__ = "chronology_entry"
    __table_args__ = (Index("ix_chronology_entry_case_date", "case_id", "event_date", "sequence"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="marac_case.id")
    agency_id: int = Field(foreign_key="agency.id", index=True)
    event_date: date
    date_precision: str = "day"
    date_approximate: bool = False
    event_time: str | None = None
    sequence: int = 0
    source_ref: str = ""
    recorded_by: str = ""
    subjects: list[str] = _json_list()
    event_type: str
    summary: str
    detail: str = ""
    fact_or_opinion: str = "fact"
    risk_indicators: list[str] = _json_list()
    risk_level: str | None = None
    referred_to_agency_id: int | None = Field(default=None, foreign_key="agency.id")
    shareable: bool = True
    withheld_reason: str = ""
    withdrawn_at: datetime | None = None
    withdrawn_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    withdrawn_reason: str = ""
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    updated_at: datetime
    version: int = 1

    @property
    def partial_date(self) -> PartialDate:
        return PartialDate(self.event_date, self.date_precision, self.date_approximate)


class ChronologyEntryVersion(SQLModel, table=True):
    """An earlier version of an entry, kept whenever the entry is edited or withdrawn."""

    __tablename__ = "chronology_entry_version"
    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="chronology_entry.id", index=True)
    version: int
    snapshot: dict[str, Any] = _json_dict()
    replaced_at: datetime
    replaced_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class AgencyReturn(SQLModel, table=True):
    """An agency's research return for one case: requested, chased, answered (or "nothing known")."""

    __tablename__ = "agency_return"
    __table_args__ = (UniqueConstraint("case_id", "agency_id"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="marac_case.id", index=True)
    agency_id: int = Field(foreign_key="agency.id")
    status: str = "not_requested"
    requested_on: date | None = None
    chased_on: date | None = None
    chase_count: int = 0
    returned_on: date | None = None
    representative: str = ""
    note: str = ""
    version: int = 1


class RiskAssessment(SQLModel, table=True):
    """A risk assessment (Dash, DARA …) with each answer and its source.

    Attributes:
        answers: question id -> {"answer": "yes"|"no"|"dont_know", "source": str}.
        notes: the assessor's notes on the whole checklist (context the answers do not hold).
    """

    __tablename__ = "risk_assessment"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="marac_case.id", index=True)
    tool: str = "DASH"
    tool_version: str = "2009"
    agency_id: int = Field(foreign_key="agency.id")
    assessed_on: date
    answers: dict[str, Any] = _json_dict()
    score: int | None = None
    level: str | None = None
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    notes: str = ""


class AuditEvent(SQLModel, table=True):
    """One audited action; append-only and hash-chained to its predecessor.

    Attributes:
        prev_hash: the `hash` of the event before this one ("" for the first).
        hash: SHA-256 over `prev_hash` and this event's own content.
    """

    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(index=True)
    user_id: int | None = Field(default=None)
    user_name: str = ""
    agency_name: str = ""
    action: str = Field(index=True)
    object_type: str = ""
    object_id: int | None = None
    case_id: int | None = Field(default=None, index=True)
    details: dict[str, Any] = _json_dict()
    prev_hash: str = ""
    hash: str = ""
    # SHA-256 over the (table, row id, digest) states this event sealed (`core.row_states`);
    # "" for events that changed no tracked row, and for events older than issue 13.
    states_hash: str = ""



# --- Settings (code health: local practice a Marac changes in the app) -------------------------


class Setting(SQLModel, table=True):
    """One local-practice setting changed from its packaged default (`resources/settings.json`).

    Attributes:
        name: the setting's key in `settings.json`.
        value: its value as JSON (a number, a text or a small structure).
        version: raised on every change.
    """

    __tablename__ = "app_setting"
    name: str = Field(primary_key=True, max_length=64)
    value: Any = Field(sa_column=Column(JSON, nullable=False))
    version: int = 1
    changed_at: datetime
    changed_by_id: int | None = Field(default=None, foreign_key="app_user.id")


# --- Text reading (issue 12): what each entry's words say, read once per entry version -----------


class EntrySignals(SQLModel, table=True):
    """The signals the text reader found in one entry (`analysis.reading`), kept so that each entry
    version is read once. Derived data: re-read whenever the entry's version or the reader's rules
    version differs, so it is never audited or edited.

    Attributes:
        entry_id: the chronology entry.
        entry_version: the entry's `version` when its text was read.
        rules_version: the fingerprint of the reader's pattern files it was read with.
        signals: JSON list of [kind, code, field, start, end, words, target_agency,
            target_agency_code]; "" when the text says nothing the reader looks for.
    """

    __tablename__ = "entry_signals"
    entry_id: int = Field(
        primary_key=True, foreign_key="chronology_entry.id", ondelete="CASCADE",
        sa_column_kwargs={"autoincrement": False},
    )
    entry_version: int
    rules_version: str
    signals: str = ""


# --- Finding reviews (gap analysis, issue 12) ---------------------------------------------------


class FindingReview(SQLModel, table=True):
    """A coordinator's review of a gap finding ("raised at the meeting", "not a concern because …").

    Findings are worked out afresh on each analysis; the review is kept by the finding's stable
    key (kind, agency, group), so it survives re-analysis.

    Attributes:
        finding_key: `GapFinding.key` of the finding reviewed.
        kind: the finding's kind, kept for reading the table without the analysis.
        entry_ids: the entries the finding rested on when it was reviewed.
    """

    __tablename__ = "finding_review"
    __table_args__ = (UniqueConstraint("case_id", "finding_key"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="marac_case.id", index=True)
    finding_key: str
    kind: str
    note: str
    entry_ids: list[int] = _json_list()
    reviewed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    reviewed_by_name: str = ""
    reviewed_at: datetime
    version: int = 1


# --- identity (issue 13, helper "identity") ---------------------------------------------------


class DatabaseCreator(SQLModel, table=True):
    """The operating-system account that created a SQLite database: its first coordinator.

    One row, written when the schema is created (migration 0007_trust_identity). Only that
    account may create the first coordinator profile; every later profile is made by a
    coordinator.
    """

    __tablename__ = "database_creator"
    id: int | None = Field(default=None, primary_key=True)
    os_account: str
    created_at: datetime


class AuditRowState(SQLModel, table=True):
    """A digest of one case, entry, return or user row as an audit event left it (append-only).

    Attributes:
        event_id: the audit event whose transaction changed the row (0: the row was already there
            when this version first opened the database).
        tbl / row_id: the row; digest: `row_states.row_digest`, or "deleted".
    """

    __tablename__ = "audit_row_state"
    __table_args__ = (Index("ix_audit_row_state_row", "tbl", "row_id", "event_id"),)
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(index=True)
    tbl: str
    row_id: int
    digest: str


class AuditTouched(SQLModel, table=True):
    """A note, written by a trigger, that a tracked row changed in transaction `txid` (0 on SQLite)."""

    __tablename__ = "audit_touched"
    tbl: str = Field(primary_key=True)
    row_id: int = Field(primary_key=True)
    txid: int = Field(default=0, sa_column=Column(BigInteger, primary_key=True, default=0))


# --- People across cases (person matching, marac_prep.core.people) ----------------------------


class PersonKey(SQLModel, table=True):
    """A blocking key of a person record (a date of birth or the sound of a surname), indexed so
    that finding who may be the same person reads a few index entries, not every person.

    Kept up to date whenever a person is written (`marac_prep.core.person_keys`). No foreign key:
    a key left behind by a deleted person matches no row when joined to `person`.

    Attributes:
        key: "d:<date of birth>", or "n:<sound key>" (a person with a date of birth) /
            "u:<sound key>" (a person without one).
    """

    __tablename__ = "person_key"
    __table_args__ = (Index("ix_person_key_key_person", "key", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(index=True)
    key: str


class PersonLink(SQLModel, table=True):
    """A coordinator's decision on two person records in different cases: the same person
    ("confirmed") or not ("rejected"; the pair is never suggested again).

    Attributes:
        person_id / other_person_id: the two records, the lower id first.
        score / reasons: what the matcher said when the decision was made.
    """

    __tablename__ = "person_link"
    __table_args__ = (UniqueConstraint("person_id", "other_person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(index=True)
    other_person_id: int = Field(index=True)
    decision: str
    score: float = 0.0
    reasons: str = ""
    decided_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    decided_at: datetime


# --- After the meeting (issue 18): attendance, running order, actions ---------------------------


class MeetingAttendance(SQLModel, table=True):
    """Who attended a meeting (or sent apologies), recorded per meeting.

    Attributes:
        agency_id: the agency represented; None for an observer or chair from no agency.
        role: "representative", "chair" or "observer".
        attendance: "present" or "apologies".
        information_sent: for apologies, whether the agency's information was sent (None: not said).
        confidentiality_agreed: the attendee agreed to the meeting's confidentiality statement.
    """

    __tablename__ = "meeting_attendance"
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    person_name: str
    role: str = "representative"
    attendance: str = "present"
    information_sent: bool | None = None
    confidentiality_agreed: bool = False
    version: int = 1


class CaseHearing(SQLModel, table=True):
    """A case's place in a meeting's running order, and what the meeting recorded about it.

    Attributes:
        position: the order cases are heard in (1 first).
        start_time: the time slot's start, "HH:MM" ("" when not planned).
        duration_minutes: the slot's length.
        agreed_risk_level: the risk level the meeting agreed ("" when not recorded).
        discussion_note: a short note of the discussion, printed in the minutes.
    """

    __tablename__ = "case_hearing"
    __table_args__ = (UniqueConstraint("meeting_id", "case_id"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    case_id: int = Field(foreign_key="marac_case.id", index=True)
    position: int = 0
    start_time: str = ""
    duration_minutes: int | None = None
    agreed_risk_level: str = ""
    discussion_note: str = ""
    version: int = 1


class MaracAction(SQLModel, table=True):
    """An action agreed at a Marac for a case; it always belongs to an agency (Marac is not one).

    Attributes:
        owner: the named person in the agency who will do it.
        text: what exactly will be done (SMART).
        protects: whom it protects: "victim", "child", "perpetrator", "other".
        status: "open", "done", "not_done_circumstances" or "not_done_agency".
        done_on: for "done", the day it was done.
        outcome: what was done, or why it was not.
        status_reported_on / status_reported_by_*: who last reported the status, and when.
    """

    __tablename__ = "marac_action"
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    case_id: int = Field(foreign_key="marac_case.id", index=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    owner: str = ""
    text: str
    due_date: date | None = None
    protects: list[str] = _json_list()
    status: str = "open"
    done_on: date | None = None
    outcome: str = ""
    status_reported_on: date | None = None
    status_reported_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    status_reported_by_name: str = ""
    created_at: datetime
    version: int = 1


# --- A coordinator's notes on a case (issue 17) ---------------------------------------------------


class CaseNote(SQLModel, table=True):
    """A coordinator's free-text note on a case: working notes, never in a pack unless asked.

    Attributes:
        author_id / author_name: who wrote it (the name kept as it was then).
        updated_at: the last change (equal to `created_at` until it is edited).
    """

    __tablename__ = "case_note"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="marac_case.id", index=True)
    text: str
    author_id: int | None = Field(default=None, foreign_key="app_user.id")
    author_name: str = ""
    created_at: datetime
    updated_at: datetime
    version: int = 1


# --- Stored gap findings (issue 12): a meeting's analysis read, not recomputed ---------------------


class CaseFindings(SQLModel, table=True):
    """A case's gap findings as `analysis.gaps.analyse_case` gave them, kept with the key of every
    input they rest on (`analysis.stored`; decision 0099). Derived data: used only while the key
    computed now is the stored one, so it is never audited or edited; only coordinators write it
    on a server (a stored finding is what others are shown).

    Attributes:
        input_key: the digest of the inputs when the findings were computed.
        findings: the findings as JSON (`analysis.stored.encode`).
    """

    __tablename__ = "case_findings"
    case_id: int = Field(
        primary_key=True, foreign_key="marac_case.id", ondelete="CASCADE",
        sa_column_kwargs={"autoincrement": False},
    )
    input_key: str
    findings: str
    stored_at: datetime
