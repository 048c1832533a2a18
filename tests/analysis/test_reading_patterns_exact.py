"""The pattern language's compiler compared whole (mutation testing, docs/quality.md): the inflections
`forms` gives, a number that may be left out, and a single word the tokenizer splits."""

from __future__ import annotations

import pytest

from marac_prep.analysis.reading.patterns import compile_pattern, forms, signal_groups
from marac_prep.resources import load_json


@pytest.fixture(scope="module")
def tokenizer():
    import spacy

    return spacy.blank("en").tokenizer


def test_forms_inflect_a_word_by_its_ending():
    # The rules over-generate ("grabes", "threates"): harmless, no text holds them.
    assert forms("Choke") == {"choke", "chokes", "choked", "choking"}
    assert forms("bully") == {"bully", "bullies", "bullied", "bullying"}
    assert forms("grab") == {"grab", "grabs", "grabes", "grabed", "grabing", "grabbed", "grabbing"}
    assert forms("rob") == {"rob", "robs", "robes", "robed", "robing", "robbed", "robbing"}  # not in the lexicon
    # Only short words double their last letter: "threat" is not "threatted".
    assert forms("threat") == {"threat", "threats", "threates", "threated", "threating"}


def test_short_and_non_alphabetic_words_are_taken_as_written():
    assert forms("go") == {"go"}
    assert forms("n't") == {"n't", "n\u2019t"}


def test_a_number_may_be_optional(tokenizer):
    assert compile_pattern("%num? =times", tokenizer=tokenizer) == (
        {"LIKE_NUM": True, "OP": "?"}, {"LOWER": {"IN": ["times"]}})


def test_a_single_word_the_tokenizer_splits_becomes_its_tokens(tokenizer):
    assert compile_pattern("=couldn't =breathe", tokenizer=tokenizer) == (
        {"LOWER": {"IN": ["could"]}}, {"LOWER": {"IN": ["n't", "n\u2019t"]}}, {"LOWER": {"IN": ["breathe"]}})


def test_the_language_rules_carry_their_reason_to_the_user(tokenizer):
    """A victim-blaming signal's "why" is what the language highlighter and the findings show."""
    whys = {g.code: g.why for g in signal_groups(tokenizer=tokenizer) if g.kind == "victim_blaming"}
    assert whys == {g["code"]: g["why"] for g in load_json("reading/victim_blaming.json")["signals"]}
    assert all(whys.values())
