"""Bot API methods the emulator implements, each declaring the parameters it understands."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from emulator import validate
from emulator.errors import ApiError, bad_request, forbidden
from emulator.state import BotAccount, EmuChat, Emulator, StoredFile
from emulator.webhook import DEFAULT_MAX_CONNECTIONS

MAX_DOWNLOAD = 20 * 1024 * 1024
MAX_UPLOAD = 50 * 1024 * 1024
MAX_PHOTO = 10 * 1024 * 1024
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)

Impl = Callable[[Emulator, BotAccount, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True)
class Method:
    """One implemented method: the spec name, the params it reads, and whether it sends."""

    name: str
    params: frozenset[str]
    impl: Impl
    sends: bool = False


METHODS: dict[str, Method] = {}


def method(
    name: str, params: tuple[str, ...] = (), *, sends: bool = False
) -> Callable[[Impl], Impl]:
    def register(fn: Impl) -> Impl:
        METHODS[name.lower()] = Method(name, frozenset(params), fn, sends)
        return fn

    return register


# --- helpers -------------------------------------------------------------------------------


def _int(params: dict[str, Any], name: str, default: int | None = None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {name} specified") from None


def target_chat(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> EmuChat:
    """The chat a send goes to, with Telegram's 400/403 answers."""
    raw = params.get("chat_id")
    if raw is None or raw == "":
        raise bad_request("chat_id is empty")
    try:
        chat_id = int(raw)
    except (TypeError, ValueError):
        raise bad_request("chat not found") from None
    chat = emu.chats.get(chat_id)
    if chat is None:
        raise bad_request("chat not found")
    if chat.type == "private":
        if chat_id in bot.blocked_by:
            raise forbidden("bot was blocked by the user")
        if chat_id not in bot.started_by:
            raise forbidden("bot can't initiate conversation with a user")
    elif bot.user.id not in chat.members:
        raise forbidden("bot is not a member of the group chat")
    return chat


def _message(chat: EmuChat, params: dict[str, Any], bot: BotAccount) -> dict[str, Any]:
    """The bot's own message to edit (a bot cannot edit what people wrote)."""
    message_id = _int(params, "message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    message = chat.messages.get(message_id)
    if message is None:
        raise bad_request("message to edit not found")
    if message.get("from", {}).get("id") != bot.user.id:
        raise bad_request("message can't be edited")
    return message


def _reply(chat: EmuChat, params: dict[str, Any]) -> dict[str, Any]:
    """reply_to_message for the new message; a missing one is refused unless allowed."""
    raw = params.get("reply_parameters")
    if raw is None:
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise bad_request("can't parse reply parameters JSON object") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("message_id"), int):
        raise bad_request("can't parse reply parameters JSON object")
    target = chat.messages.get(raw["message_id"])
    if target is None:
        if raw.get("allow_sending_without_reply"):
            return {}
        raise bad_request("message to be replied not found")
    return {"reply_to_message": {k: v for k, v in target.items() if k != "reply_to_message"}}


async def _log(emu: Emulator, chat: EmuChat, kind: str, message: dict[str, Any]) -> None:
    emu.log_event(chat, kind, message)
    await emu.notify()


# --- identity, updates, webhook, commands ----------------------------------------------------


