"""The one redactor (core.redaction) used by the pack and every export."""

from __future__ import annotations

import pytest

from marac_prep.core.models import Address, Person
from marac_prep.core.redaction import ADDRESS_WITHHELD, PHONE_WITHHELD, Redactor, address_pieces

A, P = ADDRESS_WITHHELD, PHONE_WITHHELD
REFUGE = "Flat 2, 14 Refuge Road, Northmoor, NM4 7QT"


def test_pieces_are_the_whole_address_its_leading_lines_and_identifying_lines():
    assert address_pieces(REFUGE) == [
        "Flat 2, 14 Refuge Road, Northmoor, NM4 7QT",
        "Flat 2, 14 Refuge Road",
        "Flat 2, 14 Refuge Road, Northmoor",
        "Flat 2",
        "14 Refuge Road",
        "NM4 7QT",
    ]
    assert address_pieces("   ") == []
    assert address_pieces("Northmoor") == ["Northmoor"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Moved to Flat 2, 14 Refuge Road.", f"Moved to {A}."),
        ("moved to flat 2 14 REFUGE road, northmoor nm4 7qt", f"moved to {A}"),
        ("Lives at 14 Refuge Road now", f"Lives at {A} now"),
        ("Postcode NM4 7QT", f"Postcode {A}"),
        ("Seen in Northmoor town centre", "Seen in Northmoor town centre"),
        ("Called 07700 900123", f"Called {P}"),
        ("Called +44 (0)7700-900-123!", f"Called {P}!"),
        ("Called +447700900123", f"Called {P}"),
        ("Reference 077009001234 is not the number", "Reference 077009001234 is not the number"),
        ("Ref 0770090", "Ref 0770090"),
        ("Flat 23 is elsewhere", "Flat 23 is elsewhere"),
    ],
)
def test_confidential_details_are_replaced_however_typed(text, expected):
    redact = Redactor(addresses=[REFUGE], phones=["07700 900123"])
    assert redact(text) == expected


def test_for_case_uses_only_confidential_addresses_and_every_phone():
    addresses = [
        Address(case_id=1, person_id=1, text=REFUGE, confidential=True),
        Address(case_id=1, person_id=2, text="9 Open Street, Northmoor", confidential=False),
    ]
    people = [Person(case_id=1, role="victim", name="Seren HUGHES", phone="01632 960001"), Person(case_id=1, role="child", name="Ffion HUGHES")]
    redact = Redactor.for_case(addresses, people)
    assert redact("From 9 Open Street to 14 Refuge Road; 01632 960001") == f"From 9 Open Street to {A}; {P}"


def test_short_numbers_are_not_phone_numbers():
    assert Redactor(addresses=[], phones=["999", ""]).patterns == []


@pytest.mark.parametrize(
    ("address", "pieces"),
    [
        # A first line alone is not a piece unless it has a number or is long.
        ("The Lodge, Farm Road, Northmoor", ["The Lodge, Farm Road, Northmoor", "The Lodge, Farm Road"]),
        # Leading lines of exactly 8 characters count; a 14-character line counts on its own.
        ("Ab, Cd e, Town", ["Ab, Cd e, Town", "Ab, Cd e"]),
        ("Fourteen Chars, Town", ["Fourteen Chars, Town", "Fourteen Chars"]),
        ("Thirteen Char, Town", ["Thirteen Char, Town"]),
    ],
)
def test_which_pieces_of_an_address_are_confidential_on_their_own(address, pieces):
    assert address_pieces(address) == pieces


@pytest.mark.parametrize(
    ("phone", "text", "expected"),
    [
        ("+44 161 496 000", "ring 0161 496 000 now", f"ring {P} now"),  # stored with +44, typed with 0
        ("+44 7700 900123", "ring 07700 900123", f"ring {P}"),
        ("44 1234 5678", "call 012345678", "call 012345678"),  # ten digits from 44 are not +44
        ("44 1234 5678", "call 4412345678", f"call {P}"),
        ("7700 900123", "ring 7700 900123", f"ring {P}"),  # no leading 0: the digits as they are
        ("7700 900123", "ring 07700 900123", "ring 07700 900123"),
        ("12 34 56", "code 123456", f"code {P}"),  # six digits are enough
        ("12 34 5", "code 12345", "code 12345"),
    ],
)
def test_phone_numbers_match_as_stored_and_as_typed(phone, text, expected):
    assert Redactor(addresses=[], phones=[phone])(text) == expected
