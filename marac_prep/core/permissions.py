"""Who may do what: checked in every service call, whatever the user interface shows."""

from __future__ import annotations

from marac_prep.core.errors import PermissionDenied
from marac_prep.core.models import User

# Actions a role may take on any agency's records.
_ANY_AGENCY: dict[str, frozenset[str]] = {
    "coordinator": frozenset(
        {
            "manage_meeting",
            "manage_case",
            "edit_entry",
            "set_return",
            "record_risk_assessment",
            "manage_users",
            "import",
            "export",
            "export_everything",
            "backup",
            "view_audit",
            "link_people",
            "review_finding",
            "manage_settings",
            "update_action",
            "case_notes",
            "view_statistics",
        }
    ),
    # An Idva service reports its Marac's figures too; agency representatives and viewers see
    # cases, not the Marac's aggregate return (small counts can identify people: decision 0083).
    "idva": frozenset({"manage_case", "export", "view_statistics"}),
    "agency_rep": frozenset(),
    "viewer": frozenset(),
}
# Actions a role may take only on its own agency's records.
_OWN_AGENCY: dict[str, frozenset[str]] = {
    "coordinator": frozenset(),
    "idva": frozenset({"edit_entry", "set_return", "record_risk_assessment", "import", "update_action"}),
    "agency_rep": frozenset({"edit_entry", "set_return", "record_risk_assessment", "import", "update_action"}),
    "viewer": frozenset(),
}

_DESCRIPTIONS = {
    "manage_meeting": "create or change meetings",
    "manage_case": "create or change cases",
    "edit_entry": "add or change chronology entries",
    "set_return": "change an agency's return",
    "record_risk_assessment": "record a risk assessment",
    "manage_users": "manage users and agencies",
    "import": "import agency returns",
    "export": "export case information",
    "view_audit": "see the audit trail",
    "export_everything": "export entries other agencies marked not shareable",
    "backup": "back up the whole database",
    "link_people": "confirm or reject that two records are the same person",
    "review_finding": "mark gap findings reviewed",
    "manage_settings": "change this Marac's settings",
    "update_action": "record or update Marac actions",
    "case_notes": "read or write the coordinator's case notes",
    "view_statistics": "see or export the Marac's statistics (the quarterly return)",
}
_ROLE_NAMES = {
    "coordinator": "a coordinator",
    "idva": "an Idva",
    "agency_rep": "an agency representative",
    "viewer": "a viewer",
}


def allowed(actor: User, action: str, *, agency_id: int | None = None) -> bool:
    """True when `actor` may take `action` (on records of `agency_id`, where it matters)."""
    if not actor.active:
        return False
    if action in _ANY_AGENCY.get(actor.role, frozenset()):
        return True
    own = _OWN_AGENCY.get(actor.role, frozenset())
    return action in own and agency_id is not None and agency_id == actor.agency_id


def require(actor: User, action: str, *, agency_id: int | None = None) -> None:
    """Raises `PermissionDenied` with a sentence the user can read when the action is not allowed."""
    if allowed(actor, action, agency_id=agency_id):
        return
    what = _DESCRIPTIONS.get(action, action)
    role = _ROLE_NAMES.get(actor.role, actor.role)
    if not actor.active:
        raise PermissionDenied(f"{actor.name}'s profile is inactive, so it cannot {what}.")
    if action in _OWN_AGENCY.get(actor.role, frozenset()):
        raise PermissionDenied(
            f"As {role}, {actor.name} can {what} only for their own agency; nothing was changed."
        )
    raise PermissionDenied(f"As {role}, {actor.name} cannot {what}; nothing was changed.")
