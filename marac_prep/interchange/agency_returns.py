"""Importing agency returns: rows checked as `add_entry` checks them, then written in bulk."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlmodel import Session, SQLModel, col, select

from marac_prep.core.dates import PartialDate
from marac_prep.core.entry_rules import check_date, entry_problems
from marac_prep.core.errors import MaracError, ValidationError
from marac_prep.core.formulas import unguard_formula
from marac_prep.core.hidden_text import hidden_problem, show_hidden
from marac_prep.core.models import Agency, AgencyReturn, Case, ChronologyEntry, Meeting, User
from marac_prep.core.permissions import require
from marac_prep.core.vocabulary import (
    FACT_OR_OPINION,
    RISK_LEVELS,
    SUBJECTS,
    check_choice,
    event_type_id,
    norm_key,
    risk_indicator_id,
)
from marac_prep.interchange.lookups import AgencyLookup, read_date, read_time, split_items, yes_no
from marac_prep.interchange.plan import (
    DUPLICATE,
    IMPORTED,
    MAX_DETAIL_CHARS,
    REJECTED,
    ImportPlan,
    Progress,
    RowOutcome,
    RowReader,
)
from marac_prep.interchange.sheets import RawRow

INSERT_CHUNK = 5_000
_MEMO_LIMIT = 50_000
# Statuses an agency's entries turn into "returned" (as `add_entry` does).
_BECOMES_RETURNED = ("not_requested", "requested", "chased", "nothing_known")

DupKey = tuple[int, int, str, date, str, str, str]


@lru_cache(maxsize=4096)
def _event_type(text: str) -> str:
    return event_type_id(text)


@lru_cache(maxsize=4096)
def _subjects(text: str) -> tuple[str, ...]:
    found = set()
    for item in text.replace(",", ";").split(";"):
        item = item.strip()
        if not item:
            continue
        key = norm_key(item)
        if key.endswith("ren"):  # children
            key = key[:-3]
        elif key.endswith("s") and key[:-1] in SUBJECTS:
            key = key[:-1]
        found.add(check_choice(key, SUBJECTS, "subject (victim, perpetrator, child or other)"))
    return tuple(sorted(found))


@lru_cache(maxsize=4096)
def _indicators(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for item in split_items(text):
        try:
            out.append(risk_indicator_id(item))
        except ValidationError:
            if "," not in item:
                raise
            out.extend(risk_indicator_id(p) for p in item.split(",") if p.strip())
    return tuple(dict.fromkeys(out))


def _fact_or_opinion(text: str) -> str:
    key = norm_key(text)
    if not key:
        return "fact"
    if "opinion" in key:
        return "opinion"
    return check_choice(text, FACT_OR_OPINION, "'fact or opinion'")


def _risk_level(text: str) -> str | None:
    key = norm_key(text).removesuffix("_risk")
    if not key:
        return None
    return check_choice(key, RISK_LEVELS, "risk level (standard, medium or high)")


class _Checker:
    """Checks rows of one agency-returns file against the meeting's cases and the user's rights."""

    def __init__(self, session: Session, actor: User, meeting: Meeting, default_agency: str | None) -> None:
        self.actor = actor
        self.meeting = meeting
        self.today = date.today()
        self.agencies = AgencyLookup(session)
        self.default_agency = default_agency
        cases = session.exec(select(Case.id, Case.reference, Case.meeting_id)).all()
        self.meeting_cases: dict[str, int] = {
            ref.strip().casefold(): cid or 0 for cid, ref, mid in cases if mid == meeting.id
        }
        self.other_cases = {ref.strip().casefold() for _cid, ref, mid in cases if mid != meeting.id}
        self._allowed: dict[int, str] = {}
        self.memo: dict[tuple[str, str], tuple[Any, str]] = {}

    def agency_id(self, text: str) -> int:
        """The agency a row is from, which the user must be allowed to import for."""
        if not text:
            raise ValidationError("The agency is missing.")
        agency = self.agencies.find(text)
        self.permission(agency)
        return agency.id or 0

    def referred_agency_id(self, text: str) -> int:
        return self.agencies.find(text).id or 0

    def event_date(self, text: str) -> PartialDate:
        return check_date(read_date(text, self.today), today=self.today)

    def permission(self, agency: Agency) -> None:
        assert agency.id is not None
        if agency.id not in self._allowed:
            try:
                require(self.actor, "import", agency_id=agency.id)
                self._allowed[agency.id] = ""
            except MaracError as exc:
                self._allowed[agency.id] = str(exc).replace("; nothing was changed.", ".")
        if self._allowed[agency.id]:
            raise ValidationError(self._allowed[agency.id])

    def case_id(self, reference: str) -> int:
        if not reference:
            raise ValidationError("The case reference is missing.")
        key = reference.casefold()
        if key in self.meeting_cases:
            return self.meeting_cases[key]
        if key in self.other_cases:
            raise ValidationError(
                f'Case "{reference}" is not on the list for the meeting on '
                f"{self.meeting.meeting_date:%d %b %Y}; it belongs to another meeting."
            )
        raise ValidationError(f'There is no case "{reference}" at this Marac; check the reference.')


# Cells naming someone or something: hidden characters refuse the row. Free text shows them.
_NAMED_CELLS = {
    "case_reference": "case reference", "agency": "agency name", "referred_to": "agency referred to",
    "source_ref": "source reference", "recorded_by": "name of the person who recorded it",
}
_FREE_TEXT_CELLS = ("summary", "detail", "withheld_reason", "subjects", "risk_indicators")


def _problems(reader: RowReader, plan: ImportPlan, checker: _Checker, row: Any) -> tuple[list[str], dict[str, Any]]:
    """Every problem with one row (so the agency can fix them all at once), and its values.

    Each distinct cell text is checked once per file (`checker.memo`): a 50,000-row return
    repeats the same agencies, dates and event types, and the import must stay fast.
    """
    problems: list[str] = []
    values: dict[str, Any] = {}
    memo = checker.memo

    def attempt(name: str, func: Any, text: str) -> Any:
        hit = memo.get((name, text))
        if hit is None:
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()  # a file of all-different values must not grow it without end
            try:
                hit = (func(text), "")
            except ValidationError as exc:
                hit = (None, str(exc))
            memo[(name, text)] = hit
        if hit[1]:
            problems.append(hit[1])
        return hit[0]

    if sized := reader.size_problems(row):
        return sized, values
    if row.formula_columns:
        problems.append(reader.formula_problem(row))
    if reader.overflow(row):
        problems.append("This row has more cells than the header has columns (a stray separator?).")
    for name in plan.layout.missing:
        problems.append(f"The file has no {name} column.")
    cells = row.cells
    size = len(cells)
    cell: dict[str, str] = {}
    for name, index in reader.columns.items():
        text = cells[index].strip() if index < size else ""
        cell[name] = unguard_formula(text) if text[:1] == "'" else text
    for name, what in _NAMED_CELLS.items():
        if problem := hidden_problem(cell.get(name, ""), what):
            problems.append(problem)
    for name in _FREE_TEXT_CELLS:
        if name in cell:
            cell[name] = show_hidden(cell[name])
    get = cell.get
    values["case_id"] = attempt("case", checker.case_id, get("case_reference", ""))
    values["agency_id"] = attempt("agency", checker.agency_id, get("agency", "") or checker.default_agency or "")
    event_text = get("event_type", "")
    event_type = attempt("event_type", _event_type, event_text) if event_text else None
    if not event_text and "event_type" not in plan.layout.missing:
        problems.append("The event type is missing.")
    values["event_type"] = event_type
    date_text = get("date", "")
    when: PartialDate | None = None
    if date_text:
        when = attempt("date", checker.event_date, date_text)
    elif event_type == "nothing_known":
        when = PartialDate(checker.today)
    elif "date" not in plan.layout.missing:
        problems.append("The date is missing.")
    values["date"] = when
    summary = get("summary", "")
    values["summary"] = summary
    values["event_time"] = attempt("time", read_time, get("time", ""))
    values["subjects"] = attempt("subjects", _subjects, get("subjects", ""))
    values["risk_indicators"] = attempt("risk", _indicators, get("risk_indicators", ""))
    values["risk_level"] = attempt("risk_level", _risk_level, get("risk_level", ""))
    values["fact_or_opinion"] = attempt("fact", _fact_or_opinion, get("fact_or_opinion", ""))
    shareable = attempt("shareable", _shareable, get("shareable", ""))
    values["shareable"] = shareable
    values["withheld_reason"] = get("withheld_reason", "")
    referred = get("referred_to", "")
    values["referred_to_agency_id"] = None
    if referred:
        values["referred_to_agency_id"] = attempt("referred_to", checker.referred_agency_id, referred)
    if "summary" not in cell and event_type != "nothing_known":
        problems.append("The file has no summary column.")
    else:
        # The same rules the services and the entry dialog apply (core.entry_rules).
        problems += [
            f"{p.sentence.rstrip('.')} ({p.column})." if p.column != "summary" else p.sentence
            for p in entry_problems(
                event_type=event_type, summary=summary, shareable=shareable is not False,
                withheld_reason=values["withheld_reason"], has_referred_agency=bool(referred),
            )
        ]
    detail = get("detail", "")
    if reader.extra:
        extras = reader.extras(row)
        detail = "\n".join([detail, *extras] if detail else extras)
    if len(detail) > MAX_DETAIL_CHARS:
        problems.append(
            f"The detail (with the extra columns kept in it) is {len(detail):,} characters; at most "
            f"{MAX_DETAIL_CHARS:,} are accepted."
        )
    values["detail"] = detail
    values["source_ref"] = get("source_ref", "")
    values["recorded_by"] = get("recorded_by", "")
    return problems, values


def _shareable(text: str) -> bool:
    return bool(yes_no(text, "shareable", default=True))


class ReturnsCheck:
    """Checks an agency return's rows one at a time and writes the valid ones in batches.

    Nothing here grows with the file except the duplicate fingerprints (`DuplicateIndex`): the
    checked entries wait in `pending` until `write_pending` inserts them (the import calls it
    every INSERT_CHUNK rows, the preview never), and the "nothing known" answers, one per case
    and agency at most, are decided at the end (`finish`), when it is known whether the same
    agency also sent entries.
    """

    def __init__(
        self, session: Session, *, actor: User, meeting: Meeting, plan: ImportPlan, default_agency: str | None
    ) -> None:
        self.session = session
        self.actor = actor
        self.plan = plan
        self.checker = _Checker(session, actor, meeting, default_agency)
        self.reader = RowReader(plan.layout)
        case_ids = list(self.checker.meeting_cases.values())
        self.duplicates = DuplicateIndex(session, case_ids)
        self.statuses = {
            (r.case_id, r.agency_id): r.status
            for r in session.exec(select(AgencyReturn).where(col(AgencyReturn.case_id).in_(case_ids))).all()
        }
        self.pending: list[dict[str, Any]] = []
        self.nothing_known: dict[tuple[int, int], tuple[RowOutcome, dict[str, Any]]] = {}
        self.with_entries: set[tuple[int, int]] = set()
        self.entries_written = 0

    def check(self, row: RawRow) -> RowOutcome | None:
        """The row's outcome; None for a repeated header and for a "nothing known" answer, whose
        outcome `finish` gives."""
        if self.plan.header.cells == row.cells:
            return None  # the header repeated (files pasted together) is not a row
        problems, values = _problems(self.reader, self.plan, self.checker, row)
        if problems:
            return RowOutcome(row, REJECTED, " ".join(problems))
        pair = (values["case_id"], values["agency_id"])
        if values["event_type"] == "nothing_known":
            if pair in self.nothing_known or self.statuses.get(pair) == "nothing_known":
                return RowOutcome(row, DUPLICATE)
            self.nothing_known[pair] = (RowOutcome(row, IMPORTED), values)
            return None
        when: PartialDate = values.pop("date")
        key: DupKey = (
            values["agency_id"], values["case_id"], values["source_ref"], when.value, when.precision,
            values["event_type"], values["summary"],
        )
        if not self.duplicates.add(key):
            return RowOutcome(row, DUPLICATE)
        self.with_entries.add(pair)
        values.update(event_date=when.value, date_precision=when.precision, date_approximate=when.approximate)
        self.pending.append(values)
        return RowOutcome(row, IMPORTED)

    def finish(self) -> list[RowOutcome]:
        """The outcomes of the "nothing known" answers, now that every row has been seen."""
        out = []
        for pair, (outcome, _values) in list(self.nothing_known.items()):
            # "Nothing known" next to entries from the same agency would hide what it did send.
            if pair in self.with_entries or self.statuses.get(pair) == "returned":
                outcome = RowOutcome(outcome.row, REJECTED, (
                    "This agency has sent entries for this case, so it cannot also answer 'nothing known'; "
                    "remove this row or withdraw the entries first."
                ))
                del self.nothing_known[pair]
            out.append(outcome)
        return out

    def write_pending(self) -> None:
        """Inserts the entries checked since the last call (in the open transaction)."""
        if not self.pending:
            return
        now = datetime.now(UTC)
        common = {
            "sequence": 0, "withdrawn_at": None, "withdrawn_by_id": None, "withdrawn_reason": "",
            "created_by_id": self.actor.id, "created_at": now, "updated_by_id": self.actor.id, "updated_at": now,
            "version": 1,
        }
        keys = list(common) + [k for k in self.pending[0] if k not in common]
        insert_rows = _BulkInsert(self.session, _entry_table(), keys)
        for start in range(0, len(self.pending), INSERT_CHUNK):
            insert_rows.run(common, self.pending[start : start + INSERT_CHUNK])
        self.entries_written += len(self.pending)
        self.pending = []
        self.duplicates.written()

    def write_returns(self) -> dict[str, int]:
        """Writes what is left and records each agency's return; returns counts for the audit."""
        self.write_pending()
        today = date.today()
        changed = 0
        for pair in sorted(self.with_entries):
            if self.statuses.get(pair, "not_requested") in _BECOMES_RETURNED:
                _set_return(self.session, pair, "returned", today, "")
                changed += 1
        for pair, (_outcome, values) in self.nothing_known.items():
            when: PartialDate = values["date"]
            _set_return(self.session, pair, "nothing_known", min(when.value, today), values["recorded_by"])
            changed += 1
        self.session.flush()
        return {"entries": self.entries_written, "returns_changed": changed, "nothing_known": len(self.nothing_known)}


