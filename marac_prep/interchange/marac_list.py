"""Importing a Marac list: each row a referral, made into a case with its people and address."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlmodel import Session, select

from marac_prep.core import audit
from marac_prep.core.dates import parse_uk_day
from marac_prep.core.diversity import check, is_recorded
from marac_prep.core.errors import ValidationError
from marac_prep.core.hidden_text import hidden_problem
from marac_prep.core.models import Address, Case, Meeting, Person, User
from marac_prep.core.vocabulary import criterion_id
from marac_prep.interchange.lookups import AgencyLookup, split_items, yes_no
from marac_prep.interchange.plan import DUPLICATE, IMPORTED, REJECTED, ImportPlan, Progress, RowOutcome, RowReader

_HAS_DIGIT = re.compile(r"\d")


def _day(text: str, what: str, today: date) -> date | None:
    if not text:
        return None
    try:
        value = parse_uk_day(text, today=today)
    except ValidationError as exc:
        raise ValidationError(f"{what}: {exc}") from None
    if value > today:
        raise ValidationError(f"{what} {value:%d %b %Y} is in the future.")
    return value


def parse_child(item: str, today: date) -> tuple[str, date | None]:
    """`Name DD/MM/YYYY` (or `Name 5 Jan 2019`, or a name alone) as the name and date of birth."""
    words = item.split()
    example = 'e.g. "Ava JONES 05/01/2019"'
    if not _HAS_DIGIT.search(item):
        return " ".join(words), None
    for size in (1, 3):
        if len(words) > size:
            try:
                dob = parse_uk_day(" ".join(words[-size:]), today=today)
            except ValidationError:
                continue
            if dob > today:
                raise ValidationError(f'The date of birth in "{item}" is in the future.')
            return " ".join(words[:-size]), dob
    raise ValidationError(f'"{item}" is not a child\'s name and date of birth, {example}.')


def _criteria(text: str) -> list[str]:
    items = split_items(text)
    if len(items) == 1 and "," in items[0]:
        items = [i.strip() for i in items[0].split(",")]
    return sorted({criterion_id(i) for i in items})


def _dash(text: str) -> int | None:
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValidationError(f'The Dash score "{text}" is not a number.') from None
    if not number.is_integer() or not 0 <= number <= 24:
        raise ValidationError("A Dash score is a whole number between 0 and 24.")
    return int(number)


def _name(text: str) -> str:
    return " ".join(text.split())


# Cells naming someone or something: hidden characters (U+202E …) refuse the row.
_NAMED_CELLS = {
    "case_reference": "case reference", "referring_agency": "referring agency", "victim_name": "victim's name",
    "perpetrator_name": "perpetrator's name", "children": "children's names", "relationship": "relationship",
    "victim_gender": "victim's gender", "address": "address",
    **{f"{who}_{name}": f"{who}'s {name.replace('lgbt', 'LGBT+')}" for who in ("victim", "perpetrator")
       for name in ("gender", "ethnicity", "disability", "lgbt")},
}


def _lgbt(text: str, who: str) -> bool | None:
    """Yes / no, or None when blank or "not recorded" (also "unknown", "not stated")."""
    return yes_no(text, f"the {who}'s LGBT+ column") if is_recorded(text) else None


def _diversity(get: Any, row: Any, who: str, attempt: Any) -> dict[str, Any]:
    """The person's gender, ethnicity, disability (as their list labels) and LGBT+."""
    values = {
        name: attempt(check, name, get(row, f"{who}_{name}"), who=f"{who}'s") or ""
        for name in ("gender", "ethnicity", "disability")
    }
    values["lgbt"] = attempt(_lgbt, get(row, f"{who}_lgbt"), who)
    return values


