"""MAX text formatting: `format` markdown or html turned into plain text and MarkupElements.

The subsets the API description lists. Offsets count UTF-16 code units, as the API's Java
clients do (an assumption: the schema does not say). Unknown HTML tags are stripped with
their content kept, as the description says; unclosed tags end with the text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

Markup = dict[str, Any]

_HTML_TAGS = {
    "b": "strong",
    "strong": "strong",
    "i": "emphasized",
    "em": "emphasized",
    "del": "strikethrough",
    "s": "strikethrough",
    "ins": "underline",
    "u": "underline",
    "pre": "monospaced",
    "code": "monospaced",
    "mark": "highlighted",
    "h1": "heading",
    "a": "link",
}
_USER_LINK = re.compile(r"^max://user/(\d+)$")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def render(text: str, fmt: str | None) -> tuple[str, list[Markup]]:
    """Plain text and markup of `text` sent with `format` (None: taken literally)."""
    if fmt == "html":
        parser = _Html()
        parser.feed(text)
        parser.close()
        return parser.result()
    if fmt == "markdown":
        out = _Markdown()
        out.parse(text)
        return out.text, sorted(out.markup, key=lambda m: (m["from"], -m["length"]))
    return text, []


def _element(kind: str, start: int, length: int, url: str | None = None) -> Markup:
    if kind == "link" and url is not None:
        user = _USER_LINK.match(url)
        if user:
            return {
                "type": "user_mention",
                "from": start,
                "length": length,
                "user_id": int(user.group(1)),
            }
        return {"type": "link", "from": start, "length": length, "url": url}
    return {"type": kind, "from": start, "length": length}


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.size = 0
        self.open: list[tuple[str, int, str | None]] = []
        self.markup: list[Markup] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.handle_data("\n")
        elif tag in _HTML_TAGS:
            self.open.append((tag, self.size, dict(attrs).get("href")))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                self._close(*self.open.pop(index))
                return

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.size += utf16_len(data)

    def _close(self, tag: str, start: int, href: str | None) -> None:
        kind = _HTML_TAGS[tag]
        if self.size > start and (kind != "link" or href):
            self.markup.append(_element(kind, start, self.size - start, href))

    def result(self) -> tuple[str, list[Markup]]:
        while self.open:
            self._close(*self.open.pop())
        return "".join(self.parts), sorted(self.markup, key=lambda m: (m["from"], -m["length"]))


# Delimiters in the order they are tried: longer ones first so ** is not read as two *.
_PAIRS = (
    ("```", "monospaced"),
    ("**", "strong"),
    ("__", "strong"),
    ("~~", "strikethrough"),
    ("++", "underline"),
    ("^^", "highlighted"),
    ("`", "monospaced"),
    ("*", "emphasized"),
    ("_", "emphasized"),
)
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


class _Markdown:
    def __init__(self) -> None:
        self.text = ""
        self.markup: list[Markup] = []

    def emit(self, data: str) -> None:
        self.text += data

    @property
    def size(self) -> int:
        return utf16_len(self.text)

    def parse(self, source: str) -> None:
        lines = source.split("\n")
        for number, line in enumerate(lines):
            if line.startswith("# "):
                start = self.size
                self.inline(line[2:])
                if self.size > start:
                    self.markup.append(_element("heading", start, self.size - start))
            else:
                self.inline(line)
            if number < len(lines) - 1:
                self.emit("\n")

    def inline(self, source: str) -> None:
        i = 0
        while i < len(source):
            char = source[i]
            if char == "\\" and i + 1 < len(source) and not source[i + 1].isalnum():
                self.emit(source[i + 1])
                i += 2
                continue
            link = _LINK.match(source, i) if char == "[" else None
            if link is not None:
                start = self.size
                self.emit(link.group(1))
                self.markup.append(_element("link", start, self.size - start, link.group(2)))
                i = link.end()
                continue
            matched = self.pair(source, i)
            if matched:
                i = matched
                continue
            self.emit(char)
            i += 1

    def pair(self, source: str, i: int) -> int:
        """Position after a delimited span starting at `i`, or 0 when none starts there."""
        for delimiter, kind in _PAIRS:
            if not source.startswith(delimiter, i):
                continue
            inner_start = i + len(delimiter)
            end = source.find(delimiter, inner_start)
            if end <= inner_start:
                continue
            after = end + len(delimiter)
            if delimiter == "_" and (
                (i > 0 and source[i - 1].isalnum())
                or (after < len(source) and source[after].isalnum())
            ):
                continue  # snake_case words stay words
            start = self.size
            if kind == "monospaced":
                self.emit(source[inner_start:end])
            else:
                self.inline(source[inner_start:end])
            self.markup.append(_element(kind, start, self.size - start))
            return after
        return 0
