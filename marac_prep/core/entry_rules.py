"""The rules every chronology entry keeps, wherever it comes from: the entry dialog, the services
and an imported return all ask these functions, so they cannot drift apart."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from marac_prep.core.dates import PartialDate
from marac_prep.core.errors import ValidationError

SUMMARY_MAX = 500


def date_problem(when: PartialDate, *, today: date) -> str | None:
    """Why an entry cannot have this date (it is in the future), or None."""
    if when.value > today:
        return f"{when.display()} is in the future."
    return None


def check_date(when: PartialDate, *, today: date) -> PartialDate:
    """`when`, or a `ValidationError` saying why an entry cannot have it."""
    problem = date_problem(when, today=today)
    if problem:
        raise ValidationError(problem)
    return when


class EntryProblem(NamedTuple):
    """One broken rule: the return column it is about (`interchange.columns`) and the sentence."""

    column: str
    sentence: str


def entry_problems(
    *,
    event_type: str | None,
    summary: str,
    shareable: bool,
    withheld_reason: str,
    has_referred_agency: bool,
) -> list[EntryProblem]:
    """Every rule the entry as a whole breaks (empty when it keeps them all).

    Args:
        event_type: the event type id (None when it could not be read).
        has_referred_agency: whether the agency a referral was made to is given.
    """
    problems: list[EntryProblem] = []
    if event_type != "nothing_known" and not summary.strip():
        problems.append(EntryProblem("summary", "An entry needs a brief summary of what happened."))
    if len(summary) > SUMMARY_MAX:
        problems.append(EntryProblem(
            "summary",
            f"The summary is {len(summary)} characters; keep it under {SUMMARY_MAX} and put the rest in the detail.",
        ))
    if not shareable and not withheld_reason.strip():
        problems.append(
            EntryProblem("withheld_reason", "An entry that may not be shared needs the reason it is withheld.")
        )
    if event_type == "referral_made" and not has_referred_agency:
        problems.append(EntryProblem("referred_to", "A referral entry needs the agency it was made to."))
    return problems


def check_entry(
    *,
    event_type: str | None,
    summary: str,
    shareable: bool,
    withheld_reason: str,
    has_referred_agency: bool,
) -> None:
    """Raises `ValidationError` with every broken rule in one message."""
    problems = entry_problems(
        event_type=event_type, summary=summary, shareable=shareable, withheld_reason=withheld_reason,
        has_referred_agency=has_referred_agency,
    )
    if problems:
        raise ValidationError(" ".join(p.sentence for p in problems))
