"""Control API (/_emulator/...): act as people, read what bots did, set limits and policies."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import fields
from typing import Any
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from emulator.max import launch
from emulator.max.attachments import media_attachment
from emulator.max.errors import MaxApiError
from emulator.max.ratelimit import MaxRateLimits
from emulator.max.state import (
    CallbackEntry,
    MaxBot,
    MaxChat,
    MaxEmulator,
    MaxUser,
    Member,
    UploadPolicy,
    WebhookPolicy,
)

JSON = dict[str, Any]
MAX_START_PAYLOAD = 512  # longer deep-link payloads are dropped, not passed (the description)


class ControlError(Exception):
    """A control request that cannot be done."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status


def _emu(request: web.Request) -> MaxEmulator:
    from emulator.max.server import EMULATOR_KEY

    return request.app[EMULATOR_KEY]


def _wake(request: web.Request) -> None:
    from emulator.max.server import WEBHOOKS_KEY

    request.app[WEBHOOKS_KEY].ensure_all()


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


async def _json(request: web.Request) -> JSON:
    if not request.can_read_body:
        return {}
    body = await request.json()
    if not isinstance(body, dict):
        raise ControlError(400, "a JSON object is expected")
    return body


def _bot(emu: MaxEmulator, body: JSON) -> MaxBot:
    token = body.get("bot_token")
    if token:
        if token not in emu.bots:
            raise ControlError(404, "no such bot")
        return emu.bots[token]
    if len(emu.bots) != 1:
        raise ControlError(400, "bot_token is required when there is not exactly one bot")
    return next(iter(emu.bots.values()))


def _user(emu: MaxEmulator, request: web.Request) -> MaxUser:
    user = emu.users.get(int(request.match_info["user_id"]))
    if user is None or user.is_bot:
        raise ControlError(404, "no such user")
    return user


def _group(emu: MaxEmulator, request: web.Request) -> MaxChat:
    chat = emu.chats.get(int(request.match_info["chat_id"]))
    if chat is None or chat.is_dialog:
        raise ControlError(404, "no such group")
    return chat


def _chat(emu: MaxEmulator, bot: MaxBot, user: MaxUser, body: JSON) -> MaxChat:
    """The chat a person acts in: `chat_id` (a group they are in), else their dialog."""
    chat_id = body.get("chat_id")
    if chat_id is None:
        return emu.dialog(bot, user)
    chat = emu.chats.get(int(chat_id))
    if chat is None:
        raise ControlError(404, "no such chat")
    if chat.is_dialog and chat.dialog_user != user.user_id:
        raise ControlError(403, "not this person's dialog")
    if not chat.is_dialog and user.user_id not in chat.members:
        raise ControlError(403, "the person is not a member of this group")
    return chat


async def _started(emu: MaxEmulator, bot: MaxBot, user: MaxUser, payload: str | None) -> JSON:
    """bot_started: the person pressed Start or opened a deep link."""
    chat = emu.dialog(bot, user)
    bot.stopped_by.discard(user.user_id)
    bot.started_by.add(user.user_id)
    fields_: JSON = {"chat_id": chat.chat_id, "user": user.as_api(emu.now_ms())}
    if payload is not None and len(payload) <= MAX_START_PAYLOAD:
        fields_["payload"] = payload
    fields_["user_locale"] = user.locale
    update = emu.enqueue(bot, "bot_started", fields_)
    await emu.notify()
    return {"chat_id": chat.chat_id, "update": update}


async def _say(
    emu: MaxEmulator,
    bot: MaxBot,
    user: MaxUser,
    chat: MaxChat,
    text: str | None,
    attachments: list[JSON] | None = None,
    link: JSON | None = None,
) -> JSON:
    """A person's message in a chat, delivered to the bots that watch it."""
    if chat.is_dialog and user.user_id not in bot.started_by:
        await _started(emu, bot, user, None)  # MAX opens a bot with Start before any message
    message = emu.store_message(chat, user, text, attachments, None, link)
    update: JSON = {"message": message}
    if chat.is_dialog:
        update["user_locale"] = user.locale
    emu.broadcast(chat, "message_created", update)
    await emu.notify()
    return message


