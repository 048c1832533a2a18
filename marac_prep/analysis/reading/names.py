"""The case's names, applied when signals are used, not when text is read.

The reader cannot know that "went back to Darren" names the perpetrator while "went back to Bethan"
names her sister: it reads each text once, without the case, and its signals are stored per entry
version and rules version (`store.py`). A name-dependent reading would have to be stored per case's
names too, and read again whenever a person is renamed, given an alias or merged. So the reader
flags a person-shaped name (not a known place, not someone's house, not a title), and the case's
names decide here, at analysis time, whether that name is the perpetrator's (docs/decisions/0023).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from marac_prep.core.models import Person

# Signals whose words may name the person she went back to, or let back ("allowed Darren back").
NAMED_PERSON_CODES = frozenset({"choice_to_stay"})


@cache
def _not_names() -> frozenset[str]:
    from marac_prep.analysis.reading.patterns import lexicon

    return frozenset(w.casefold() for w in lexicon()["not_names"])


def case_names(people: Iterable[Person]) -> tuple[frozenset[str], frozenset[str]]:
    """(the perpetrators' name words, everyone else's) of a case's people, names and aliases."""
    people = list(people)
    perpetrators = name_words(n for p in people if p.role == "perpetrator" for n in [p.name, *p.aliases])
    others = name_words(n for p in people if p.role != "perpetrator" for n in [p.name, *p.aliases])
    return perpetrators, others - perpetrators


def name_words(names: Iterable[str]) -> frozenset[str]:
    """Every word of some names and aliases, case-folded ("Darren JONES" → darren, jones)."""
    return frozenset(
        word.casefold().strip(".,'’\"()")
        for name in names
        for word in name.replace("-", " ").split()
        if word.strip(".,'’\"()")
    )


def names_in(words: str) -> list[str]:
    """The person-shaped words of a signal's quoted words, after its first (which is capitalised
    at the start of a sentence): "went back to Darren" → ["darren"]; "went back to him" → []."""
    found = []
    for word in words.split()[1:]:
        word = word.strip(".,;:!?'’\"()")
        if word[:1].isupper() and word[1:].islower() and word.casefold() not in _not_names():
            found.append(word.casefold())
    return found


def about_someone_else(code: str, words: str, perpetrator_names: frozenset[str], other_names: frozenset[str]) -> bool:
    """True when a signal's (its `code`, its quoted `words`) named person is someone other than a
    perpetrator of the case.

    `perpetrator_names` / `other_names`: `name_words` of the case's perpetrators and of everyone
    else in it (victim, children, others). A name the case does not know is someone else when the
    case names its perpetrators (she went back to Bethan, not to Darren); with no perpetrator named,
    the reader's reading stands.
    """
    if code not in NAMED_PERSON_CODES:
        return False
    named = names_in(words)
    if not named:
        return False  # "went back to him", "allowed her partner back": no name to check
    if any(n in perpetrator_names for n in named):
        return False
    return bool(perpetrator_names) or any(n in other_names for n in named)
