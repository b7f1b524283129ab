"""Telegram's reply markup and formatting as MAX attachments and formats (pure).

A `web_app` button becomes `open_app`; `callback_data` the button's payload; `url` a `link`
button. Buttons MAX has no equivalent for are left out, never sent as something else."""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

MAX_TEXT = 4000  # characters in one MAX message
MAX_PAYLOAD = 1024  # a callback button's payload
MAX_BUTTON_TEXT = 128


def keyboard(markup: Any, app: str | None = None) -> dict[str, Any] | None:
    """An inline keyboard attachment for MAX, or None when nothing of it can be shown.

    `app`: the bot's public name (or link) whose mini app an `open_app` button opens."""
    if not isinstance(markup, InlineKeyboardMarkup):
        return None  # reply keyboards and their removal have no MAX equivalent
    rows = []
    for row in markup.inline_keyboard:
        buttons = [b for b in (_button(button, app) for button in row) if b is not None]
        if buttons:
            rows.append(buttons)
    if not rows:
        return None
    return {"type": "inline_keyboard", "payload": {"buttons": rows}}


def _button(button: InlineKeyboardButton, app: str | None) -> dict[str, Any] | None:
    text = button.text[:MAX_BUTTON_TEXT]
    if button.callback_data is not None:
        return {"type": "callback", "text": text, "payload": button.callback_data[:MAX_PAYLOAD]}
    if button.web_app is not None and app:
        return {"type": "open_app", "text": text, "web_app": app, "payload": _start(button)}
    if button.url is not None:
        return {"type": "link", "text": text, "url": button.url}
    return None


def _start(button: InlineKeyboardButton) -> str:
    """The dashboard's address after the app's own, passed as the launch parameter."""
    url = button.web_app.url if button.web_app else ""
    _, _, rest = url.partition("?")
    return rest[:512]


def text_format(parse_mode: str | None) -> str | None:
    """MAX's `format` for a Telegram parse mode (Kurator writes HTML)."""
    if parse_mode is None:
        return None
    mode = parse_mode.lower()
    if mode == "html":
        return "html"
    if mode.startswith("markdown"):
        return "markdown"
    return None
