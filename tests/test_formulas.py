"""The one formula guard (core.formulas) used by every CSV and XLSX writer, the audit export included."""

from __future__ import annotations

import pytest

from marac_prep.core.formulas import FORMULA_TRIGGERS, guard_formula, unguard_formula


@pytest.mark.parametrize("start", FORMULA_TRIGGERS)
def test_text_a_spreadsheet_would_run_is_guarded_and_reads_back(start):
    text = f"{start}HYPERLINK(\"http://example.invalid\")"
    assert guard_formula(text) == "'" + text
    assert unguard_formula(guard_formula(text)) == text


@pytest.mark.parametrize(("value", "written"), [("Police attended", "Police attended"), (None, ""), (42, "42"),
                                                (-3, "'-3"), ("'quoted", "'quoted"), ("", "")])
def test_other_values_are_written_as_they_are(value, written):
    assert guard_formula(value) == written


def test_unguard_leaves_an_apostrophe_the_author_typed():
    assert unguard_formula("'tis the season") == "'tis the season"
    assert unguard_formula("'") == "'"