@method("getMe")
async def get_me(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    data = bot.user.as_api()
    data.update(
        can_join_groups=True, can_read_all_group_messages=False, supports_inline_queries=False
    )
    return data


@method("getUpdates", ("offset", "limit", "timeout", "allowed_updates"))
async def get_updates(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    if bot.webhook_url:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    offset = _int(params, "offset")
    if params.get("allowed_updates") is not None:
        bot.allowed_updates = _allowed(params["allowed_updates"])
    limit = max(1, min(100, _int(params, "limit", 100) or 100))
    timeout = max(0, min(50, _int(params, "timeout", 0) or 0))
    if bot.poller is not None and not bot.poller.done():
        bot.poller.set_exception(
            ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        )
        await emu.notify()
    me: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    bot.poller = me
    deadline = asyncio.get_running_loop().time() + timeout
    try:
        async with emu.changed:
            while True:
                if me.done():
                    me.result()  # raises the 409 if another poller replaced us
                updates = emu.pending_updates(bot, offset, limit)
                remaining = deadline - asyncio.get_running_loop().time()
                if updates or remaining <= 0:
                    return updates
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(emu.changed.wait(), remaining)
    finally:
        if bot.poller is me:
            bot.poller = None


def _allowed(value: Any) -> frozenset[str] | None:
    """allowed_updates as Telegram reads it: a JSON array of names; an empty one: the default."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise bad_request("can't parse allowed_updates JSON array") from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request("allowed_updates must be an array of strings")
    return frozenset(value) or None


@method(
    "setWebhook",
    (
        "url",
        "certificate",
        "ip_address",
        "max_connections",
        "allowed_updates",
        "drop_pending_updates",
        "secret_token",
    ),
)
async def set_webhook(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    url = str(params.get("url") or "")
    if url and not url.startswith(("https://", "http://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.get("secret_token")
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
        raise bad_request("bad webhook: secret token contains unallowed characters")
    try:
        connections = int(params.get("max_connections") or DEFAULT_MAX_CONNECTIONS)
    except (TypeError, ValueError):
        connections = 0
    if not 1 <= connections <= 100:
        raise bad_request("Bad Request: bad max_connections specified")
    if str(params.get("drop_pending_updates", "")).lower() == "true":
        bot.updates.clear()
    if params.get("allowed_updates") is not None:
        bot.allowed_updates = _allowed(params["allowed_updates"])
    bot.webhook_url, bot.webhook_secret = url, (str(secret) if secret else None)
    bot.webhook_max_connections = connections
    if bot.poller is not None and not bot.poller.done():
        bot.poller.set_exception(
            ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        )
    emu.webhooks.ensure(bot)
    await emu.notify()
    return True


@method("deleteWebhook", ("drop_pending_updates",))
async def delete_webhook(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    bot.webhook_url = ""
    bot.webhook_secret = None
    if str(params.get("drop_pending_updates", "")).lower() == "true":
        bot.updates.clear()
    return True


@method("getWebhookInfo")
async def get_webhook_info(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    return {
        "url": bot.webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": len(bot.updates),
        "max_connections": bot.webhook_max_connections,
    }


@method("setMyCommands", ("commands", "scope", "language_code"))
async def set_my_commands(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    commands = validate.commands(params.get("commands"))
    bot.commands[validate.scope_key(params.get("scope"), params.get("language_code"))] = commands
    return True


@method("getMyCommands", ("scope", "language_code"))
async def get_my_commands(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    return bot.commands.get(
        validate.scope_key(params.get("scope"), params.get("language_code")), []
    )


@method("deleteMyCommands", ("scope", "language_code"))
async def delete_my_commands(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    bot.commands.pop(validate.scope_key(params.get("scope"), params.get("language_code")), None)
    return True


def _menu_chat(emu: Emulator, params: dict[str, Any]) -> int | None:
    chat_id = _int(params, "chat_id")
    if chat_id is None:
        return None
    chat = emu.chats.get(chat_id)
    if chat is None:
        raise bad_request("chat not found")
    if chat.type != "private":
        raise bad_request("method is available only for private chats")
    return chat_id


@method("setChatMenuButton", ("chat_id", "menu_button"))
async def set_chat_menu_button(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    chat_id = _menu_chat(emu, params)
    bot.menu_buttons[chat_id] = validate.menu_button(params.get("menu_button"))
    return True


@method("getChatMenuButton", ("chat_id",))
async def get_chat_menu_button(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    chat_id = _menu_chat(emu, params)
    found = bot.menu_buttons.get(chat_id) or bot.menu_buttons.get(None)
    return found or {"type": "commands"}


# --- messages -------------------------------------------------------------------------------


@method(
    "sendMessage",
    (
        "chat_id",
        "text",
        "parse_mode",
        "entities",
        "reply_markup",
        "link_preview_options",
        "disable_notification",
        "protect_content",
        "reply_parameters",
        "message_thread_id",
    ),
    sends=True,
)
async def send_message(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    chat = target_chat(emu, bot, params)
    text, entities = validate.formatted(
        params.get("text"), params.get("parse_mode"), params.get("entities")
    )
    markup = validate.reply_markup(params.get("reply_markup"), chat.type == "private")
    content: dict[str, Any] = {"text": text, **_reply(chat, params)}
    if entities:
        content["entities"] = entities
    if markup:
        content["reply_markup"] = markup
    emu.admit(bot, chat)
    message = emu.store_message(chat, bot.user, content)
    await _log(emu, chat, "new", message)
    return message


@method(
    "editMessageText",
    (
        "chat_id",
        "message_id",
        "inline_message_id",
        "text",
        "parse_mode",
        "entities",
        "link_preview_options",
        "reply_markup",
    ),
)
async def edit_message_text(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    chat = target_chat(emu, bot, params)
    message = _message(chat, params, bot)
    if "text" not in message:
        raise bad_request("there is no text in the message to edit")
    text, entities = validate.formatted(
        params.get("text"), params.get("parse_mode"), params.get("entities")
    )
    markup = validate.reply_markup(params.get("reply_markup"), chat.type == "private")
    if (
        text == message.get("text")
        and entities == message.get("entities", [])
        and markup == message.get("reply_markup")
    ):
        raise bad_request(NOT_MODIFIED)
    message["text"] = text
    message.pop("entities", None)
    if entities:
        message["entities"] = entities
    message.pop("reply_markup", None)
    if markup:
        message["reply_markup"] = markup
    message["edit_date"] = int(emu.now())
    await _log(emu, chat, "edit", message)
    return message


@method("editMessageReplyMarkup", ("chat_id", "message_id", "inline_message_id", "reply_markup"))
async def edit_message_reply_markup(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    chat = target_chat(emu, bot, params)
    message = _message(chat, params, bot)
    markup = validate.reply_markup(params.get("reply_markup"), chat.type == "private")
    if markup == message.get("reply_markup"):
        raise bad_request(NOT_MODIFIED)
    message.pop("reply_markup", None)
    if markup:
        message["reply_markup"] = markup
    message["edit_date"] = int(emu.now())
    await _log(emu, chat, "edit", message)
    return message


@method(
    "editMessageCaption",
    (
        "chat_id",
        "message_id",
        "inline_message_id",
        "caption",
        "parse_mode",
        "caption_entities",
        "reply_markup",
    ),
)
async def edit_message_caption(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    chat = target_chat(emu, bot, params)
    message = _message(chat, params, bot)
    caption, entities = validate.formatted(
        params.get("caption"),
        params.get("parse_mode"),
        params.get("caption_entities"),
        caption=True,
    )
    markup = validate.reply_markup(params.get("reply_markup"), chat.type == "private")
    message["caption"] = caption
    message.pop("caption_entities", None)
    if entities:
        message["caption_entities"] = entities
    message.pop("reply_markup", None)
    if markup:
        message["reply_markup"] = markup
    message["edit_date"] = int(emu.now())
    await _log(emu, chat, "edit", message)
    return message


@method("deleteMessage", ("chat_id", "message_id"))
async def delete_message(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    chat = target_chat(emu, bot, params)
    message_id = _int(params, "message_id")
    message = chat.messages.pop(message_id or 0, None)
    if message is None:
        raise bad_request("message to delete not found")
    await _log(emu, chat, "delete", message)
    return True


@method("answerCallbackQuery", ("callback_query_id", "text", "show_alert", "url", "cache_time"))
async def answer_callback_query(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    query = bot.callback_queries.get(str(params.get("callback_query_id", "")))
    expired = (
        query is not None
        and emu.monotonic() - query.get("pressed_at", emu.monotonic()) > emu.callback_answer_window
    )
    if query is not None and expired:
        query["refused"] = True  # the control API tells the test the answer came too late
        await emu.notify()
    if query is None or query.get("answer") is not None or expired:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = params.get("text")
    if text is not None and len(str(text)) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query["answer"] = {
        "text": text,
        "show_alert": str(params.get("show_alert", "")).lower() == "true",
        # For tests: how long after the press the answer came (Telegram drops it after ~15 s).
        "seconds": round(emu.monotonic() - query.get("pressed_at", emu.monotonic()), 4),
    }
    await emu.notify()
    return True


@method("sendChatAction", ("chat_id", "action", "message_thread_id"))
async def send_chat_action(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    target_chat(emu, bot, params)
    return True


# --- files ----------------------------------------------------------------------------------


# Each kind of file: its folder on the file server and its upload limit. A file_id keeps its
# kind: sending it with another kind's method is refused as Telegram does.
FILE_KINDS: dict[str, tuple[str, int]] = {
    "document": ("documents", MAX_UPLOAD),
    "photo": ("photos", MAX_PHOTO),
    "video": ("videos", MAX_UPLOAD),
    "audio": ("music", MAX_UPLOAD),
    "voice": ("voice", MAX_UPLOAD),
    "video_note": ("video_notes", MAX_UPLOAD),
}


def _file_from(emu: Emulator, value: Any, kind: str) -> StoredFile:
    """The stored file of an upload or of an existing file_id of the same kind."""
    folder, limit = FILE_KINDS[kind]
    if isinstance(value, tuple):  # (file_name, mime_type, data) from a multipart upload
        file_name, mime_type, data = value
        if len(data) > limit:
            raise ApiError(413, "Request Entity Too Large")
        if not data:
            raise bad_request("file must be non-empty")
        return emu.store_file(
            data, file_name=file_name, mime_type=mime_type, folder=folder, kind=kind
        )
    if isinstance(value, str) and value in emu.files:
        stored = emu.files[value]
        if stored.kind != kind:
            raise bad_request("type of file mismatch")
        return stored
    raise bad_request("wrong file identifier/HTTP URL specified")


def _image_size(data: bytes) -> tuple[int, int]:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return 800, 600


def file_object(stored: StoredFile) -> Any:
    """The Bot API object of a stored file, as its kind is described in messages."""
    base: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
    }
    if stored.kind == "photo":
        width, height = _image_size(stored.data)
        return [{**base, "width": width, "height": height}]
    if stored.kind == "video_note":
        return {**base, "length": 240, "duration": 1}
    if stored.kind in ("video", "audio", "voice"):
        base["duration"] = 1
        if stored.kind == "video":
            base["width"], base["height"] = 640, 360
    if stored.file_name and stored.kind in ("document", "video", "audio"):
        base["file_name"] = stored.file_name
    if stored.mime_type and stored.kind != "video_note":
        base["mime_type"] = stored.mime_type
    return base


def media_object(emu: Emulator, kind: str, value: Any) -> Any:
    """Store or reuse a file of `kind`; its object for the message."""
    return file_object(_file_from(emu, value, kind))


async def _send_media(
    emu: Emulator, bot: BotAccount, params: dict[str, Any], field: str
) -> dict[str, Any]:
    chat = target_chat(emu, bot, params)
    if params.get(field) is None:
        raise bad_request(f"there is no {field} in the request")
    caption, entities = validate.formatted(
        params.get("caption"),
        params.get("parse_mode"),
        params.get("caption_entities"),
        caption=True,
    )
    markup = validate.reply_markup(params.get("reply_markup"), chat.type == "private")
    content: dict[str, Any] = {
        field: media_object(emu, field, params[field]),
        **_reply(chat, params),
    }
    if caption:
        content["caption"] = caption
    if entities:
        content["caption_entities"] = entities
    if markup:
        content["reply_markup"] = markup
    emu.admit(bot, chat)
    message = emu.store_message(chat, bot.user, content)
    await _log(emu, chat, "new", message)
    return message


_MEDIA_PARAMS = (
    "chat_id",
    "caption",
    "parse_mode",
    "caption_entities",
    "reply_markup",
    "disable_notification",
    "protect_content",
    "reply_parameters",
)


@method("sendDocument", ("document", "disable_content_type_detection", *_MEDIA_PARAMS), sends=True)
async def send_document(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    return await _send_media(emu, bot, params, "document")


@method("sendPhoto", ("photo", *_MEDIA_PARAMS), sends=True)
async def send_photo(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    return await _send_media(emu, bot, params, "photo")


@method("sendVideo", ("video", "duration", "width", "height", *_MEDIA_PARAMS), sends=True)
async def send_video(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    return await _send_media(emu, bot, params, "video")


@method("sendAudio", ("audio", "duration", "performer", "title", *_MEDIA_PARAMS), sends=True)
async def send_audio(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    return await _send_media(emu, bot, params, "audio")


@method("sendVoice", ("voice", "duration", *_MEDIA_PARAMS), sends=True)
async def send_voice(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    return await _send_media(emu, bot, params, "voice")


@method(
    "sendVideoNote",
    (
        "chat_id",
        "video_note",
        "duration",
        "length",
        "reply_markup",
        "disable_notification",
        "protect_content",
        "reply_parameters",
    ),
    sends=True,
)
async def send_video_note(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    return await _send_media(emu, bot, params, "video_note")


@method(
    "sendMediaGroup",
    ("chat_id", "media", "disable_notification", "protect_content", "reply_parameters"),
    sends=True,
)
async def send_media_group(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    chat = target_chat(emu, bot, params)
    media = params.get("media")
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise bad_request("wrong number of media in the album: must be 2-10")
    group_id = emu.new_media_group_id()
    reply = _reply(chat, params)
    prepared = []
    for item in media:
        if not isinstance(item, dict) or item.get("type") not in (
            "photo",
            "document",
            "video",
            "audio",
        ):
            raise bad_request("wrong media type in the album")
        source = item.get("media")
        if isinstance(source, str) and source.startswith("attach://"):
            source = params.get(source.removeprefix("attach://"))
            if source is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
        caption, entities = validate.formatted(
            item.get("caption"), item.get("parse_mode"), item.get("caption_entities"), caption=True
        )
        content: dict[str, Any] = {
            "media_group_id": group_id,
            item["type"]: media_object(emu, item["type"], source),
            **reply,
        }
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        prepared.append(content)
    emu.admit(bot, chat, len(prepared))
    messages = []
    for content in prepared:
        message = emu.store_message(chat, bot.user, content)
        emu.log_event(chat, "new", message)
        messages.append(message)
    await emu.notify()
    return messages


@method("getFile", ("file_id",))
async def get_file(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    stored = emu.files.get(str(params.get("file_id", "")))
    if stored is None:
        raise bad_request("invalid file_id")
    result: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
    }
    if len(stored.data) > MAX_DOWNLOAD:
        raise bad_request("file is too big")
    result["file_path"] = stored.file_path
    return result


@method(
    "copyMessage",
    (
        "chat_id",
        "from_chat_id",
        "message_id",
        "caption",
        "parse_mode",
        "caption_entities",
        "reply_markup",
        "disable_notification",
        "protect_content",
        "reply_parameters",
    ),
    sends=True,
)
async def copy_message(emu: Emulator, bot: BotAccount, params: dict[str, Any]) -> Any:
    chat = target_chat(emu, bot, params)
    source_chat = emu.chats.get(_int(params, "from_chat_id") or 0)
    if source_chat is None:
        raise bad_request("chat not found")
    source = source_chat.messages.get(_int(params, "message_id") or 0)
    if source is None:
        raise bad_request("message to copy not found")
    content = {
        k: v
        for k, v in source.items()
        if k
        in (
            "text",
            "entities",
            "document",
            "photo",
            "caption",
            "caption_entities",
            "voice",
            "video",
            "video_note",
        )
    }
    markup = validate.reply_markup(params.get("reply_markup"), chat.type == "private")
    if markup:
        content["reply_markup"] = markup
    emu.admit(bot, chat)
    message = emu.store_message(chat, bot.user, content)
    await _log(emu, chat, "new", message)
    return {"message_id": message["message_id"]}
