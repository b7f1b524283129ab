"""One MAX update as one aiogram Update (pure): the conversations never see MAX's shapes.

message_created → a message (its text, a file or a photo), message_callback → a callback
query with the button's payload as its data, bot_started → "/start <payload>" from the
person (a deep link's payload, as Telegram delivers one), bot_added / bot_removed → the
bot's own membership of a group changing (Telegram's my_chat_member). Other kinds give None.
MAX message ids are strings: `message_id(chat_id, mid)` gives each its integer, kept by the
caller so the same MAX message always has the same id."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiogram.types import (
    CallbackQuery,
    Chat,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberUpdated,
    Document,
    Message,
    PhotoSize,
    Update,
    User,
)

FILE_PREFIX = "max:"  # a file id that is MAX's attachment token or URL, not Telegram's

MessageIds = Callable[[int, str], int]


def key_of(raw: dict[str, Any]) -> str:
    """What makes an update itself (for its stable integer id and for skipping a copy)."""
    kind = str(raw.get("update_type"))
    if kind == "message_callback":
        return f"cb:{raw['callback']['callback_id']}"
    message = raw.get("message") or {}
    mid = (message.get("body") or {}).get("mid")
    if mid:
        return f"{kind}:{mid}"
    # A start carries no id of its own: two in one millisecond are one unless their deep
    # links differ (opening a second link right after the first is not a copy).
    payload = f":{raw['payload']}" if kind == "bot_started" and raw.get("payload") else ""
    return f"{kind}:{raw.get('chat_id')}:{raw.get('timestamp')}{payload}"


def message_refs(raw: dict[str, Any]) -> list[tuple[int, str]]:
    """The (chat id, MAX message id) pairs `to_update` will ask integer ids for."""
    kind = raw.get("update_type")
    if kind == "bot_started":
        return [(int(raw["chat_id"]), key_of(raw))]
    message = raw.get("message")
    if kind not in ("message_created", "message_callback") or not message:
        return []
    recipient = message.get("recipient") or {}
    chat_id = int(recipient.get("chat_id") or recipient.get("user_id") or 0)
    return [(chat_id, str((message.get("body") or {}).get("mid")))]


MEMBERSHIP = ("bot_added", "bot_removed")  # need the bot's own user (`me`) to convert


def to_update(
    raw: dict[str, Any],
    update_id: int,
    message_id: MessageIds,
    me: dict[str, Any] | None = None,
) -> Update | None:
    """The aiogram Update for a MAX update, or None for kinds no conversation takes."""
    kind = raw.get("update_type")
    if kind in MEMBERSHIP:
        return _membership(raw, update_id, me) if me is not None else None
    if kind == "message_created":
        return Update(update_id=update_id, message=_message(raw["message"], message_id))
    if kind == "message_callback":
        callback = raw["callback"]
        source = raw.get("message")
        return Update(
            update_id=update_id,
            callback_query=CallbackQuery(
                id=str(callback["callback_id"]),
                from_user=_user(callback["user"]),
                chat_instance=str((source or {}).get("recipient", {}).get("chat_id") or ""),
                message=_message(source, message_id) if source else None,
                data=callback.get("payload"),
            ),
        )
    if kind == "bot_started":
        payload = raw.get("payload")
        text = f"/start {payload}" if payload else "/start"
        user = _user(raw["user"])
        return Update(
            update_id=update_id,
            message=Message(
                message_id=message_id(int(raw["chat_id"]), key_of(raw)),
                date=_moment(raw.get("timestamp")),
                chat=Chat(id=int(raw["chat_id"]), type="private"),
                from_user=user,
                text=text,
            ),
        )
    return None


def _membership(raw: dict[str, Any], update_id: int, me: dict[str, Any]) -> Update:
    """The bot added to a group or removed from it, as Telegram tells it (my_chat_member)."""
    bot = _user({**me, "is_bot": True})
    inside, outside = ChatMemberMember(user=bot), ChatMemberLeft(user=bot)
    added = raw.get("update_type") == "bot_added"
    actor = raw.get("user")  # since November 2026 bot_added names no one: the bot itself
    return Update(
        update_id=update_id,
        my_chat_member=ChatMemberUpdated(
            chat=Chat(id=int(raw["chat_id"]), type="group"),
            from_user=_user(actor) if actor else bot,
            date=_moment(raw.get("timestamp")),
            old_chat_member=outside if added else inside,
            new_chat_member=inside if added else outside,
        ),
    )


def _message(raw: dict[str, Any], message_id: MessageIds) -> Message:
    body = raw.get("body") or {}
    recipient = raw.get("recipient") or {}
    chat_id = int(recipient.get("chat_id") or recipient.get("user_id") or 0)
    dialog = recipient.get("chat_type") in (None, "dialog")
    sender = raw.get("sender")
    fields: dict[str, Any] = {
        "message_id": message_id(chat_id, str(body.get("mid"))),
        "date": _moment(raw.get("timestamp")),
        "chat": Chat(id=chat_id, type="private" if dialog else "group"),
        "from_user": _user(sender) if sender else None,
    }
    text = body.get("text") or None
    for attachment in body.get("attachments") or []:
        kind, payload = attachment.get("type"), attachment.get("payload") or {}
        token = file_id(payload.get("token"), payload.get("url"))
        if kind == "file":
            fields["document"] = Document(
                file_id=token,
                file_unique_id=_unique(payload.get("fileId") or payload.get("token") or token),
                file_name=attachment.get("filename"),
                file_size=attachment.get("size"),
            )
        elif kind == "image":
            fields["photo"] = [
                PhotoSize(
                    file_id=token,
                    file_unique_id=_unique(
                        payload.get("photo_id") or payload.get("token") or token
                    ),
                    width=0,
                    height=0,
                )
            ]
    if "document" in fields or "photo" in fields:
        fields["caption"] = text
    else:
        fields["text"] = text
    return Message(**fields)


def file_id(token: str | None, url: str | None) -> str:
    """A file id of ours for a MAX attachment: its token (to send it again) and its URL (to
    download it), behind the prefix that tells it from Telegram's."""
    return f"{FILE_PREFIX}{token or ''}|{url or ''}"


def file_parts(value: str) -> tuple[str | None, str | None]:
    """(token, URL) of a file id made by `file_id`."""
    token, _, url = value.removeprefix(FILE_PREFIX).partition("|")
    return token or None, url or None


def _unique(value: Any) -> str:
    return f"{FILE_PREFIX}{value}"[:64]


def _user(raw: dict[str, Any]) -> User:
    first = raw.get("first_name") or raw.get("name") or ""
    return User(
        id=int(raw["user_id"]),
        is_bot=bool(raw.get("is_bot")),
        first_name=first,
        last_name=raw.get("last_name"),
        username=raw.get("username"),
    )


def _moment(milliseconds: Any) -> datetime:
    """MAX times are Unix milliseconds."""
    return datetime.fromtimestamp(int(milliseconds or 0) / 1000, tz=UTC)
