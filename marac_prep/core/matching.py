"""Whether two person records may be the same person: a score with the reasons for it (no database, no Qt).

Names are folded (accents, case, apostrophes), split into given names and surnames, and compared
part by part: the same spelling, a known variant of a first name (resources/name_variants.json),
a gendered or married surname form, one part of a double-barrelled surname, names that sound alike
(NYSIIS and Metaphone keys from jellyfish) or are spelled alike (Jaro-Winkler from RapidFuzz),
initials, and first and last names swapped. Dates of birth are compared as exact, with day and
month transposed, one digit off or missing; two known dates that differ otherwise mean two people,
however alike the names. A match is only ever *possible* here: a coordinator decides
(`marac_prep.core.people`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from typing import Any

import jellyfish
from nicknames import NickNamer
from rapidfuzz.distance import JaroWinkler, Levenshtein

from marac_prep.resources import load_json

# Letters that Unicode does not decompose into a base letter and an accent.
_FOLD = str.maketrans(
    {
        "ł": "l",
        "Ł": "l",
        "ø": "o",
        "Ø": "o",
        "đ": "d",
        "Đ": "d",
        "ß": "ss",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ı": "i",
        "þ": "th",
        "ð": "d",
        "’": "",
        "'": "",
        "`": "",
        "‘": "",
    }
)
_PREVIOUS = re.compile(
    r"\(?\b(?:née|nee|formerly|previously|aka|a\.k\.a\.|also known as|known as|maiden name)\b:?\s*", re.I
)
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)
_UNKNOWN = frozenset({"unknown", "not", "known", "nk", "n/k", "na", "tbc"})


def fold(text: str) -> str:
    """Lower case without accents: "Łukasz" -> "lukasz", "Şule" -> "sule", "O'Donnell" -> "odonnell"."""
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class NameParts:
    """A written name split into given names and surname parts, folded.

    Attributes:
        given: given names in order ("" parts dropped); initials are one letter.
        surname: the surname's parts (a hyphenated or double-barrelled surname has several).
        written: the name as recorded, for reasons shown to users.
    """

    given: tuple[str, ...]
    surname: tuple[str, ...]
    written: str

    @property
    def surname_joined(self) -> str:
        return "".join(self.surname)


def _tokens(text: str) -> list[tuple[str, bool]]:
    """Words of a name, each with whether it was written in capitals (the SURNAME convention)."""
    out = []
    for word in _WORD.findall(text):
        letters = [c for c in word if c.isalpha()]
        out.append((word, len(letters) > 1 and all(c.isupper() for c in letters)))
    return out


@lru_cache(maxsize=65536)
def parse_name(text: str) -> tuple[NameParts, ...]:
    """Every reading of a written name: the name itself, plus one per previous surname given in it
    ("Alys JONES née PRITCHARD" also reads as "Alys PRITCHARD")."""
    pieces = [p.strip(" ()[],;") for p in _PREVIOUS.split(text) if p.strip(" ()[],;")]
    if not pieces:
        return ()
    main = _split(pieces[0])
    if main is None:
        return ()
    found = [main]
    for extra in pieces[1:]:
        other = _split(extra)
        if other is None:
            continue
        if not other.given:  # "née PRITCHARD": the previous surname with the same given names
            found.append(NameParts(main.given, other.surname, f"{' '.join(main.given)} {extra}".strip()))
        else:
            found.append(other)
    return tuple(found)


_APOSTROPHES = str.maketrans({"'": "", "’": "", "‘": "", "`": ""})


def _split(written: str) -> NameParts | None:
    text = written.translate(_APOSTROPHES)  # O'DONNELL is one word
    if "," in text:  # "SURNAME, Given Names"
        family, _, rest = text.partition(",")
        surname_words = [w for w, _caps in _tokens(family)]
        given_words = [w for w, _caps in _tokens(rest)]
    else:
        words = _tokens(text)
        capitals = [w for w, caps in words if caps]
        if capitals and len(capitals) < len(words):
            surname_words = capitals
            given_words = [w for w, caps in words if not caps]
        else:
            surname_words = [w for w, _caps in words[-1:]]
            given_words = [w for w, _caps in words[:-1]]
    surname = tuple(p for w in surname_words for p in fold(w).split("-") if p and p not in _UNKNOWN)
    # A hyphenated given name is one name (Lee-Ann) whose first part may be used alone (Lucy-Anne /
    # Lucy): it keeps its hyphen here and `_compare_first` reads both; a hyphenated surname is two
    # names (PRITCHARD-JONES).
    given = tuple(p for w in given_words for p in [fold(w).strip("-")] if p and p not in _UNKNOWN)
    if not surname and not given:
        return None
    if not surname and len(given) == 1:
        return NameParts((), given, written)
    return NameParts(given, surname, written)


# --- reference data ---------------------------------------------------------------------------


@cache
def _variants() -> dict[str, Any]:
    data = load_json("name_variants.json")
    groups: dict[str, set[int]] = {}
    for index, group in enumerate(data["first_names"]):
        for name in group:
            groups.setdefault(fold(name).replace("-", ""), set()).add(index)
    return {
        "groups": {k: frozenset(v) for k, v in groups.items()},
        "gendered": [(fold(f), fold(m)) for f, m in data["gendered_surnames"]],
        "common_surnames": frozenset(fold(n) for n in data["common_surnames"]),
        "common_first_names": frozenset(fold(n) for n in data["common_first_names"]),
        "distinct": frozenset(frozenset(fold(n) for n in pair) for pair in data["distinct_first_names"]),
    }


def first_name_variants(a: str, b: str) -> bool:
    """Whether two folded first names are listed as forms of one name (Mohammed / Muhammad)."""
    groups: dict[str, frozenset[int]] = _variants()["groups"]
    return bool(groups.get(a, frozenset()) & groups.get(b, frozenset()))


@cache
def _nicknamer() -> NickNamer:
    return NickNamer()


@lru_cache(maxsize=65536)
def known_short_form(a: str, b: str) -> bool:
    """Whether one folded first name is a recorded nickname or short form of the other (Becky /
    Rebecca, Jon / Jonathan, Mick / Michael), from the maintained `nicknames` dataset (about 2,700
    English name pairs). Our own list (`first_name_variants`) covers other cultures' spellings."""
    names = _nicknamer()
    return _short_form_of(names, a, b) or _short_form_of(names, b, a)