async def add_bot(request: web.Request) -> web.Response:
    body = await _json(request)
    bot = _emu(request).add_bot(
        body["token"],
        body.get("username", "kurator_test_bot"),
        body.get("first_name", "Куратор"),
        body.get("user_id"),
    )
    return _ok(bot.user.as_api(_emu(request).now_ms()))


async def add_user(request: web.Request) -> web.Response:
    emu = _emu(request)
    body = await _json(request)
    user = emu.add_user(
        body.get("first_name") or "Пользователь",
        body.get("last_name"),
        body.get("username"),
        body.get("user_id"),
        body.get("locale") or "ru",
    )
    return _ok(user.as_api(emu.now_ms()))


async def start(request: web.Request) -> web.Response:
    """The person opens the bot: Start, or a deep link https://max.ru/<bot>?start=<payload>."""
    emu = _emu(request)
    body = await _json(request)
    result = await _started(emu, _bot(emu, body), _user(emu, request), body.get("payload"))
    _wake(request)
    return _ok(result)


async def stop(request: web.Request) -> web.Response:
    """The person stops the bot in its settings: bot_stopped; the bot's messages get 403."""
    emu = _emu(request)
    body = await _json(request)
    bot, user = _bot(emu, body), _user(emu, request)
    chat = emu.dialog(bot, user)
    bot.stopped_by.add(user.user_id)
    if not body.get("silent"):  # silent: the bot learns it only from a 403, as after a gap
        user_api = user.as_api(emu.now_ms())
        fields_ = {"chat_id": chat.chat_id, "user": user_api, "user_locale": user.locale}
        emu.enqueue(bot, "bot_stopped", fields_)
        await emu.notify()
    _wake(request)
    return _ok({"chat_id": chat.chat_id})


async def send(request: web.Request) -> web.Response:
    """The person writes text (in their dialog unless `chat_id`); `reply_to` quotes a mid."""
    emu = _emu(request)
    body = await _json(request)
    bot, user = _bot(emu, body), _user(emu, request)
    chat = _chat(emu, bot, user, body)
    link = None
    if body.get("reply_to"):
        found = emu.find_message(str(body["reply_to"]))
        if found is None:
            raise ControlError(404, "no such message to reply to")
        quoted = found[1]
        link = {"type": "reply", "sender": quoted["sender"], "message": quoted["body"]}
    message = await _say(emu, bot, user, chat, str(body.get("text", "")), None, link)
    _wake(request)
    return _ok(message)


async def upload(request: web.Request) -> web.Response:
    """The person sends files: `kind` file (a message each) or image (one message, <= 12)."""
    emu = _emu(request)
    form: JSON = {}
    files: list[tuple[str, str | None, bytes]] = []
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader):
            continue
        if part.filename is not None:
            data = bytes(await part.read(decode=False))
            files.append((unquote(part.filename), part.headers.get("Content-Type"), data))
        elif part.name:
            form[part.name] = await part.text()
    bot, user = _bot(emu, form), _user(emu, request)
    chat = _chat(emu, bot, user, form)
    kind = form.get("kind", "file")
    if kind not in ("file", "image") or not files:
        raise ControlError(400, "kind file or image, and at least one file")
    stored = [media_attachment(emu, emu.store_media(kind, d, n, m)) for n, m, d in files]
    text = form.get("text") or None
    if kind == "image":
        messages = [await _say(emu, bot, user, chat, text, stored)]
    else:
        messages = [
            await _say(emu, bot, user, chat, text if i == 0 else None, [attachment])
            for i, attachment in enumerate(stored)
        ]
    _wake(request)
    return _ok(messages)


