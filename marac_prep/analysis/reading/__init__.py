"""Reads what agencies write: Dash risk indicators, events and victim-blaming language in an entry's
summary and detail, with negation, hypotheticals, other people and reported speech taken into account."""

from marac_prep.analysis.reading.patterns import rules_version
from marac_prep.analysis.reading.reader import Found, read_entry, read_text
from marac_prep.analysis.reading.store import attach_signals, read_and_store

__all__ = ["Found", "attach_signals", "read_and_store", "read_entry", "read_text", "rules_version"]