def _short_form_of(names: NickNamer, full: str, short: str) -> bool:
    # The dataset lists Anna under Hannah and Emma under Emily, but those are also sisters' names:
    # a short form that is itself a full name with short forms counts only when it is the full
    # name's beginning (Jon / Jonathan, Chris / Christopher).
    if short not in names.nicknames_of(full):
        return False
    return not names.nicknames_of(short) or (len(short) >= 3 and full.startswith(short))


def _joined(given: str) -> str:
    """A given name as one word: "lucy-anne" -> "lucyanne"."""
    return given.replace("-", "")


@lru_cache(maxsize=65536)
def gendered_forms(a: str, b: str) -> bool:
    """Whether two folded surnames are the female and male (or married) forms of one name:
    Kowalska / Kowalski, Nováková / Novák, Kazlauskienė / Kazlauskas."""
    if a == b:
        return False
    for female, male in _variants()["gendered"]:
        for x, y in ((a, b), (b, a)):
            if x.endswith(female) and (y.endswith(male) or not male):
                stem_x = x[: len(x) - len(female)]
                stem_y = y[: len(y) - len(male)] if male else y
                if stem_x == stem_y and len(stem_x) >= 4:
                    return True
    return False


def is_common(parts: NameParts) -> bool:
    """A name so frequent (David JONES) that only an exact date of birth may join two records."""
    v = _variants()
    if not parts.given:
        return False
    return _joined(parts.given[0]) in v["common_first_names"] and parts.surname_joined in v["common_surnames"]


@lru_cache(maxsize=65536)
def sound_keys(word: str) -> frozenset[str]:
    """Phonetic keys of one folded word (NYSIIS and Metaphone)."""
    if not word:
        return frozenset()
    return frozenset({jellyfish.nysiis(word), jellyfish.metaphone(word)}) - {""}


_SHORT = 5  # names shorter than this are too alike by chance (HALL / HILL) to match on sound or spelling


def _sounds_alike(a: str, b: str) -> bool:
    """Both phonetic keys agree, or one does and the spellings are close."""
    if min(len(a), len(b)) < _SHORT or a[0] != b[0]:
        return False
    nysiis, metaphone = jellyfish.nysiis(a) == jellyfish.nysiis(b), jellyfish.metaphone(a) == jellyfish.metaphone(b)
    similarity = JaroWinkler.similarity(a, b)
    return bool((nysiis and metaphone and similarity >= 0.86) or ((nysiis or metaphone) and similarity >= 0.9))


