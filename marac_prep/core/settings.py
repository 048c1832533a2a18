"""Local-practice settings: the packaged defaults overlaid by the values a coordinator has set.

Thresholds and windows are local practice (DOMAIN.md). The package ships defaults in
`resources/settings.json` with a description of each in `resources/settings_help.json`; a
Marac's own values live in the database (table `app_setting`), so an upgrade keeps them and
nobody edits the installed package. Every rule and view reads them through `current(session)`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from marac_prep.core.errors import ConflictError, NotFound, ValidationError
from marac_prep.resources import load_json

if TYPE_CHECKING:
    from sqlmodel import Session

    from marac_prep.core.models import User

# The database parts (models, audit, SQLAlchemy) are imported inside the functions that read or
# write the table: the packaged settings are read by the app window before its first paint, when
# the data stack is not loaded yet (tests/ui/test_startup.py).

log = logging.getLogger(__name__)

BAND_NAMES = ("standard", "medium", "high")
DASH_QUESTIONS = 24


@dataclass(frozen=True)
class Settings:
    """The settings in force, typed.

    Attributes:
        visible_high_risk_threshold: Dash "yes" answers that make visible high risk.
        risk_bands: (level, lowest score, highest score) for standard, medium and high.
        escalation_incident_count / escalation_window_days: N incidents within this many days
            make potential escalation.
        repeat_window_days: days after the last Marac referral within which abuse is a repeat.
        repeat_definition: "referral" or "any_abuse" (the newer SafeLives wording; see
            `analysis.repeats`).
        person_match_threshold: score from which two person records are offered as possibly the
            same person (`core.matching`).
        referral_received_window_days: days within which a referred-to agency should have a record.
        approximate_date_days: days either side of an approximate ("?") date it may stand for.
        same_incident_hours: same-day records of one incident further apart than this are two.
        default_marking: the protective marking printed on packs and minutes.
        idle_lock_minutes: minutes without input before the window locks.
        rolling_backups: automatic backups kept beside the database.
        criteria: (id, label) of the referral criteria (fixed: their ids are stored with cases).
        adult_female_population: women aged 16 or over in the Marac's area, for the recommended
            volume of cases (SafeLives: 40 a year per 10,000); 0 when not set.
    """

    visible_high_risk_threshold: int
    risk_bands: tuple[tuple[str, int, int], ...]
    escalation_incident_count: int
    escalation_window_days: int
    repeat_window_days: int
    repeat_definition: str
    person_match_threshold: float
    referral_received_window_days: int
    approximate_date_days: int
    same_incident_hours: int
    default_marking: str
    idle_lock_minutes: int
    rolling_backups: int
    criteria: tuple[tuple[str, str], ...]
    adult_female_population: int = 0

    def risk_level(self, score: int | None) -> str | None:
        """The local risk band for a Dash score (standard 0–9, medium 10–13, high 14+ by default)."""
        if score is None:
            return None
        for level, low, high in self.risk_bands:
            if low <= score <= high:
                return level
        return "high" if score > 0 else "standard"

    def criterion_label(self, ident: str) -> str:
        return dict(self.criteria).get(ident, ident)


# --- one specification per setting: how it is checked, read from text and shown ----------------


@dataclass(frozen=True)
class SettingSpec:
    """How one setting is checked and typed.

    Attributes:
        name: the key in `settings.json`.
        check: turns a JSON value into its checked JSON form, or raises `ValidationError`.
        parse: turns text typed by a user (command line, dialog) into a JSON value.
        to_typed: turns the checked JSON value into the `Settings` attribute.
        settable: False for a setting shown but not changeable here.
    """

    name: str
    check: Callable[[Any], Any]
    parse: Callable[[str], Any]
    to_typed: Callable[[Any], Any]
    settable: bool = True


def _whole_number(name: str, low: int, high: int) -> SettingSpec:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValidationError(f"{name} must be a whole number from {low} to {high}.")
        return value

    def parse(text: str) -> Any:
        try:
            return int(text.strip())
        except ValueError:
            raise ValidationError(f'{name} must be a whole number from {low} to {high}, not "{text}".') from None

    return SettingSpec(name, check, parse, int)


def _text(name: str, longest: int) -> SettingSpec:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError(f"{name} must be text.")
        cleaned = " ".join(value.split())
        if not cleaned or len(cleaned) > longest:
            raise ValidationError(f"{name} must be between 1 and {longest} characters.")
        return cleaned

    return SettingSpec(name, check, str, str)


def _choice(name: str, choices: tuple[str, ...]) -> SettingSpec:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValidationError(f"{name} must be one of: {', '.join(choices)}.")
        return str(value)

    return SettingSpec(name, check, lambda text: text.strip().lower(), str)


def _fraction(name: str, low: float, high: float) -> SettingSpec:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise ValidationError(f"{name} must be a number from {low:g} to {high:g}.")
        return float(value)

    def parse(text: str) -> Any:
        try:
            return float(text.strip())
        except ValueError:
            raise ValidationError(f'{name} must be a number from {low:g} to {high:g}, not "{text}".') from None

    return SettingSpec(name, check, parse, float)


def _check_bands(value: Any) -> dict[str, list[int]]:
    rule = (
        "risk_bands must give standard, medium and high as [lowest, highest], covering every Dash "
        f"score from 0 to {DASH_QUESTIONS} in order without gaps or overlaps"
    )
    if not isinstance(value, Mapping) or sorted(value) != sorted(BAND_NAMES):
        raise ValidationError(rule + ".")
    bands: dict[str, list[int]] = {}
    expected_low = 0
    for level in BAND_NAMES:
        pair = value[level]
        if (
            not isinstance(pair, list | tuple)
            or len(pair) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in pair)
        ):
            raise ValidationError(rule + ".")
        low, high = pair
        if low != expected_low or high < low:
            raise ValidationError(f"{rule}; {level} should start at {expected_low}.")
        bands[level] = [low, high]
        expected_low = high + 1
    if expected_low != DASH_QUESTIONS + 1:
        raise ValidationError(f"{rule}; high should end at {DASH_QUESTIONS}.")
    return bands


def _parse_bands(text: str) -> Any:
    """JSON (`{"standard": [0, 9], …}`) or three ranges in order: `0-9, 10-13, 14-24`."""
    text = text.strip()
    if text.startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ValidationError("risk_bands is not valid JSON.") from None
    parts = [p.strip() for p in text.split(",")]
    try:
        ranges = [[int(n) for n in part.split("-")] for part in parts]
    except ValueError:
        raise ValidationError('risk_bands must be three ranges such as "0-9, 10-13, 14-24".') from None
    if len(ranges) != len(BAND_NAMES) or any(len(r) != 2 for r in ranges):
        raise ValidationError('risk_bands must be three ranges such as "0-9, 10-13, 14-24".')
    return dict(zip(BAND_NAMES, ranges, strict=True))


def _check_criteria(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list) or not all(
        isinstance(c, Mapping) and isinstance(c.get("id"), str) and isinstance(c.get("label"), str) for c in value
    ):
        raise ValidationError("criteria must be a list of {id, label}.")
    return [{"id": c["id"], "label": c["label"]} for c in value]


def _refuse_text(text: str) -> Any:
    raise ValidationError("criteria are fixed: their ids are stored with every case.")


SPECS: dict[str, SettingSpec] = {
    spec.name: spec
    for spec in (
        _whole_number("visible_high_risk_threshold", 1, DASH_QUESTIONS),
        SettingSpec(
            "risk_bands",
            _check_bands,
            _parse_bands,
            lambda v: tuple((level, v[level][0], v[level][1]) for level in BAND_NAMES),
        ),
        _whole_number("escalation_incident_count", 2, 100),
        _whole_number("escalation_window_days", 1, 3650),
        _whole_number("repeat_window_days", 1, 3650),
        _choice("repeat_definition", ("referral", "any_abuse")),
        _fraction("person_match_threshold", 0.5, 1.0),
        _whole_number("referral_received_window_days", 0, 365),
        _whole_number("approximate_date_days", 0, 90),
        _whole_number("same_incident_hours", 0, 24),
        _text("default_marking", 60),
        _whole_number("idle_lock_minutes", 1, 240),
        _whole_number("rolling_backups", 0, 100),
        _whole_number("adult_female_population", 0, 50_000_000),
        SettingSpec(
            "criteria",
            _check_criteria,
            _refuse_text,
            lambda v: tuple((c["id"], c["label"]) for c in v),
            settable=False,
        ),
    )
}


@cache
def _packaged_values() -> dict[str, Any]:
    raw = {k: v for k, v in load_json("settings.json").items() if not k.startswith("_")}
    return {name: SPECS[name].check(value) for name, value in raw.items()}


@cache
def descriptions() -> dict[str, str]:
    """Each setting's one-line description (`resources/settings_help.json`)."""
    return {k: str(v) for k, v in load_json("settings_help.json").items() if not k.startswith("_")}