def _buttons(message: JSON) -> list[JSON]:
    return [
        button
        for attachment in message["body"].get("attachments") or []
        if attachment["type"] == "inline_keyboard"
        for row in attachment["payload"]["buttons"]
        for button in row
    ]


async def press(request: web.Request) -> web.Response:
    """The person presses a button of a bot message, by its text or with a raw payload."""
    emu = _emu(request)
    body = await _json(request)
    user = _user(emu, request)
    found = emu.find_message(str(body["message_id"]))
    if found is None:
        raise ControlError(404, "no such message")
    chat, message = found
    owner = emu.bot_by_id(message["sender"]["user_id"])
    if owner is None:
        raise ControlError(400, "only a bot's message has buttons")
    _chat(emu, owner, user, {"chat_id": chat.chat_id})
    if "payload" in body:
        button: JSON = {"type": "callback", "text": "", "payload": body["payload"]}
    else:
        wanted = str(body.get("text", ""))
        buttons = _buttons(message)
        matches = [b for b in buttons if b["text"] == wanted] or [
            b for b in buttons if wanted and wanted in b["text"]
        ]
        if not matches:
            raise ControlError(404, f"no button {wanted!r} under {message['body']['mid']}")
        button = matches[0]
    result = await _pressed(emu, owner, user, chat, message, button)
    _wake(request)
    return _ok(result)


async def _pressed(
    emu: MaxEmulator, bot: MaxBot, user: MaxUser, chat: MaxChat, message: JSON, button: JSON
) -> JSON:
    kind = button["type"]
    if kind == "callback":
        entry = CallbackEntry(
            secrets.token_urlsafe(48),
            user.user_id,
            chat.chat_id,
            message["body"]["mid"],
            button.get("payload"),
            log_seq=len(chat.log),
        )
        bot.callbacks[entry.callback_id] = entry
        callback = {
            "timestamp": emu.now_ms(),
            "callback_id": entry.callback_id,
            "payload": entry.payload,
            "user": user.as_api(emu.now_ms()),
        }
        update = {"callback": callback, "message": message, "user_locale": user.locale}
        emu.enqueue(bot, "message_callback", update)
        await emu.notify()
        return {"type": kind, "callback_id": entry.callback_id}
    if kind == "message":
        return {"type": kind, "message": await _say(emu, bot, user, chat, button["text"])}
    if kind == "request_contact":
        contact = {
            "type": "contact",
            "payload": {"vcf_info": _vcard(user), "max_info": user.as_api(emu.now_ms())},
        }
        return {"type": kind, "message": await _say(emu, bot, user, chat, None, [contact])}
    if kind == "request_geo_location":
        place = {"type": "location", "latitude": 55.16, "longitude": 61.4}
        return {"type": kind, "message": await _say(emu, bot, user, chat, None, [place])}
    if kind == "open_app":
        opened = _launch(emu, bot, user, button.get("payload"), None)
        return {"type": kind, **opened}
    if kind == "link":
        return {"type": kind, "url": button["url"]}
    return {"type": kind, "copied": button.get("payload")}


def _vcard(user: MaxUser) -> str:
    phone = f"+7900{user.user_id % 10**7:07d}"
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{user.name}\r\nTEL;TYPE=cell:{phone}\r\nEND:VCARD"


def _launch(
    emu: MaxEmulator,
    bot: MaxBot,
    user: MaxUser,
    start_param: str | None,
    auth_date: int | None,
) -> JSON:
    person = {
        "id": user.user_id,
        "first_name": user.first_name,
        "last_name": user.last_name or "",
        "username": user.username or "",
        "language_code": user.locale,
        "photo_url": "",
    }
    fields_ = launch.launch_fields(
        person,
        auth_date=auth_date if auth_date is not None else emu.now_ms() // 1000,
        query_id=secrets.token_hex(16),
        start_param=start_param,
    )
    data = launch.sign_launch_data(bot.token, fields_)
    return {"init_data": data, "fragment": launch.fragment(data)}


