"""Bot messages as they would look on a phone, for a terminal: rich markup or plain text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape, unescape
from typing import Any

from rich.markup import escape as rich_escape

_TAG = re.compile(
    r"<(/?)(b|strong|i|em|u|ins|s|strike|del|code|pre|a|tg-spoiler|blockquote)([^>]*)>"
)
_RICH = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strike",
    "strike": "strike",
    "del": "strike",
    "code": "cyan",
    "pre": "cyan",
    "tg-spoiler": "reverse",
    "blockquote": "dim",
}


def html_to_rich(text: str) -> str:
    """Telegram HTML to rich markup; links keep their address visible."""
    out: list[str] = []
    stack: list[tuple[str, str]] = []
    pos = 0
    for match in _TAG.finditer(text):
        out.append(rich_escape(unescape(text[pos : match.start()])))
        pos = match.end()
        closing, tag, attrs = match.group(1) == "/", match.group(2), match.group(3)
        if not closing:
            found = re.search(r'href="([^"]*)"', attrs)
            stack.append((tag, unescape(found.group(1)) if found else ""))
            out.append("[underline blue]" if tag == "a" else f"[{_RICH[tag]}]")
        elif stack:
            opened, href = stack.pop()
            out.append("[/]")
            if opened == "a" and href:
                out.append(rich_escape(f" ({href})"))
    out.append(rich_escape(unescape(text[pos:])))
    return "".join(out) + "[/]" * len(stack)


def html_to_plain(text: str) -> str:
    """Telegram HTML to plain text; links keep their address visible."""
    text = re.sub(r'<a href="([^"]*)">(.*?)</a>', lambda m: f"{m.group(2)} ({m.group(1)})", text)
    return unescape(_TAG.sub("", text))


def max_to_html(text: str, markup: list[dict[str, Any]]) -> str:
    """MAX's plain text and markup (UTF-16 offsets) as the Telegram HTML the terminal reads."""
    at = {0: 0}  # UTF-16 offset -> index into `text`
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        at[units] = index + 1
    opens: dict[int, list[str]] = {}
    closes: dict[int, list[str]] = {}
    # Outer elements first (the order MAX gives): an inner one closes before its outer one.
    for element in sorted(markup, key=lambda m: (m["from"], -m["length"])):
        tag = _FROM_MAX.get(element["type"])
        start, end = at.get(element["from"]), at.get(element["from"] + element["length"])
        if tag is None or start is None or end is None:
            continue
        href = element.get("url") if tag == "a" else None
        opens.setdefault(start, []).append(f'<a href="{escape(href)}">' if href else f"<{tag}>")
        closes.setdefault(end, []).insert(0, "</a>" if href else f"</{tag}>")
    out: list[str] = []
    for index in range(len(text) + 1):
        out += closes.get(index, []) + opens.get(index, [])
        if index < len(text):
            out.append(escape(text[index], quote=False))
    return "".join(out)


_FROM_MAX = {
    "strong": "b",
    "emphasized": "i",
    "strikethrough": "s",
    "underline": "u",
    "monospaced": "code",
    "highlighted": "b",
    "heading": "b",
    "link": "a",
}


def numbered_buttons(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of '[1] text  [2] text', numbered across the whole keyboard."""
    lines, index = [], 1
    for row in rows:
        cells = []
        for text in row:
            cells.append(f"[{index}] {text}")
            index += 1
        lines.append("  ".join(cells))
    return lines
