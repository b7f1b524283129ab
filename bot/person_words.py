"""Russian by the person: a name in the case a phrase needs, a verb in the person's gender.

Names are declined by pytrovich (the Petrovich rules, maintained; "Ольга" → "Ольги",
"Алиса Кураторова" → "Алисы Кураторовой"), and the gender comes from the patronymic when there
is one, else from the first and last name. A name the rules do not know (a nickname, Latin
letters) stays as written and its gender unknown: the texts then say it without a gendered
verb ("Кто отправил: …"), never "отправил(а)".
"""

from __future__ import annotations

import re
from enum import Enum
from functools import cache
from typing import Any

_CYRILLIC_WORD = re.compile(r"^[А-ЯЁа-яё][А-ЯЁа-яё-]*$")


class Gender(Enum):
    FEMALE = "f"
    MALE = "m"


class Case(Enum):
    GENITIVE = "GENITIVE"  # для кого: "для Ольги"
    DATIVE = "DATIVE"  # кому: "Ольге"
    ACCUSATIVE = "ACCUSATIVE"  # кого: "Ольгу"
    INSTRUMENTAL = "INSTRUMENTAL"  # кем: "Ольгой"
    PREPOSITIONAL = "PREPOSITIONAL"  # о ком: "об Ольге"


@cache
def _petrovich() -> tuple[Any, Any]:
    from pytrovich.detector import PetrovichGenderDetector
    from pytrovich.maker import PetrovichDeclinationMaker

    return PetrovichDeclinationMaker(), PetrovichGenderDetector()


def _parts(name: str) -> tuple[str | None, str | None, str | None]:
    """(first name, patronymic, last name) of "Имя Фамилия", "Фамилия Имя Отчество" or
    "Имя Отчество Фамилия"; None where a part is missing."""
    words = name.split()
    if len(words) == 1:
        return words[0], None, None
    if len(words) == 3 and _patronymic(words[2]):
        return words[1], words[2], words[0]
    if len(words) == 3 and _patronymic(words[1]):
        return words[0], words[1], words[2]
    if len(words) == 2:
        return words[0], None, words[1]
    return None, None, None


def _patronymic(word: str) -> Gender | None:
    low = word.lower()
    if low.endswith(("вна", "чна", "шна")):
        return Gender.FEMALE
    if low.endswith(("вич", "ьич", "ич")) and len(low) > 4:
        return Gender.MALE
    return None


@cache
def _detected(name: str) -> Any:
    """pytrovich's gender of a name in Cyrillic (male, female, androgynous), None otherwise."""
    if not all(_CYRILLIC_WORD.match(w) for w in name.split()):
        return None
    from pytrovich.enums import Gender as PGender

    first, middle, last = _parts(name)
    if middle and _patronymic(middle):
        return PGender.FEMALE if _patronymic(middle) is Gender.FEMALE else PGender.MALE
    _, detector = _petrovich()
    try:
        return detector.detect(firstname=first, lastname=last)
    except Exception:  # the rules raise on what they cannot read: unknown, not an error
        return None


def gender(name: str | None) -> Gender | None:
    """The person's gender as their name says it, None when it does not ("Саша", "Xyz")."""
    from pytrovich.enums import Gender as PGender

    found: Any = _detected(name) if name and name.strip() else None
    return {PGender.FEMALE: Gender.FEMALE, PGender.MALE: Gender.MALE}.get(found)


@cache
def declined(name: str | None, case: Case) -> str:
    """`name` in `case` ("Ольга" → "Ольги"); as written when its gender or form is unknown."""
    if not name or not name.strip():
        return name or ""
    sex = _detected(name)
    if sex is None:
        return name
    from pytrovich.enums import Case as PCase
    from pytrovich.enums import Gender as PGender
    from pytrovich.enums import NamePart

    maker, _ = _petrovich()
    if sex not in (PGender.FEMALE, PGender.MALE):  # "Саша", "Женя": one form for both
        sex = PGender.MALE if len(name.split()) == 1 else None
        if sex is None:
            return name
    first, middle, last = _parts(name)
    out = []
    for word in name.split():
        part = (
            NamePart.FIRSTNAME
            if word == first
            else NamePart.MIDDLENAME
            if word == middle
            else NamePart.LASTNAME
            if word == last
            else None
        )
        try:
            out.append(maker.make(part, sex, PCase[case.value], word) if part else word)
        except Exception:  # a word the rules cannot decline stays as written
            out.append(word)
    return " ".join(out)


def by_gender(name: str | None, male: str, female: str, unknown: str) -> str:
    """The form for the person: "отправил" / "отправила", or `unknown` (worded without gender)."""
    person = gender(name)
    return male if person is Gender.MALE else female if person is Gender.FEMALE else unknown


def genitive(name: str | None) -> str:
    """ "для Ольги", "для Алисы Кураторовой"."""
    return declined(name, Case.GENITIVE)