async def launch_app(request: web.Request) -> web.Response:
    """Signed launch data of the bot's Mini App opened by the person (as from open_app)."""
    emu = _emu(request)
    body = await _json(request)
    bot, user = _bot(emu, body), _user(emu, request)
    return _ok(_launch(emu, bot, user, body.get("start_param"), body.get("auth_date")))


async def edit(request: web.Request) -> web.Response:
    """The person edits their message: message_edited."""
    emu = _emu(request)
    body = await _json(request)
    user = _user(emu, request)
    found = emu.find_message(str(body["message_id"]))
    if found is None or found[1]["sender"]["user_id"] != user.user_id:
        raise ControlError(404, "no such message of this person")
    chat, message = found
    message["body"] = {**message["body"], "text": str(body.get("text", ""))}
    emu.broadcast(chat, "message_edited", {"message": message})
    await emu.notify()
    _wake(request)
    return _ok(message)


async def delete(request: web.Request) -> web.Response:
    """The person deletes their message: message_removed."""
    emu = _emu(request)
    body = await _json(request)
    user = _user(emu, request)
    found = emu.find_message(str(body["message_id"]))
    if found is None or found[1]["sender"]["user_id"] != user.user_id:
        raise ControlError(404, "no such message of this person")
    chat, message = found
    mid = message["body"]["mid"]
    del chat.messages[mid]
    fields_ = {"message_id": mid, "chat_id": chat.chat_id, "user_id": user.user_id}
    emu.broadcast(chat, "message_removed", fields_)
    await emu.notify()
    _wake(request)
    return _ok(True)


async def add_group(request: web.Request) -> web.Response:
    """A group chat; the bot is added (bot_added, an administrator unless bot_admin false)."""
    emu = _emu(request)
    body = await _json(request)
    bot = _bot(emu, body)
    owner = emu.users.get(int(body["owner_id"])) if body.get("owner_id") else None
    members = [emu.users[int(i)] for i in body.get("member_ids", [])]
    with_bot = body.get("with_bot", True)
    chat = emu.add_group(
        body.get("title", "Группа"),
        owner,
        [m for m in members if m is not owner],
        bot=bot if with_bot else None,
        bot_admin=body.get("bot_admin", True),
    )
    if with_bot:
        emu.enqueue(bot, "bot_added", {"chat_id": chat.chat_id, "is_channel": False})
        await emu.notify()
        _wake(request)
    return _ok({"chat_id": chat.chat_id, "title": chat.title})


async def add_member(request: web.Request) -> web.Response:
    """A person joins a group (user_added; inviter_id null when by link), or the bot does."""
    emu = _emu(request)
    body = await _json(request)
    chat = _group(emu, request)
    user = emu.users[int(body["user_id"])]
    chat.members[user.user_id] = Member(
        user.user_id, emu.now_ms(), is_admin=bool(body.get("admin", user.is_bot))
    )
    if user.is_bot:
        bot = emu.bot_by_id(user.user_id)
        chat.gone_bots.pop(user.user_id, None)
        if bot is not None:
            emu.enqueue(bot, "bot_added", {"chat_id": chat.chat_id, "is_channel": False})
    else:
        inviter = body.get("inviter_id")
        update = {
            "chat_id": chat.chat_id,
            "user": user.as_api(emu.now_ms()),
            "inviter_id": inviter,
            "is_channel": False,
        }
        emu.broadcast(chat, "user_added", update)
    await emu.notify()
    _wake(request)
    return _ok(True)


