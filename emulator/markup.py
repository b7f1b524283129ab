"""Telegram message formatting: parse HTML / MarkdownV2 text into plain text and entities.

Mirrors the Bot API rules closely enough that markup the real server would reject is rejected
here with the same kind of "can't parse entities" error; offsets count UTF-16 code units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


class ParseError(ValueError):
    """Markup that Telegram would refuse; the message follows Telegram's wording."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Builder:
    parts: list[str] = field(default_factory=list)
    length: int = 0  # UTF-16 units so far
    entities: list[dict[str, Any]] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length += utf16_len(text)

    def text(self) -> str:
        return "".join(self.parts)


_HTML_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "a": "text_link",
    "span": "spoiler",
    "tg-emoji": "custom_emoji",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*?)?)\s*(/?)>")
_ATTR_RE = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_ENTITY_RE = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);")


def _unescape(raw: str, offset: int) -> str:
    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("#x"):
            return chr(int(name[2:], 16))
        if name.startswith("#"):
            return chr(int(name[1:]))
        if name in _NAMED:
            return _NAMED[name]
        raise ParseError(f'Unsupported HTML entity "&{name};" at byte offset {offset}')

    if "<" in raw or ">" in raw:
        raise ParseError(f"Unexpected character at byte offset {offset}")
    return _ENTITY_RE.sub(repl, raw)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities of Telegram-HTML `source`; raises ParseError."""
    out = _Builder()
    stack: list[tuple[str, int, dict[str, Any]]] = []
    pos = 0
    for match in _TAG_RE.finditer(source):
        byte_at = len(source[: match.start()].encode())
        out.add(_unescape(source[pos : match.start()], len(source[:pos].encode())))
        pos = match.end()
        closing, name, attrs_text = match.group(1), match.group(2).lower(), match.group(3)
        if name not in _HTML_SIMPLE:
            kind = "end" if closing else "start"
            raise ParseError(f'Unsupported {kind} tag "{name}" at byte offset {byte_at}')
        if closing:
            if not stack or stack[-1][0] != name:
                raise ParseError(
                    f"Unmatched end tag at byte offset {byte_at}, "
                    f'expected "</{stack[-1][0]}>", found "</{name}>"'
                    if stack
                    else f"Unexpected end tag at byte offset {byte_at}"
                )
            tag, start, extra = stack.pop()
            length = out.length - start
            if length > 0:
                entity: dict[str, Any] = {
                    "type": _HTML_SIMPLE[tag],
                    "offset": start,
                    "length": length,
                }
                entity.update(extra)
                out.entities.append(entity)
            continue
        attrs = {
            m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or ""
            for m in _ATTR_RE.finditer(attrs_text or "")
        }
        attrs_extra: dict[str, Any] = {}
        if name == "a":
            href = attrs.get("href")
            if not href:
                raise ParseError(
                    f'Can\'t find attribute "href" of tag "a" at byte offset {byte_at}'
                )
            attrs_extra["url"] = _unescape(href, byte_at)
        elif name == "span" and attrs.get("class") != "tg-spoiler":
            raise ParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {byte_at}')
        elif name == "tg-emoji":
            if "emoji-id" not in attrs:
                raise ParseError(f'Can\'t find attribute "emoji-id" at byte offset {byte_at}')
            attrs_extra["custom_emoji_id"] = attrs["emoji-id"]
        elif name == "blockquote" and "expandable" in (attrs_text or ""):
            attrs_extra["type"] = "expandable_blockquote"
        stack.append((name, out.length, attrs_extra))
    out.add(_unescape(source[pos:], len(source[:pos].encode())))
    if stack:
        raise ParseError(f"Can't find end tag corresponding to start tag {stack[-1][0]}")
    out.entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return out.text(), out.entities


_MD2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MD2_MARKERS = [
    ("||", "spoiler"),
    ("__", "underline"),
    ("*", "bold"),
    ("_", "italic"),
    ("~", "strikethrough"),
]


def parse_markdown_v2(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities of MarkdownV2 `source`; raises ParseError."""
    out = _Builder()
    stack: list[tuple[str, int]] = []
    i = 0
    while i < len(source):
        ch = source[i]
        byte_at = len(source[:i].encode())
        if ch == "\\":
            if i + 1 >= len(source):
                raise ParseError(
                    "Character '\\' is reserved and must be escaped with the preceding '\\'"
                )
            out.add(source[i + 1])
            i += 2
            continue
        if source.startswith("```", i):
            end = source.find("```", i + 3)
            if end < 0:
                raise ParseError(f"Can't find end of Pre entity at byte offset {byte_at}")
            body = source[i + 3 : end]
            language = ""
            if "\n" in body:
                first, rest = body.split("\n", 1)
                if first and " " not in first:
                    language, body = first, rest
            start = out.length
            out.add(body.replace("\\`", "`").replace("\\\\", "\\"))
            entity: dict[str, Any] = {"type": "pre", "offset": start, "length": out.length - start}
            if language:
                entity["language"] = language
            out.entities.append(entity)
            i = end + 3
            continue
        if ch == "`":
            end = source.find("`", i + 1)
            if end < 0:
                raise ParseError(f"Can't find end of Code entity at byte offset {byte_at}")
            start = out.length
            out.add(source[i + 1 : end].replace("\\`", "`").replace("\\\\", "\\"))
            out.entities.append({"type": "code", "offset": start, "length": out.length - start})
            i = end + 1
            continue
        if ch == "[":
            close = source.find("](", i)
            end = source.find(")", close + 2) if close >= 0 else -1
            if close < 0 or end < 0:
                raise ParseError(f"Can't find end of TextUrl entity at byte offset {byte_at}")
            inner_text, inner_entities = parse_markdown_v2(source[i + 1 : close])
            start = out.length
            for e in inner_entities:
                out.entities.append({**e, "offset": e["offset"] + start})
            out.add(inner_text)
            out.entities.append(
                {
                    "type": "text_link",
                    "offset": start,
                    "length": out.length - start,
                    "url": source[close + 2 : end],
                }
            )
            i = end + 1
            continue
        for marker, kind in _MD2_MARKERS:
            if source.startswith(marker, i):
                if stack and stack[-1][0] == kind:
                    _, start = stack.pop()
                    if out.length > start:
                        out.entities.append(
                            {"type": kind, "offset": start, "length": out.length - start}
                        )
                else:
                    stack.append((kind, out.length))
                i += len(marker)
                break
        else:
            if ch in _MD2_RESERVED:
                raise ParseError(
                    f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
                )
            out.add(ch)
            i += 1
    if stack:
        kind = stack[-1][0]
        raise ParseError(
            f"Can't find end of {kind.capitalize()} entity at byte offset {len(source.encode())}"
        )
    out.entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return out.text(), out.entities


def parse_markdown_legacy(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Legacy Markdown: *bold*, _italic_, `code`, [text](url); no escaping rules."""
    escaped = "".join("\\" + c if c in _MD2_RESERVED and c not in "*_`[]()" else c for c in source)
    return parse_markdown_v2(escaped)


def parse(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """Dispatch on `parse_mode` (case-insensitive, as Telegram accepts)."""
    if not parse_mode:
        return text, []
    mode = parse_mode.lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown_legacy(text)
    raise ParseError("Unsupported parse_mode")