def _build(values: Mapping[str, Any]) -> Settings:
    return Settings(**{name: SPECS[name].to_typed(value) for name, value in values.items()})


@cache
def packaged() -> Settings:
    """The defaults shipped in `resources/settings.json` (for code that has no database, and tests)."""
    return _build(_packaged_values())


def _stored(session: Session) -> dict[str, Any]:
    """The database's values that are still known and valid (a bad one is logged and ignored)."""
    from sqlmodel import select

    from marac_prep.core.models import Setting

    out: dict[str, Any] = {}
    for row in session.exec(select(Setting)).all():
        spec = SPECS.get(row.name)
        if spec is None or not spec.settable:
            continue
        try:
            out[row.name] = spec.check(row.value)
        except ValidationError:
            log.warning("ignoring an invalid stored value of setting %s", row.name)
    return out


def current_values(session: Session) -> dict[str, Any]:
    """Every setting's value in force, as JSON values (the packaged defaults overlaid)."""
    return {**_packaged_values(), **_stored(session)}


def current(session: Session) -> Settings:
    """The settings in force in this database."""
    return _build(current_values(session))


@dataclass(frozen=True)
class SettingLine:
    """One setting as the Settings dialog and `settings list` show it.

    Attributes:
        version: the stored value's version (0 while the packaged default is in force), given
            back to `set_settings` so a change made since is not overwritten.
    """

    name: str
    value: Any
    default: Any
    description: str
    settable: bool
    version: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.value != self.default)

    @property
    def value_text(self) -> str:
        return value_text(self.value)