async def remove_member(request: web.Request) -> web.Response:
    """A person leaves or is removed (user_removed); the bot removed gets bot_removed."""
    emu = _emu(request)
    body = await _json(request)
    chat = _group(emu, request)
    user = emu.users[int(request.match_info["member_id"])]
    if user.user_id not in chat.members:
        raise ControlError(404, "not a member")
    by = body.get("admin_id")
    if user.is_bot:
        bot = emu.bot_by_id(user.user_id)
        del chat.members[user.user_id]
        chat.gone_bots[user.user_id] = "removed"
        if bot is not None:
            actor = emu.users.get(int(by)) if by else None
            update: JSON = {"chat_id": chat.chat_id, "is_channel": False}
            update["user"] = (actor or user).as_api(emu.now_ms())
            emu.enqueue(bot, "bot_removed", update)
    else:
        update = {"chat_id": chat.chat_id, "user": user.as_api(emu.now_ms()), "is_channel": False}
        if by:
            update["admin_id"] = int(by)
        emu.broadcast(chat, "user_removed", update)  # the bots still in the chat hear it
        del chat.members[user.user_id]
    await emu.notify()
    _wake(request)
    return _ok(True)


async def rename(request: web.Request) -> web.Response:
    """Someone renames a group: chat_title_changed."""
    emu = _emu(request)
    body = await _json(request)
    chat = _group(emu, request)
    user = emu.users[int(body["user_id"])]
    chat.title = str(body["title"])
    update = {"chat_id": chat.chat_id, "user": user.as_api(emu.now_ms()), "title": chat.title}
    emu.broadcast(chat, "chat_title_changed", update)
    await emu.notify()
    _wake(request)
    return _ok(True)


async def _wait(emu: MaxEmulator, ready: Callable[[], bool], seconds: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(seconds, 60.0)
    async with emu.changed:
        while not ready() and loop.time() < deadline:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(emu.changed.wait(), deadline - loop.time())


async def chat_log(request: web.Request) -> web.Response:
    """What bots did in a chat after `after` (seq); waits up to `wait` s for the first."""
    emu = _emu(request)
    chat = emu.chats.get(int(request.match_info["chat_id"]))
    if chat is None:
        raise ControlError(404, "no such chat")
    after = int(request.query.get("after", 0))
    await _wait(emu, lambda: len(chat.log) > after, float(request.query.get("wait", 0)))
    return _ok(chat.log[after:])


async def chat_actions(request: web.Request) -> web.Response:
    emu = _emu(request)
    chat = emu.chats.get(int(request.match_info["chat_id"]))
    if chat is None:
        raise ControlError(404, "no such chat")
    return _ok(chat.actions)


async def callback(request: web.Request) -> web.Response:
    """The answers a bot gave a press. Waits up to `wait` s for the first, or for the bot to
    act in the chat (MAX needs no answer to a press): then up to `grace` s more for one."""
    emu = _emu(request)
    entry = next(
        (
            bot.callbacks[cid]
            for bot in emu.bots.values()
            if (cid := request.match_info["callback_id"]) in bot.callbacks
        ),
        None,
    )
    if entry is None:
        raise ControlError(404, "no such callback")
    chat = emu.chats[entry.chat_id]

    def acted() -> bool:
        return bool(entry.answers) or len(chat.log) > entry.log_seq

    await _wait(emu, acted, float(request.query.get("wait", 0)))
    if not entry.answers:
        await _wait(emu, lambda: bool(entry.answers), float(request.query.get("grace", 0)))
    return _ok(entry.answers)


async def requests(request: web.Request) -> web.Response:
    """Every Bot API request of a bot after `after` (seq), optionally of one route."""
    emu = _emu(request)
    bot = _bot(emu, dict(request.query))
    after = int(request.query.get("after", 0))
    route = request.query.get("route")
    found = [r.as_api() for r in bot.requests[after:] if route is None or r.route == route]
    return _ok(found)


async def subscription(request: web.Request) -> web.Response:
    """The bot's webhook subscription; with `gone=1`, waits up to `wait` s for it to end."""
    emu = _emu(request)
    bot = _bot(emu, dict(request.query))
    if request.query.get("gone"):
        await _wait(emu, lambda: bot.subscription is None, float(request.query.get("wait", 0)))
    found = bot.subscription
    return _ok(found.as_api() if found else None)


async def dialog(request: web.Request) -> web.Response:
    emu = _emu(request)
    bot = _bot(emu, dict(request.query))
    user = _user(emu, request)
    return _ok({"chat_id": bot.dialogs.get(user.user_id)})


async def limits(request: web.Request) -> web.Response:
    emu = _emu(request)
    body = await _json(request)
    known = {f.name for f in fields(MaxRateLimits)}
    chosen = (
        MaxRateLimits.off()
        if body.get("off")
        else MaxRateLimits(**{k: v for k, v in body.items() if k in known})
    )
    emu.set_limits(chosen)
    return _ok(True)


async def upload_policy(request: web.Request) -> web.Response:
    emu = _emu(request)
    body = await _json(request)
    known = {f.name for f in fields(UploadPolicy)}
    emu.upload_policy = UploadPolicy(**{k: v for k, v in body.items() if k in known})
    return _ok(True)


async def webhook_policy(request: web.Request) -> web.Response:
    emu = _emu(request)
    body = await _json(request)
    known = {f.name for f in fields(WebhookPolicy)}
    emu.webhook_policy = WebhookPolicy(**{k: v for k, v in body.items() if k in known})
    return _ok(True)


async def stats(request: web.Request) -> web.Response:
    return _ok(_emu(request).stats.as_api())


ControlHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _guard(handler: ControlHandler) -> ControlHandler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ControlError as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=exc.status)
        except MaxApiError as exc:
            return web.json_response({"ok": False, "error": exc.message}, status=exc.status)
        except (KeyError, ValueError, TypeError) as exc:
            text = f"bad control request: {exc!r}"
            return web.json_response({"ok": False, "error": text}, status=400)

    return wrapped


