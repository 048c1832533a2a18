"""Who saw what: the cases one app session has opened, each audited once per session."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from marac_prep.core.audit import record_case_opened
from marac_prep.core.db import is_read_only
from marac_prep.core.models import User


@dataclass
class CaseOpenings:
    """The cases opened in one app session by one person.

    The first opening of a case is audited (`case.open`); opening it again in the same session
    is not, so the trail says who looked at whose file without one event per click. A new
    session – the app started again, or another person taking over – starts afresh.

    Attributes:
        actor_id: the person this session belongs to.
        opened: ids of the cases already audited in this session.
    """

    actor_id: int | None = None
    opened: set[int] = field(default_factory=set)

    def record(self, session: Session, *, actor: User, case_id: int) -> bool:
        """Audits the opening unless this session already did; True when an event was written."""
        if actor.id != self.actor_id:
            self.actor_id, self.opened = actor.id, set()
        if case_id in self.opened or is_read_only(session):
            return False
        record_case_opened(session, actor=actor, case_id=case_id)
        self.opened.add(case_id)
        return True