def _spelled_alike(a: str, b: str) -> bool:
    """One typing slip apart (a letter added, dropped, changed or two swapped) in a name long enough
    for that to be a slip rather than another name."""
    if min(len(a), len(b)) < _SHORT:
        return False
    return Levenshtein.distance(a, b) <= 1 or (len(a) == len(b) and _transposition(a, b))


def _transposition(a: str, b: str) -> bool:
    diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]


# --- comparing parts --------------------------------------------------------------------------


@dataclass(frozen=True)
class PartMatch:
    score: float
    reason: str


_NO = PartMatch(0.0, "")


@lru_cache(maxsize=65536)
def compare_surnames(a: tuple[str, ...], b: tuple[str, ...]) -> PartMatch:
    """How alike two surnames are (each as its folded parts)."""
    if not a or not b:
        return _NO
    ja, jb = "".join(a), "".join(b)
    if ja == jb:
        return PartMatch(1.0, "same surname")
    if _mc(ja) == _mc(jb):
        return PartMatch(0.97, "same surname (Mc / Mac)")
    if gendered_forms(ja, jb):
        return PartMatch(0.95, "surname a gendered form of the same name")
    if len(a) > 1 or len(b) > 1:
        common = set(a) & set(b)
        if common and all(len(p) >= 3 for p in common):
            return PartMatch(0.9, "one part of a double-barrelled surname")
        if any(gendered_forms(x, y) for x in a for y in b):
            return PartMatch(0.85, "part of a double-barrelled surname in a gendered form")
    if _sounds_alike(ja, jb):
        return PartMatch(0.9, "surname sounds alike")
    if _spelled_alike(ja, jb):
        return PartMatch(0.88, "surname spelled alike")
    return _NO


def _mc(name: str) -> str:
    return "mc" + name[3:] if name.startswith("mac") and len(name) > 5 else name


@lru_cache(maxsize=65536)
def compare_given(a: tuple[str, ...], b: tuple[str, ...]) -> PartMatch:
    """How alike two sets of given names are, judged on the first given names (then middle names)."""
    if not a or not b:
        return PartMatch(0.5, "first name not recorded on one record")
    best = _compare_first(a[0], b[0])
    if best.score >= 0.9:
        return best
    # Known by a middle name on one record: "Mary Siobhan KELLY" / "Siobhan KELLY".
    for x in a[1:]:
        alt = _compare_first(x, b[0])
        if alt.score >= 0.9:
            return PartMatch(0.8, "first name matches a middle name")
    for y in b[1:]:
        alt = _compare_first(a[0], y)
        if alt.score >= 0.9:
            return PartMatch(0.8, "first name matches a middle name")
    return best


def _compare_first(a: str, b: str) -> PartMatch:
    found = _compare_whole_first(_joined(a), _joined(b))
    if found.score or ("-" not in a and "-" not in b):
        return found
    # "Lucy-Anne" is also known as "Lucy": compare the hyphenated name's first part alone.
    first_a, first_b = a.split("-")[0], b.split("-")[0]
    if (first_a, first_b) == (a, b):
        return found
    part = _compare_whole_first(first_a, first_b)
    if not part.score:
        return _NO
    return PartMatch(0.9 * part.score, f"{part.reason} (the first part of a hyphenated first name)")


def _compare_whole_first(a: str, b: str) -> PartMatch:
    if a == b:
        return PartMatch(1.0, "same first name")
    if len(a) == 1 or len(b) == 1:
        return PartMatch(0.75, "first initial matches") if a[0] == b[0] else _NO
    if frozenset((a, b)) in _variants()["distinct"]:
        return _NO  # alike on paper, different names (Daniel / Danielle)
    if first_name_variants(a, b):
        return PartMatch(0.95, "first name a known variant")
    if known_short_form(a, b):
        return PartMatch(0.9, "first name a known short form")
    if _sounds_alike(a, b):
        return PartMatch(0.9, "first name sounds alike")
    if _spelled_alike(a, b):
        return PartMatch(0.88, "first name spelled alike")
    return _NO


# --- dates of birth ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BirthMatch:
    """How two dates of birth agree: `factor` multiplies the name score; 0 means two people."""

    factor: float
    reason: str
    exact: bool = False