def check_returns(
    session: Session, *, actor: User, meeting: Meeting, plan: ImportPlan, default_agency: str | None,
    rows: list[RawRow], progress: Progress | None = None,
) -> None:
    """Fills `plan.outcomes` with each row's outcome, writing nothing (the preview)."""
    check = ReturnsCheck(session, actor=actor, meeting=meeting, plan=plan, default_agency=default_agency)
    total = len(rows)
    for done, row in enumerate(rows, start=1):
        if progress is not None and done % 1000 == 0:
            progress(done, total)
        if (outcome := check.check(row)) is not None:
            plan.outcomes.append(outcome)
    plan.outcomes += check.finish()
    plan.outcomes.sort(key=lambda o: o.row.number)
    if progress is not None:
        progress(total, total)


class DuplicateIndex:
    """Tells whether an entry's duplicate key was seen (stored, or earlier in the file) without
    holding the keys: a set of their 64-bit fingerprints (about 60 bytes each, 60 MB for a
    million rows). A fingerprint seen before is confirmed against the exact key – in the batch
    not yet written, or in the database with one indexed query (case and date) – so two different
    entries whose fingerprints collide are both imported.
    """

    def __init__(self, session: Session, case_ids: list[int]) -> None:
        self.session = session
        self.fingerprints: set[int] = set()
        self.unwritten: set[DupKey] = set()
        if case_ids:
            table = _entry_table()
            # Withdrawn entries count: re-importing must not revive them.
            query = (
                sa_select(*(table.c[name] for name in _DUP_COLUMNS))
                .where(table.c.case_id.in_(case_ids))
                .execution_options(yield_per=10_000)  # on the statement: the connection keeps its own
            )
            for stored in session.connection().execute(query):
                self.fingerprints.add(fingerprint(tuple(stored)))

    def add(self, key: DupKey) -> bool:
        """Notes `key`; False when it was there already (a duplicate)."""
        digest = fingerprint(key)
        if digest in self.fingerprints and (key in self.unwritten or self._stored(key)):
            return False
        self.fingerprints.add(digest)
        self.unwritten.add(key)
        return True

    def written(self) -> None:
        """The unwritten keys are in the database now (the same transaction sees them)."""
        self.unwritten.clear()

    def _stored(self, key: DupKey) -> bool:
        table = _entry_table()
        query = sa_select(table.c.id).where(
            *(table.c[name] == value for name, value in zip(_DUP_COLUMNS, key, strict=True))
        ).limit(1)
        return self.session.connection().execute(query).first() is not None


