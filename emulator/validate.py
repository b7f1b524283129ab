"""Checks Telegram applies to message text, captions, keyboards and commands."""

from __future__ import annotations

import json
import re
from typing import Any

from emulator.errors import bad_request
from emulator.markup import ParseError, parse, utf16_len

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


def formatted(
    text: Any, parse_mode: Any, entities: Any, *, caption: bool = False
) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities after parsing; raises 400 on bad markup or length."""
    if text is None:
        text = ""
    if not isinstance(text, str):
        text = str(text)
    try:
        plain, found = parse(text, parse_mode if isinstance(parse_mode, str) else None)
    except ParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None
    if entities and not parse_mode:
        found = _entities(entities)
    stripped = plain.strip()
    if caption:
        if utf16_len(stripped) > MAX_CAPTION:
            raise bad_request("message caption is too long")
    else:
        if not stripped:
            raise bad_request("message text is empty")
        if utf16_len(stripped) > MAX_TEXT:
            raise bad_request("message is too long")
    return plain, found


def _entities(entities: Any) -> list[dict[str, Any]]:
    """Explicit MessageEntity objects, as Telegram checks them (400, never a crash)."""
    if isinstance(entities, str):
        try:
            entities = json.loads(entities)
        except ValueError:
            raise bad_request("can't parse entities JSON object") from None
    if not isinstance(entities, list) or not all(
        isinstance(e, dict)
        and isinstance(e.get("type"), str)
        and isinstance(e.get("offset"), int)
        and isinstance(e.get("length"), int)
        for e in entities
    ):
        raise bad_request("can't parse entities: an array of MessageEntity is expected")
    return list(entities)


def reply_markup(markup: Any, private: bool = True) -> dict[str, Any] | None:
    """Validated markup; only inline keyboards are echoed back in the Message. Web App
    buttons are allowed only in private chats, as in Telegram."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request(
                "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
            )
        if sum(len(r) for r in rows) > 100:
            raise bad_request("BUTTONS_TOO_MUCH")
        for row in rows:
            for button in row:
                _inline_button(button)
                if "web_app" in button and not private:
                    raise bad_request("BUTTON_TYPE_INVALID")
        return markup
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not rows:
            raise bad_request("keyboard must be non-empty")
        for row in rows:
            for button in row:
                label = button if isinstance(button, str) else (button or {}).get("text")
                if not label:
                    raise bad_request("keyboard button text is empty")
        return None
    if markup.get("remove_keyboard") is True or "force_reply" in markup:
        return None
    raise bad_request("can't parse reply keyboard markup JSON object")


def _inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    if not button.get("text"):
        raise bad_request("text buttons are unallowed in the inline keyboard")
    actions = [
        k
        for k in (
            "url",
            "callback_data",
            "web_app",
            "login_url",
            "switch_inline_query",
            "switch_inline_query_current_chat",
            "switch_inline_query_chosen_chat",
            "copy_text",
            "callback_game",
            "pay",
        )
        if k in button
    ]
    if len(actions) != 1:
        raise bad_request("text buttons are unallowed in the inline keyboard")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url):
            raise bad_request("BUTTON_URL_INVALID")
    if "web_app" in button:
        web_app_info(button["web_app"])


def web_app_info(value: Any) -> dict[str, Any]:
    """A WebAppInfo: Telegram opens only https pages."""
    if not isinstance(value, dict) or not isinstance(value.get("url"), str):
        raise bad_request("can't parse WebAppInfo: url is required")
    if not re.match(r"^https://[^\s/]+\S*$", value["url"]):
        raise bad_request("WEBAPP_URL_INVALID")
    return {"url": value["url"]}


def menu_button(value: Any) -> dict[str, Any]:
    """A MenuButton (commands, web_app or default), as setChatMenuButton accepts it."""
    if value is None:
        return {"type": "default"}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise bad_request("can't parse menu button JSON object") from None
    if not isinstance(value, dict) or value.get("type") not in ("commands", "web_app", "default"):
        raise bad_request("can't parse menu button JSON object")
    if value["type"] != "web_app":
        return {"type": value["type"]}
    text = value.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > 64:
        raise bad_request("BUTTON_TEXT_INVALID")
    return {"type": "web_app", "text": text, "web_app": web_app_info(value.get("web_app"))}


def commands(value: Any) -> list[dict[str, str]]:
    """A validated list of BotCommand objects."""
    if not isinstance(value, list) or len(value) > 100:
        raise bad_request("commands must be an array of at most 100 BotCommand")
    result = []
    for item in value:
        if not isinstance(item, dict):
            raise bad_request("BotCommand must be an Object")
        name, description = item.get("command"), item.get("description")
        if not isinstance(name, str) or not _COMMAND_RE.match(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        result.append({"command": name, "description": description})
    return result


def scope_key(scope: Any, language_code: Any) -> str:
    """Storage key of a command scope, e.g. 'default:' or 'chat:42:ru'."""
    if scope is None:
        scope = {"type": "default"}
    if not isinstance(scope, dict) or "type" not in scope:
        raise bad_request("can't parse BotCommandScope")
    kind = scope["type"]
    if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
        key = kind
    elif kind in ("chat", "chat_administrators"):
        key = f"{kind}:{scope.get('chat_id')}"
    elif kind == "chat_member":
        key = f"chat_member:{scope.get('chat_id')}:{scope.get('user_id')}"
    else:
        raise bad_request("unsupported BotCommandScope type")
    return f"{key}|{language_code or ''}"