def value_text(value: Any) -> str:
    """A value as a user types it: bare numbers and text, ranges for the bands, JSON otherwise."""
    if isinstance(value, str | int):
        return str(value)
    if isinstance(value, Mapping) and sorted(value) == sorted(BAND_NAMES):
        return ", ".join(f"{value[level][0]}-{value[level][1]}" for level in BAND_NAMES)
    if isinstance(value, list) and all(isinstance(item, Mapping) and "label" in item for item in value):
        return "; ".join(str(item["label"]) for item in value)
    return json.dumps(value, ensure_ascii=False)


def setting_lines(session: Session) -> list[SettingLine]:
    from sqlmodel import select

    from marac_prep.core.models import Setting

    values = current_values(session)
    defaults = _packaged_values()
    help_text = descriptions()
    versions = {name: version for name, version in session.exec(select(Setting.name, Setting.version)).all()}
    return [
        SettingLine(name, values[name], defaults[name], help_text.get(name, ""), SPECS[name].settable,
                    versions.get(name, 0))
        for name in defaults
    ]


def parse_value(name: str, text: str) -> Any:
    """The value typed as `text` for setting `name`, checked; a plain sentence when it is wrong."""
    spec = _spec(name)
    return spec.check(spec.parse(text))


def _spec(name: str) -> SettingSpec:
    spec = SPECS.get(name.strip())
    if spec is None:
        raise ValidationError(f'"{name}" is not a setting; the settings are: {", ".join(SPECS)}.')
    return spec


def set_setting(session: Session, *, actor: User, name: str, value: Any) -> Settings:
    """Changes one setting for this database (coordinators only, audited); returns the settings now
    in force. `value` is the JSON value (see `parse_value` for text); setting the packaged default
    removes the override."""
    return set_settings(session, actor=actor, values={name: value})


SETTING_CONFLICT = (
    'Another coordinator changed "{name}" while you were editing it, so nothing was saved; open '
    "Settings again to see their value, then make your change."
)


def set_settings(
    session: Session, *, actor: User, values: Mapping[str, Any], expected_versions: Mapping[str, int] | None = None
) -> Settings:
    """Changes several settings in one transaction (all or none), one audit event each.

    Each change is one conditional statement on the version (`core.versioning`): from the
    version in `expected_versions` (what the Settings dialog showed, 0 for a packaged default),
    else from the version read in this transaction. When another coordinator saved first, nothing
    is saved and `ConflictError` says so.
    """
    from marac_prep.core import audit
    from marac_prep.core.db import unit_of_work
    from marac_prep.core.models import Setting
    from marac_prep.core.permissions import require
    from marac_prep.core.versioning import delete_versioned, load_current, save_versioned

    checked: dict[str, Any] = {}
    for name, value in values.items():
        spec = _spec(name)
        if not spec.settable:
            spec.parse(str(value))  # says why it cannot be set
        checked[spec.name] = spec.check(value)
    with unit_of_work(session):
        require(actor, "manage_settings")
        before = current_values(session)
        defaults = _packaged_values()
        for name, value in checked.items():
            if value == before[name]:
                continue
            conflict = SETTING_CONFLICT.format(name=name.replace("_", " ").capitalize())
            try:
                row: Setting | None = load_current(session, Setting, name, missing="")
            except NotFound:
                row = None
            seen = (row.version if row is not None else 0) if expected_versions is None else expected_versions.get(
                name, row.version if row is not None else 0)
            if (row.version if row is not None else 0) != seen:
                raise ConflictError(conflict)
            if row is None:
                # A second coordinator inserting the same name at once is refused by the key.
                save_versioned(session, Setting(name=name, value=value, changed_at=datetime.now(UTC),
                                                changed_by_id=actor.id), expected_version=0, conflict=conflict)
            elif value == defaults[name]:
                delete_versioned(session, row, expected_version=seen, conflict=conflict)
            else:
                row.value = value
                row.changed_at = datetime.now(UTC)
                row.changed_by_id = actor.id
                save_versioned(session, row, expected_version=seen, conflict=conflict)
            audit.record(
                session,
                actor=actor,
                action="setting.change",
                object_type="setting",
                details={"name": name, "old": before[name], "new": value},
            )
    return current(session)