_DUP_COLUMNS = ("agency_id", "case_id", "source_ref", "event_date", "date_precision", "event_type", "summary")


def fingerprint(key: DupKey) -> int:
    """A 64-bit fingerprint of a duplicate key (Python's own tuple hash: fast, and stable within
    the process, which is all the index needs; collisions are confirmed exactly)."""
    return hash(key)


def _entry_table() -> Table:
    return SQLModel.metadata.tables[ChronologyEntry.__tablename__]


class _BulkInsert:
    """An executemany straight to the driver, with SQLAlchemy's own type conversions applied once
    per distinct value (a date, a list of subjects) instead of once per row: the import of
    50,000 rows must stay within a few times a bare csv + sqlite3 executemany."""

    def __init__(self, session: Session, table: Table, keys: list[str]) -> None:
        self.connection = session.connection()
        dialect = self.connection.dialect
        compiled = insert(table).compile(dialect=dialect, column_keys=keys)
        self.sql = str(compiled)
        self.positional = bool(compiled.positional)
        self.order = list(compiled.positiontup or keys) if self.positional else keys
        processors = {k: table.c[k].type.dialect_impl(dialect).bind_processor(dialect) for k in keys}
        self.processors = {k: p for k, p in processors.items() if p is not None}
        self.memo: dict[str, dict[Any, Any]] = {k: {} for k in self.processors}

    def _convert(self, key: str, value: Any) -> Any:
        memo = self.memo[key]
        try:
            return memo[value]
        except KeyError:
            converted = self.processors[key](list(value) if isinstance(value, tuple) else value)
            memo[value] = converted
            return converted
        except TypeError:  # an unhashable value: convert it every time
            return self.processors[key](value)

    def run(self, common: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        """Inserts `rows`, each completed by the `common` values (converted once)."""
        if not rows:
            return
        fixed = {k: self._convert(k, v) if k in self.processors else v for k, v in common.items()}
        varying = [k for k in self.processors if k not in fixed]
        converted = []
        for entry in rows:
            row = {**fixed, **entry}
            for key in varying:
                row[key] = self._convert(key, row[key])
            converted.append(tuple([row[k] for k in self.order]) if self.positional else row)
        self.connection.exec_driver_sql(self.sql, converted)


def _set_return(session: Session, pair: tuple[int, int], status: str, on: date, representative: str) -> None:
    """Records the return the file answers, in one statement that raises the version itself (a
    desk changing the same return at the same moment loses nothing)."""
    case_id, agency_id = pair
    values: dict[str, Any] = {"status": status, "returned_on": on, "version": col(AgencyReturn.version) + 1}
    if representative:
        values["representative"] = representative
    changed = session.execute(
        sa_update(AgencyReturn)
        .where(col(AgencyReturn.case_id) == case_id, col(AgencyReturn.agency_id) == agency_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        session.add(AgencyReturn(case_id=case_id, agency_id=agency_id, status=status, returned_on=on,
                                 representative=representative, version=1))
        session.flush()
