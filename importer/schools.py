"""School references in plan text: "ОО №№ 6, 21, 23 …, ОЦ № 1, С(К)ОШИ № 12" and full names."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Kinds that share one numbering in a city (СОШ № 21, Лицей № 82, НОШ № 95 are all "ОО").
_GENERAL = ("ОО", "ОУ", "СОШ", "ООШ", "НОШ", "МАОУ", "МБОУ", "МОУ", "МКОУ", "ЛИЦЕЙ", "ГИМНАЗИЯ")
_KIND_RE = r"С\(К\)ОШИ|С\(К\)ОШ|ОЦ|ОО|ОУ|СОШ|ООШ|НОШ|Лицей|Гимназия|Школа|ЦО"
_LIST_RE = re.compile(rf"({_KIND_RE})\s*№№?\s*((?:\d+[\s,.;и]*)+)", re.I)
_FULL_NAME_RE = re.compile(r"(?:МАОУ|МБОУ|МОУ|МКОУ|МАУ|ГБОУ|ГКОУ|ЧОУ)\s*«[^»]+»")
_NUMBER_IN_NAME = re.compile(rf"({_KIND_RE})\s*№\s*(\d+)", re.I)


@dataclass(frozen=True)
class SchoolRef:
    """A school named in a plan: a stable key for matching and the best name known."""

    key: str  # e.g. "ОО-21", "ОЦ-1", "С(К)ОШИ-12"
    name: str


def _group(kind: str) -> str:
    upper = kind.upper()
    return "ОО" if upper in _GENERAL else kind.upper().replace("С(К)ОШИ", "С(К)ОШИ")


def parse_school_list(text: str) -> list[SchoolRef]:
    """Every school in a list such as "ОО №№ 6, 21, 97. 98, ОЦ № 1, С(К)ОШИ № 12"."""
    found: list[SchoolRef] = []
    for match in _LIST_RE.finditer(text):
        kind = match.group(1)
        group = _group(kind)
        for number in re.findall(r"\d+", match.group(2)):
            label = "ОО" if group == "ОО" else kind
            found.append(SchoolRef(key=f"{group}-{int(number)}", name=f"{label} № {int(number)}"))
    return list(dict.fromkeys(found))


def full_school_names(text: str) -> list[SchoolRef]:
    """Full names like МАОУ «СОШ № 21 г. Челябинска» with their matching key."""
    refs = []
    for match in _FULL_NAME_RE.finditer(text):
        name = " ".join(match.group(0).split())
        number = _NUMBER_IN_NAME.search(name)
        key = f"{_group(number.group(1))}-{int(number.group(2))}" if number else f"NAME-{name}"
        refs.append(SchoolRef(key=key, name=name))
    return refs
