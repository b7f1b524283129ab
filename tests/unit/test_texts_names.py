"""Every text has one name: a name defined twice in bot/texts.py silently shows the later
words under the earlier meaning (a seminar's «Назад» once read «👋 Я вернулся»)."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from bot import texts

TEXTS = Path(texts.__file__)


def test_no_text_or_function_in_texts_is_defined_twice() -> None:
    names: Counter[str] = Counter()
    for node in ast.parse(TEXTS.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] += 1
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names[node.name] += 1
    assert [name for name, count in names.items() if count > 1] == []


def test_back_and_i_am_back_are_different_buttons() -> None:
    assert texts.BTN_BACK == "⬅️ Назад" and texts.BTN_IM_BACK == "👋 Я вернулся"
