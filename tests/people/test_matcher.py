"""The person matcher: names and dates of birth scored with reasons; the labelled corpus's quality."""

from __future__ import annotations

from datetime import date

import pytest

from marac_prep.core.matching import (
    MatchSettings,
    PersonFacts,
    _digits_swapped,
    compare,
    parse_name,
    query_keys,
    stored_keys,
)
from tests.people.corpus import CORPUS, HOLDOUT, evaluate, load_pairs

THRESHOLD = MatchSettings.from_settings().threshold


def score(a: str, dob_a: date | None, b: str, dob_b: date | None, aliases: tuple[str, ...] = ()) -> float:
    return compare(PersonFacts(a, aliases, dob_a), PersonFacts(b, (), dob_b)).score


def test_reasons_say_why_two_records_may_be_one_person():
    result = compare(
        PersonFacts("Aoife BRENNAN", (), date(1990, 1, 2)), PersonFacts("Eefa Brenan", (), date(1990, 1, 2))
    )
    assert result.score >= THRESHOLD
    assert result.reasons[0] == "same date of birth"
    assert "first name a known variant" in result.reasons
    assert result.describe() == "same date of birth; surname sounds alike; first name a known variant"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Mohammed KHAN", "Muhammad Khan"),
        ("Katherine PRICE", "Catherine Price"),
        ("Łukasz WÓJCIK", "Lukasz Wojcik"),
        ("Şule ŞAHİN", "Sule Sahin"),
        ("Zoë ASHWORTH", "Zoe Ashworth"),
        ("Zofia KOWALSKA", "Zofia Kowalski"),
        ("Jana NOVÁKOVÁ", "Jana Novak"),
        ("Alys PRITCHARD-JONES", "Alys Pritchard"),
        ("Alys JONES née PRITCHARD", "Alys Pritchard"),
        ("YILDIZ Elif", "Elif Yildiz"),
        ("Yildiz Elif", "Elif Yildiz"),
        ("E. YILDIZ", "Elif Yildiz"),
        ("PRITCHARD, Alys", "Alys Pritchard"),
    ],
)
def test_variants_with_the_same_date_of_birth_are_possible_matches(a, b):
    assert score(a, date(1990, 4, 3), b, date(1990, 4, 3)) >= THRESHOLD


def test_a_recorded_alias_carries_a_married_surname():
    assert (
        score("Alys JONES", date(1990, 4, 3), "Alys Pritchard", date(1990, 4, 3), aliases=("Alys PRITCHARD",))
        >= THRESHOLD
    )
    assert score("Alys JONES", date(1990, 4, 3), "Alys Pritchard", date(1990, 4, 3)) < THRESHOLD


def test_dates_of_birth_exact_transposed_one_digit_or_missing():
    exact = score("Gethin LLOYD", date(1985, 4, 5), "Gethin Lloyd", date(1985, 4, 5))
    transposed = score("Gethin LLOYD", date(1985, 4, 5), "Gethin Lloyd", date(1985, 5, 4))
    digit = score("Gethin LLOYD", date(1985, 4, 5), "Gethin Lloyd", date(1985, 4, 6))
    missing = score("Gethin LLOYD", date(1985, 4, 5), "Gethin Lloyd", None)
    other = score("Gethin LLOYD", date(1985, 4, 5), "Gethin Lloyd", date(1971, 9, 30))
    assert exact > transposed > digit > missing >= THRESHOLD > other == 0


def test_two_david_joneses_with_different_dates_of_birth_are_two_people():
    assert score("David JONES", date(1980, 5, 20), "David Jones", date(1982, 7, 1)) == 0
    # A common name needs the same date of birth: nearly the same, or none, is not enough.
    assert score("David JONES", date(1980, 5, 20), "David Jones", date(1980, 5, 21)) < THRESHOLD
    assert score("David JONES", date(1980, 5, 20), "David Jones", None) < THRESHOLD
    assert score("David JONES", date(1980, 5, 20), "David Jones", date(1980, 5, 20)) >= THRESHOLD


