"""`marac-prep people find NAME [--dob DATE] [--json]`."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest

from marac_prep.cli import build_parser
from marac_prep.commands.context import CommandContext
from marac_prep.core.errors import ValidationError


def _run(db, *argv: str) -> str:
    out = io.StringIO()
    args = build_parser().parse_args(list(argv))
    assert args.handler(CommandContext(out=out, _database=db), args) == 0
    return out.getvalue()


def test_people_find_by_variant_name_and_date_of_birth(db, ws, session):
    earlier = ws.case(
        ws.meeting(days_ahead=-100), victim="Małgorzata WÓJCIK", victim_dob=date(1983, 11, 30), referral_days_ago=110
    )
    ws.case(victim="David JONES", victim_dob=date(1980, 5, 20))
    session.commit()
    text = _run(db, "people", "find", "Gosia Wojcik", "--dob", "30/11/1983")
    assert earlier.reference in text and "Małgorzata WÓJCIK" in text and "first name a known variant" in text
    assert "JONES" not in text
    [hit] = json.loads(_run(db, "people", "find", "Malgorzata Wojcik", "--json"))
    assert hit["case"] == earlier.reference and hit["date_of_birth"] == "1983-11-30" and hit["role"] == "victim"
    assert json.loads(_run(db, "people", "find", "David Jones", "--dob", "1979-01-01", "--json")) == []
    assert "Nobody found" in _run(db, "people", "find", "Zebedee QUIXOTE")
    with pytest.raises(ValidationError):
        _run(db, "people", "find", "")
