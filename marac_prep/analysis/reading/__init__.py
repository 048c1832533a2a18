"""Reads what agencies write: Dash risk indicators, events and victim-blaming language in an entry's
summary and detail, with negation, hypotheticals, other people and reported speech taken into account."""

from marac_prep.analysis.reading.patterns import rules_version
from marac_prep.analysis.reading.reader import Found, read_entry, read_text

__all__ = ["Found", "read_entry", "read_text", "rules_version"]