def test_twins_and_siblings_are_not_merged():
    assert score("Amy SMITH", date(1990, 5, 20), "Zoe Smith", date(1990, 5, 20)) == 0
    assert score("Daniel O'DONNELL", date(1984, 1, 17), "Danielle O'Donnell", date(1984, 1, 17)) == 0


def test_name_parsing():
    [main, previous] = parse_name("Alys JONES (née PRITCHARD)")
    assert main.given == ("alys",) and main.surname == ("jones",)
    assert previous.surname == ("pritchard",)
    [comma] = parse_name("O'DONNELL, Mary Siobhan")
    assert comma.surname == ("odonnell",) and comma.given == ("mary", "siobhan")
    assert parse_name("Unknown") == ()


@pytest.mark.parametrize("corpus", [CORPUS, HOLDOUT], ids=["corpus", "holdout"])
def test_blocking_keys_find_every_variant_the_matcher_accepts(corpus):
    """A pair the matcher accepts must share a blocking key, or the database would never offer it."""
    for pair in load_pairs(corpus):
        if not pair.same:
            continue
        stored = stored_keys([pair.b.name, *pair.b.aliases], pair.b.date_of_birth)
        looked_up = query_keys([pair.a.name, *pair.a.aliases], pair.a.date_of_birth)
        if compare(pair.a, pair.b).score >= THRESHOLD:
            assert stored & looked_up, (pair.a.name, pair.b.name)


def test_labelled_corpus_precision_and_recall():
    pairs = load_pairs()
    quality = evaluate(pairs)
    assert len(pairs) >= 200
    assert sum(p.same for p in pairs) >= 80 and sum(not p.same for p in pairs) >= 80
    assert quality.precision >= 0.98, [(p.a.name, p.b.name, s) for p, s in quality.false_matches]
    assert quality.recall >= 0.90, [(p.a.name, p.b.name, s) for p, s in quality.misses]


def test_held_out_corpus_precision_and_recall():
    """Pairs written without reading the matcher's lists: short forms (Becky / Rebecca, Jon /
    Jonathan), hyphenated first names used in part (Lucy-Anne / Lucy), swapped digits in a year of
    birth (1989 / 1998), transliterations, and hard non-matches (twins' names, common names)."""
    pairs = load_pairs(HOLDOUT)
    quality = evaluate(pairs)
    assert len(pairs) >= 70
    assert quality.precision >= 0.98, [(p.a.name, p.b.name, s) for p, s in quality.false_matches]
    assert quality.recall >= 0.90, [(p.a.name, p.b.name, s) for p, s in quality.misses]


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("19891117", "19981117", True),  # the year's digits swapped
        ("19900112", "19900121", True),  # the day's
        ("19900110", "19900101", True),
        ("19900110", "19901001", False),  # month and day crossed: another date
        ("19900110", "19900110", False),  # the same date is not a slip
        ("19891117", "19871119", False),  # two digits swapped that are not neighbours
    ],
)
def test_swapped_digits_only_within_the_year_or_the_day(a, b, same):
    assert _digits_swapped(a, b) is same


def test_a_hyphenated_first_name_matches_its_first_part_and_says_so():
    result = compare(
        PersonFacts("Lucy-Anne BELL", (), date(1994, 10, 25)), PersonFacts("Lucy Bell", (), date(1994, 10, 25))
    )
    assert result.score >= THRESHOLD
    assert any("hyphenated first name" in r for r in result.reasons)
    # ...but not another name that merely shares the surname and date of birth (a twin).
    assert score("Lucy-Anne BELL", date(1994, 10, 25), "Tom Bell", date(1994, 10, 25)) < THRESHOLD


def test_short_forms_from_the_nicknames_dataset_but_not_sisters_names():
    born = date(1989, 6, 12)
    assert score("Rebecca HOWELLS", born, "Becky Howells", born) >= THRESHOLD
    assert score("Jonathan REID", born, "Jon Reid", born) >= THRESHOLD
    # Listed as nicknames in the dataset, yet full names in their own right: twins' names.
    assert score("Hannah WILLIAMS", born, "Anna Williams", born) < THRESHOLD
    assert score("Emily TAYLOR", born, "Emma Taylor", born) < THRESHOLD