def compare_births(a: date | None, b: date | None) -> BirthMatch:
    if a is None or b is None:
        return BirthMatch(0.85, "no date of birth on one record")
    if a == b:
        return BirthMatch(1.0, "same date of birth", exact=True)
    if a.year == b.year and a.day == b.month and a.month == b.day:
        return BirthMatch(0.9, "date of birth with day and month transposed")
    da, db = a.strftime("%Y%m%d"), b.strftime("%Y%m%d")
    # One slipped digit, or two neighbouring digits swapped (1989 / 1998, 12 / 21);
    # in the year only within a decade (1975 / 1955 is a father and son).
    if abs(a.year - b.year) <= 10:
        if sum(x != y for x, y in zip(da, db, strict=True)) == 1:
            return BirthMatch(0.88, "date of birth one digit different")
        if _digits_swapped(da, db):
            return BirthMatch(0.88, "date of birth with two digits swapped")
    return BirthMatch(0.0, "different dates of birth")


# --- whole records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonFacts:
    """What the matcher reads of a person record: its name, recorded aliases and date of birth."""

    name: str
    aliases: tuple[str, ...] = ()
    date_of_birth: date | None = None

    @classmethod
    def of(cls, person: Any) -> PersonFacts:
        """From a `Person` (or anything with name, aliases and date_of_birth)."""
        return cls(person.name, tuple(person.aliases or ()), person.date_of_birth)

    def readings(self) -> list[tuple[NameParts, str]]:
        """Each reading of each recorded name, with how it was found ("" for the name itself)."""
        out: list[tuple[NameParts, str]] = []
        for index, written in enumerate([self.name, *self.aliases]):
            for n, parts in enumerate(parse_name(written)):
                how = "" if index == 0 and n == 0 else ("a previous surname" if index == 0 else "a recorded alias")
                out.append((parts, how))
        return out


@dataclass(frozen=True)
class MatchResult:
    """The matcher's verdict on two records.

    Attributes:
        score: 0..1; at or above the threshold setting the pair is a possible match.
        reasons: what agrees (or disagrees), in plain words, most telling first.
    """

    score: float
    reasons: tuple[str, ...]

    def describe(self) -> str:
        return "; ".join(self.reasons)


@dataclass(frozen=True)
class MatchSettings:
    """Thresholds (local practice), from `resources/settings.json`.

    Attributes:
        threshold: score at or above which two records are shown as a possible match.
    """

    threshold: float = 0.8

    @classmethod
    def from_settings(cls, values: Any = None) -> MatchSettings:
        """From the settings in force (a `core.settings.Settings`; the packaged defaults when None)."""
        from marac_prep.core.settings import packaged

        return cls(threshold=float((values or packaged()).person_match_threshold))


_SWAPPED = 0.95
_COMMON_CAP = 0.6


def _name_score(a: NameParts, b: NameParts) -> PartMatch:
    surname = compare_surnames(a.surname, b.surname)
    given = compare_given(a.given, b.given)
    if surname.score == 0 or given.score == 0:
        return _NO
    return PartMatch(0.55 * surname.score + 0.45 * given.score, f"{surname.reason}; {given.reason}")


def _swapped(parts: NameParts) -> NameParts | None:
    if not parts.given:
        return None
    return NameParts(parts.surname, tuple(_joined(g) for g in parts.given), parts.written)


def compare(a: PersonFacts, b: PersonFacts) -> MatchResult:
    """Scores two person records, with the reasons."""
    birth = compare_births(a.date_of_birth, b.date_of_birth)
    if birth.factor == 0:
        return MatchResult(0.0, (birth.reason,))
    best = _NO
    best_pair: tuple[NameParts, NameParts] | None = None
    for pa, how_a in a.readings():
        for pb, how_b in b.readings():
            found = _name_score(pa, pb)
            how = " and ".join(dict.fromkeys(h for h in (how_a, how_b) if h))
            if how:
                found = PartMatch(found.score * 0.97, f"{found.reason}; through {how}")
            swapped = _swapped(pb)
            if swapped is not None:
                flipped = _name_score(pa, swapped)
                if flipped.score * _SWAPPED > found.score:
                    found = PartMatch(flipped.score * _SWAPPED, f"{flipped.reason}; first and last names swapped")
            if found.score > best.score:
                best, best_pair = found, (pa, pb)
    if best.score == 0 or best_pair is None:
        return MatchResult(0.0, ("names differ",))
    score = best.score * birth.factor
    reasons = [birth.reason, *best.reason.split("; ")]
    if not birth.exact and (is_common(best_pair[0]) or is_common(best_pair[1])):
        score = min(score, _COMMON_CAP)
        reasons.append("a common name: only the same date of birth joins two records")
    return MatchResult(round(score, 3), tuple(dict.fromkeys(reasons)))