def register(app: web.Application) -> None:
    """Add the control routes to the emulator app."""
    r = app.router
    base = "/_emulator"
    r.add_post(f"{base}/bots", _guard(add_bot))
    r.add_post(f"{base}/users", _guard(add_user))
    r.add_post(f"{base}/users/{{user_id}}/start", _guard(start))
    r.add_post(f"{base}/users/{{user_id}}/stop", _guard(stop))
    r.add_post(f"{base}/users/{{user_id}}/send", _guard(send))
    r.add_post(f"{base}/users/{{user_id}}/upload", _guard(upload))
    r.add_post(f"{base}/users/{{user_id}}/press", _guard(press))
    r.add_post(f"{base}/users/{{user_id}}/edit", _guard(edit))
    r.add_post(f"{base}/users/{{user_id}}/delete", _guard(delete))
    r.add_post(f"{base}/users/{{user_id}}/launch", _guard(launch_app))
    r.add_get(f"{base}/users/{{user_id}}/dialog", _guard(dialog))
    r.add_post(f"{base}/groups", _guard(add_group))
    r.add_post(f"{base}/groups/{{chat_id}}/members", _guard(add_member))
    r.add_post(f"{base}/groups/{{chat_id}}/members/{{member_id}}/remove", _guard(remove_member))
    r.add_post(f"{base}/groups/{{chat_id}}/title", _guard(rename))
    r.add_get(f"{base}/chats/{{chat_id}}/log", _guard(chat_log))
    r.add_get(f"{base}/chats/{{chat_id}}/actions", _guard(chat_actions))
    r.add_get(f"{base}/callbacks/{{callback_id}}", _guard(callback))
    r.add_get(f"{base}/requests", _guard(requests))
    r.add_get(f"{base}/subscription", _guard(subscription))
    r.add_post(f"{base}/limits", _guard(limits))
    r.add_post(f"{base}/uploads", _guard(upload_policy))
    r.add_post(f"{base}/webhooks", _guard(webhook_policy))
    r.add_get(f"{base}/stats", _guard(stats))