def _row_values(
    reader: RowReader, plan: ImportPlan, agencies: AgencyLookup, row: Any, today: date
) -> tuple[list[str], dict[str, Any]]:
    problems: list[str] = []

    def attempt(func: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ValidationError as exc:
            problems.append(str(exc))
            return None

    if sized := reader.size_problems(row):
        return sized, {"reference": ""}
    for name, what in _NAMED_CELLS.items():
        if problem := hidden_problem(reader.get(row, name), what):
            problems.append(problem)
    if formula := reader.formula_problem(row):
        problems.append(formula)
    if reader.overflow(row):
        problems.append("This row has more cells than the header has columns (a stray separator?).")
    problems += [f"The file has no {name} column." for name in plan.layout.missing]
    get = reader.get
    values: dict[str, Any] = {"reference": get(row, "case_reference")}
    if not values["reference"] and "case_reference" not in plan.layout.missing:
        problems.append("The case reference is missing.")
    referral = get(row, "referral_date")
    values["referral_date"] = attempt(_day, referral, "The referral date", today)
    if not referral and "referral_date" not in plan.layout.missing:
        problems.append("The referral date is missing.")
    agency_text = get(row, "referring_agency")
    values["referring_agency"] = attempt(agencies.find, agency_text) if agency_text else None
    if not agency_text and "referring_agency" not in plan.layout.missing:
        problems.append("The referring agency is missing.")
    values["victim_name"] = _name(get(row, "victim_name"))
    if not values["victim_name"] and "victim_name" not in plan.layout.missing:
        problems.append("The victim's name is missing (write 'Unknown' if it is not known).")
    values["victim_dob"] = attempt(_day, get(row, "victim_dob"), "The victim's date of birth", today)
    values["victim"] = _diversity(get, row, "victim", attempt)
    values["perpetrator_name"] = _name(get(row, "perpetrator_name"))
    values["perpetrator_dob"] = attempt(_day, get(row, "perpetrator_dob"), "The perpetrator's date of birth", today)
    values["perpetrator"] = _diversity(get, row, "perpetrator", attempt)
    if values["perpetrator_dob"] and not values["perpetrator_name"]:
        problems.append("A perpetrator's date of birth is given without a name.")
    elif not values["perpetrator_name"] and any(v not in ("", None) for v in values["perpetrator"].values()):
        problems.append("A perpetrator's gender, ethnicity, disability or LGBT+ is given without a name.")
    values["relationship"] = get(row, "relationship")
    values["children"] = [c for c in (attempt(parse_child, i, today) for i in split_items(get(row, "children"))) if c]
    values["criteria"] = attempt(_criteria, get(row, "criteria")) or []
    values["dash_score"] = attempt(_dash, get(row, "dash_score"))
    values["address"] = " ".join(get(row, "address").split())
    values["address_confidential"] = attempt(
        yes_no, get(row, "address_confidential"), "address_confidential", default=False
    )
    return problems, values


def check_list(session: Session, *, meeting: Meeting, plan: ImportPlan, progress: Progress | None = None) -> None:
    """Fills `plan` with each row's outcome and the cases to create."""
    today = date.today()
    agencies = AgencyLookup(session)
    reader = RowReader(plan.layout)
    stored = {c.reference.strip().casefold(): c for c in session.exec(select(Case)).all()}
    seen: dict[str, tuple[str, ...]] = {}
    cases: list[dict[str, Any]] = []
    rows = plan.sheet.rows[plan.layout.header_index + 1 :]
    for done, row in enumerate(rows, start=1):
        if progress is not None and done % 200 == 0:
            progress(done, len(rows))
        if row.cells == plan.header.cells:
            continue
        problems, values = _row_values(reader, plan, agencies, row, today)
        key = values["reference"].casefold()
        cells = tuple(c.strip() for c in row.cells)
        if not problems and key in seen:
            if seen[key] == cells:
                plan.outcomes.append(RowOutcome(row, DUPLICATE))
            else:
                plan.outcomes.append(RowOutcome(row, REJECTED, (
                    f'Case "{values["reference"]}" appears earlier in this file with different details; '
                    "keep one row per case."
                )))
            continue
        if not problems and key in stored:
            existing = stored[key]
            if existing.meeting_id == meeting.id:
                seen[key] = cells
                plan.outcomes.append(RowOutcome(row, DUPLICATE))
                continue
            else:
                problems.append(f'A case "{values["reference"]}" already exists on another meeting\'s list.')
        if problems:
            plan.outcomes.append(RowOutcome(row, REJECTED, " ".join(problems)))
            continue
        seen[key] = cells
        cases.append(values)
        plan.outcomes.append(RowOutcome(row, IMPORTED))
    plan.records = {"cases": cases}
    if progress is not None:
        progress(len(rows), len(rows))


def write_list(session: Session, *, actor: User, meeting: Meeting, plan: ImportPlan) -> dict[str, int]:
    """Creates the plan's cases with their people (and the victim's address) in the open transaction."""
    people_count = 0
    for values in plan.records["cases"]:
        criteria: list[str] = values["criteria"]
        case = Case(
            reference=values["reference"], meeting_id=meeting.id, referral_date=values["referral_date"],
            referring_agency_id=values["referring_agency"].id, criteria=criteria,
            dash_score=values["dash_score"], repeat="repeat" in criteria,
        )
        session.add(case)
        session.flush()
        assert case.id is not None
        victim = Person(case_id=case.id, role="victim", name=values["victim_name"],
                        date_of_birth=values["victim_dob"], **values["victim"])
        people = [victim]
        if values["perpetrator_name"]:
            people.append(Person(
                case_id=case.id, role="perpetrator", name=values["perpetrator_name"],
                date_of_birth=values["perpetrator_dob"], relationship=values["relationship"],
                **values["perpetrator"],
                # A perpetrator is never told of the referral (DOMAIN.md).
                must_not_receive_information=True,
            ))
        people += [
            Person(case_id=case.id, role="child", name=name, date_of_birth=dob)
            for name, dob in values["children"]
        ]
        session.add_all(people)
        session.flush()
        if values["address"]:
            session.add(Address(case_id=case.id, person_id=victim.id, text=values["address"],
                                confidential=bool(values["address_confidential"])))
        people_count += len(people)
        audit.record(
            session, actor=actor, action="case.create", object_type="case", object_id=case.id,
            case_id=case.id, details={"people": len(people), "source": "import"},
        )
    return {"cases": len(plan.records["cases"]), "people": people_count}