# --- blocking keys ----------------------------------------------------------------------------


# Where two swapped digits are a typing slip within one field of YYYYMMDD: the year's last two
# digits, the day's (a swap across fields is a different date, not a slip).
# Not the month: 01 / 10 turns January into October, and the corpus holds such records apart.
_SWAPPABLE = (2, 6)


def _digits_swapped(a: str, b: str) -> bool:
    """Whether YYYYMMDD strings differ only by the two digits at a swappable place, swapped."""
    for i in _SWAPPABLE:
        pair_a, pair_b = a[i : i + 2], b[i : i + 2]
        if a[:i] == b[:i] and a[i + 2 :] == b[i + 2 :] and pair_a != pair_b and pair_a == pair_b[::-1]:
            return True
    return False


def birth_slips(day: date) -> set[str]:
    """Codes two dates of birth share exactly when `compare_births` could read one as a slip of
    the other: the date itself, the date with one digit masked (year digits only within a
    decade), the day and month in order (transposed), and the date with the year's or the day's two
    digits in order (1989 / 1998). Symmetric: stored and looked up alike."""
    digits = day.strftime("%Y%m%d")
    codes = {day.isoformat(), f"t{day.year}-{min(day.day, day.month)}-{max(day.day, day.month)}"}
    codes |= {f"m{digits[:i]}_{digits[i + 1 :]}" for i in range(2, len(digits))}
    # Two neighbouring digits swapped: both dates give the pair in sorted order at that place.
    codes |= {f"s{i}{digits[:i]}{''.join(sorted(digits[i : i + 2]))}{digits[i + 2 :]}" for i in _SWAPPABLE}
    return codes


@lru_cache(maxsize=65536)
def _word_sounds(word: str) -> frozenset[str]:
    """Sound codes of one folded name word (and of its other gendered form), and its first letters
    (a slip late in the word keeps them)."""
    codes = set(sound_keys(word))
    codes.add(word[:4])
    for female, male in _variants()["gendered"]:
        for end, other in ((female, male), (male, female)):
            if end and word.endswith(end) and len(word) - len(end) >= 4:
                codes |= sound_keys(word[: len(word) - len(end)] + other)
    return frozenset(codes)


def _sounds(names: Iterable[str], *, every_word: bool) -> set[str]:
    codes: set[str] = set()
    for written in names:
        for parts in parse_name(written):
            given = tuple(_joined(g) for g in parts.given) if every_word else ()
            words = (*parts.surname, parts.surname_joined, *given)
            for word in words:
                if len(word) > 1:
                    codes |= _word_sounds(word)
    return codes


def stored_keys(names: Iterable[str], date_of_birth: date | None) -> set[str]:
    """The blocking keys indexed for a person.

    With a date of birth: "d:<date>" (a search by date of birth), "n:<sound>" per surname sound
    (a lookup of someone whose date of birth is not known) and "x:<date slip>|<sound>" for each
    pair (a lookup with a date of birth: only people born on a near date AND with a name that
    sounds alike come back, never everyone born nearby). Without one: "u:<sound>".
    """
    sounds = _sounds(names, every_word=False)
    if date_of_birth is None:
        return {f"u:{s}" for s in sounds}
    keys = {f"d:{date_of_birth.isoformat()}"} | {f"n:{s}" for s in sounds}
    keys |= {f"x:{b}|{s}" for b in birth_slips(date_of_birth) for s in sounds}
    return keys


def query_keys(names: Iterable[str], date_of_birth: date | None) -> set[str]:
    """The keys to look a person up by (see `stored_keys`). Every name word is sounded, not only
    the surname: a given name may be another record's surname when the two were swapped."""
    sounds = _sounds(names, every_word=True)
    keys = {f"u:{s}" for s in sounds}  # records without a date of birth
    if date_of_birth is None:
        return keys | {f"n:{s}" for s in sounds}
    return keys | {f"x:{b}|{s}" for b in birth_slips(date_of_birth) for s in sounds}
