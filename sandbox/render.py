"""Bot messages as they would look on a phone, for a terminal: rich markup or plain text."""

from __future__ import annotations

import re
from html import unescape
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


def button_rows(message: dict[str, Any]) -> list[list[str]]:
    """Inline button texts, row by row."""
    markup = message.get("reply_markup") or {}
    return [[b["text"] for b in row] for row in markup.get("inline_keyboard", [])]


def numbered_buttons(message: dict[str, Any]) -> list[str]:
    """Rows of '[1] text  [2] text', numbered across the whole keyboard."""
    lines, index = [], 1
    for row in button_rows(message):
        cells = []
        for text in row:
            cells.append(f"[{index}] {text}")
            index += 1
        lines.append("  ".join(cells))
    return lines


def attachment(message: dict[str, Any]) -> tuple[str, str] | None:
    """(file_id, file name) of a document or the largest photo of a message."""
    if message.get("document"):
        doc = message["document"]
        return doc["file_id"], doc.get("file_name") or f"{doc['file_unique_id']}.bin"
    if message.get("photo"):
        photo = message["photo"][-1]
        return photo["file_id"], f"photo_{message['message_id']}.png"
    return None
