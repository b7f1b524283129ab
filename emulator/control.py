"""Control API (/_emulator/...): act as people, read chats, block users, inject faults."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import fields
from typing import Any
from urllib.parse import quote, unquote, urlencode

from aiohttp import BodyPartReader, web

from emulator.errors import ApiError
from emulator.methods import FILE_KINDS, file_object
from emulator.ratelimit import FloodControl, RateLimits
from emulator.state import (
    AFTER_FAULTS,
    BEFORE_FAULTS,
    BotAccount,
    EmuChat,
    Emulator,
    EmuUser,
    FaultPlan,
)

_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?")


def _emu(request: web.Request) -> Emulator:
    from emulator.server import EMULATOR_KEY

    return request.app[EMULATOR_KEY]


def _error(status: int, text: str) -> web.Response:
    return web.json_response({"ok": False, "error": text}, status=status)


def _bot(emu: Emulator, body: dict[str, Any]) -> BotAccount:
    token = body.get("bot_token")
    if token:
        return emu.bots[token]
    if len(emu.bots) != 1:
        raise ApiError(400, "bot_token is required when several bots exist")
    return next(iter(emu.bots.values()))


def _user(emu: Emulator, request: web.Request) -> EmuUser:
    user = emu.users.get(int(request.match_info["user_id"]))
    if user is None:
        raise ApiError(404, "no such user")
    return user


def _chat_for(emu: Emulator, user: EmuUser, body: dict[str, Any]) -> EmuChat:
    chat_id = body.get("chat_id")
    chat = emu.chats[int(chat_id)] if chat_id is not None else emu.chats[user.id]
    if chat.is_group and user.id not in chat.members:
        raise ApiError(403, "user is not a member of this group")
    return chat


async def _deliver(
    emu: Emulator, bot: BotAccount, kind: str, payload: dict[str, Any]
) -> dict[str, Any]:
    update = emu.enqueue_update(bot, kind, payload)
    await emu.notify()
    return update


async def add_bot(request: web.Request) -> web.Response:
    body = await request.json()
    account = _emu(request).add_bot(body["token"], body.get("username", "kurator_test_bot"))
    return web.json_response({"ok": True, "result": account.user.as_api()})


async def add_user(request: web.Request) -> web.Response:
    body = await request.json()
    user = _emu(request).add_user(
        body.get("first_name") or "Пользователь",
        body.get("last_name"),
        body.get("username"),
        body.get("id"),
        body.get("language_code", "ru"),
    )
    return web.json_response({"ok": True, "result": user.as_api()})


async def add_group(request: web.Request) -> web.Response:
    emu = _emu(request)
    body = await request.json()
    bot = _bot(emu, body)
    chat = emu.add_group(
        body.get("title", "Группа"),
        list(body.get("member_ids", [])),
        supergroup=bool(body.get("supergroup")),
    )
    added_by = emu.users.get(int(body["added_by"])) if body.get("added_by") else None
    if body.get("with_bot", True):
        chat.members.add(bot.user.id)
        payload = {
            "chat": chat.as_api(),
            "from": (added_by or bot.user).as_api(),
            "date": int(emu.now()),
            "old_chat_member": {"status": "left", "user": bot.user.as_api()},
            "new_chat_member": {"status": "member", "user": bot.user.as_api()},
        }
        await _deliver(emu, bot, "my_chat_member", payload)
    return web.json_response({"ok": True, "result": chat.as_api()})


async def send(request: web.Request) -> web.Response:
    """A person sends text (commands get a bot_command entity, /start marks the chat started)."""
    emu = _emu(request)
    body = await request.json()
    bot, user = _bot(emu, body), _user(emu, request)
    chat = _chat_for(emu, user, body)
    text = str(body.get("text", ""))
    content: dict[str, Any] = {"text": text}
    match = _COMMAND_RE.match(text)
    if match:
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(match.group(0))}]
        if chat.type == "private" and match.group(0).split("@")[0] == "/start":
            bot.started_by.add(user.id)
    if body.get("reply_to_message_id"):
        replied = chat.messages.get(int(body["reply_to_message_id"]))
        if replied is not None:
            content["reply_to_message"] = replied
    if chat.type == "private" and user.id not in bot.started_by:
        bot.started_by.add(user.id)  # writing to a bot counts as starting it
    message = emu.store_message(chat, user, content)
    await _deliver(emu, bot, "message", message)
    return web.json_response({"ok": True, "result": message})


async def upload(request: web.Request) -> web.Response:
    """A person sends files of one kind (document, photo, video, audio, voice, video_note);
    several files form one media group."""
    emu = _emu(request)
    reader = await request.multipart()
    fields: dict[str, str] = {}
    files: list[tuple[str, str | None, bytes]] = []
    async for part in reader:
        if not isinstance(part, BodyPartReader):
            continue
        if part.filename is not None:
            files.append(
                (
                    unquote(part.filename),
                    part.headers.get("Content-Type"),
                    bytes(await part.read(decode=False)),
                )
            )
        elif part.name:
            fields[part.name] = await part.text()
    bot, user = _bot(emu, fields), _user(emu, request)
    chat = _chat_for(emu, user, fields)
    kind = fields.get("kind", "document")
    if kind not in FILE_KINDS:
        return _error(400, f"unknown kind {kind!r}")
    group_id = emu.new_media_group_id() if len(files) > 1 else None
    messages = []
    for index, (name, mime, data) in enumerate(files):
        stored = emu.store_file(
            data, file_name=name, mime_type=mime, folder=FILE_KINDS[kind][0], kind=kind
        )
        content: dict[str, Any] = {kind: file_object(stored)}
        if group_id:
            content["media_group_id"] = group_id
        if index == 0 and fields.get("caption"):
            content["caption"] = fields["caption"]
        message = emu.store_message(chat, user, content)
        emu.enqueue_update(bot, "message", message)
        messages.append(message)
    await emu.notify()
    return web.json_response({"ok": True, "result": messages})


async def press(request: web.Request) -> web.Response:
    """A person presses an inline button (by callback_data or by its visible text)."""
    emu = _emu(request)
    body = await request.json()
    bot, user = _bot(emu, body), _user(emu, request)
    chat = _chat_for(emu, user, body)
    message = chat.messages.get(int(body["message_id"]))
    if message is None:
        raise ApiError(404, "no such message")
    data = body.get("callback_data")
    if data is None:
        wanted = body.get("text")
        buttons = [
            b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row
        ]
        found = [b for b in buttons if b.get("text") == wanted] or [
            b for b in buttons if wanted and wanted in b.get("text", "")
        ]
        if not found or "callback_data" not in found[0]:
            raise ApiError(404, f"no button {wanted!r} under message {message['message_id']}")
        data = found[0]["callback_data"]
    query_id = emu.new_callback_id()
    query = {
        "id": query_id,
        "from": user.as_api(),
        "message": message,
        "chat_instance": str(abs(chat.id) * 31 + 7),
        "data": data,
    }
    bot.callback_queries[query_id] = {
        "query": query,
        "answer": None,
        "pressed_at": emu.monotonic(),
    }
    await _deliver(emu, bot, "callback_query", query)
    return web.json_response({"ok": True, "result": {"callback_query_id": query_id}})


async def block(request: web.Request) -> web.Response:
    emu = _emu(request)
    body = await request.json() if request.can_read_body else {}
    bot, user = _bot(emu, body), _user(emu, request)
    blocked = request.match_info["action"] == "block"
    (bot.blocked_by.add if blocked else bot.blocked_by.discard)(user.id)
    if body.get("silent"):  # the bot learns of it only from a 403, as after missed updates
        return web.json_response({"ok": True, "result": True})
    # ChatMemberBanned ("kicked") carries until_date (0: for ever), on either side of the change.
    member = {"status": "member", "user": bot.user.as_api()}
    kicked = {"status": "kicked", "user": bot.user.as_api(), "until_date": 0}
    payload = {
        "chat": emu.chats[user.id].as_api(),
        "from": user.as_api(),
        "date": int(emu.now()),
        "old_chat_member": member if blocked else kicked,
        "new_chat_member": kicked if blocked else member,
    }
    await _deliver(emu, bot, "my_chat_member", payload)
    return web.json_response({"ok": True, "result": True})


async def remove_bot(request: web.Request) -> web.Response:
    """Someone removes the bot from a group; with silent=1 the bot learns it only from a 403."""
    emu = _emu(request)
    body = await request.json() if request.can_read_body else {}
    bot = _bot(emu, body)
    chat = emu.chats.get(int(request.match_info["chat_id"]))
    if chat is None or not chat.is_group:
        raise ApiError(400, "chat not found")
    chat.members.discard(bot.user.id)
    if not body.get("silent"):
        by = emu.users.get(int(body["by"])) if body.get("by") else None
        payload = {
            "chat": chat.as_api(),
            "from": (by or bot.user).as_api(),
            "date": int(emu.now()),
            "old_chat_member": {"status": "member", "user": bot.user.as_api()},
            "new_chat_member": {"status": "left", "user": bot.user.as_api()},
        }
        await _deliver(emu, bot, "my_chat_member", payload)
    return web.json_response({"ok": True, "result": True})


async def chat_log(request: web.Request) -> web.Response:
    """Bot actions in a chat after `after` (seq); waits up to `wait` seconds for the first one."""
    emu = _emu(request)
    chat = emu.chats.get(int(request.match_info["chat_id"]))
    if chat is None:
        raise ApiError(404, "no such chat")
    after = int(request.query.get("after", 0))
    wait = min(float(request.query.get("wait", 0)), 60.0)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    async with emu.changed:
        while len(chat.log) <= after and loop.time() < deadline:
            try:
                await asyncio.wait_for(emu.changed.wait(), deadline - loop.time())
            except TimeoutError:
                break
    return web.json_response({"ok": True, "result": chat.log[after:]})


async def chat_message(request: web.Request) -> web.Response:
    emu = _emu(request)
    chat = emu.chats[int(request.match_info["chat_id"])]
    message = chat.messages.get(int(request.match_info["message_id"]))
    return web.json_response({"ok": True, "result": message})


async def callback_answer(request: web.Request) -> web.Response:
    """The bot's answer to a button press; waits up to `wait` seconds for it."""
    emu = _emu(request)
    body = request.query
    bot = _bot(emu, dict(body))
    entry = bot.callback_queries.get(request.match_info["query_id"])
    if entry is None:
        raise ApiError(404, "no such callback query")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(float(body.get("wait", 0)), 60.0)
    async with emu.changed:
        while entry["answer"] is None and not entry.get("refused") and loop.time() < deadline:
            try:
                await asyncio.wait_for(emu.changed.wait(), deadline - loop.time())
            except TimeoutError:
                break
    result = {"refused": "query is too old"} if entry.get("refused") else entry["answer"]
    return web.json_response({"ok": True, "result": result})


async def commands(request: web.Request) -> web.Response:
    """The menu a chat would show: chat scope, else all_private_chats, else default."""
    emu = _emu(request)
    bot = _bot(emu, dict(request.query))
    chat_id = request.query.get("chat_id")
    language = request.query.get("language_code", "")
    keys = []
    if chat_id:
        keys.append(f"chat:{chat_id}")
        keys.append("all_group_chats" if int(chat_id) < 0 else "all_private_chats")
    keys.append("default")
    for key in keys:
        for lang in (language, ""):
            found = bot.commands.get(f"{key}|{lang}")
            if found is not None:
                return web.json_response({"ok": True, "result": {"scope": key, "commands": found}})
    return web.json_response({"ok": True, "result": {"scope": None, "commands": []}})


async def web_app_data(request: web.Request) -> web.Response:
    """Signed Mini App initData for a person, as Telegram passes it to a page opened from a
    web_app button: `init_data` and the URL fragment (`#tgWebAppData=…`). `auth_date` may be
    set (an old one makes expired data); `theme_params` go into the fragment."""
    emu = _emu(request)
    body = await request.json() if request.can_read_body else {}
    bot, user = _bot(emu, body), _user(emu, request)
    init_data = sign_web_app_data(
        bot.token,
        {
            "query_id": f"AAE{user.id:x}{random.getrandbits(32):08x}",
            "user": json.dumps(user.as_api(), ensure_ascii=False, separators=(",", ":")),
            "auth_date": str(int(body.get("auth_date") or emu.now())),
        },
    )
    fragment = urlencode(
        {
            "tgWebAppData": init_data,
            "tgWebAppVersion": "8.0",
            "tgWebAppPlatform": "emulator",
            "tgWebAppThemeParams": json.dumps(body.get("theme_params") or {}),
        },
        quote_via=quote,
    )
    return web.json_response({"ok": True, "result": {"init_data": init_data, "fragment": fragment}})


def sign_web_app_data(token: str, fields: dict[str, str]) -> str:
    """initData signed as Telegram signs it: HMAC-SHA256 of the sorted `key=value` lines with
    the key HMAC-SHA256("WebAppData", bot token)."""
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    signed = {**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()}
    return urlencode(signed, quote_via=quote)


async def menu_button(request: web.Request) -> web.Response:
    """The menu button a private chat shows: its own, else the bot's default."""
    emu = _emu(request)
    bot = _bot(emu, dict(request.query))
    chat_id = int(request.match_info["chat_id"])
    found = bot.menu_buttons.get(chat_id) or bot.menu_buttons.get(None) or {"type": "commands"}
    return web.json_response({"ok": True, "result": found})


async def faults(request: web.Request) -> web.Response:
    emu = _emu(request)
    body = await request.json()
    methods = body.get("methods")
    kinds = tuple(body.get("kinds", ("429", "500", "timeout")))
    unknown = set(kinds) - BEFORE_FAULTS - AFTER_FAULTS
    if unknown or not kinds:
        raise ValueError(
            f"fault kinds {sorted(unknown)} (known: {sorted(BEFORE_FAULTS | AFTER_FAULTS)})"
        )
    emu.faults = FaultPlan(
        rate=float(body.get("rate", 0.0)),
        kinds=kinds,
        methods=frozenset(methods) if methods else None,
        retry_after=int(body.get("retry_after", 1)),
        hang_seconds=float(body.get("hang_seconds", 30.0)),
        seed=body.get("seed"),
        until=emu.now() + float(body["seconds"]) if body.get("seconds") is not None else None,
        left=int(body["count"]) if body.get("count") is not None else None,
    )
    emu.fault_rng = random.Random(body.get("seed"))
    return web.json_response({"ok": True, "result": True})


async def limits(request: web.Request) -> web.Response:
    emu = _emu(request)
    body = await request.json()
    known = {f.name for f in fields(RateLimits)}
    emu.limits = (
        RateLimits.off()
        if body.get("off")
        else RateLimits(**{k: v for k, v in body.items() if k in known})
    )
    for bot in emu.bots.values():
        bot.flood = FloodControl(emu.limits, emu.monotonic)
    return web.json_response({"ok": True, "result": True})


async def stats(request: web.Request) -> web.Response:
    s = _emu(request).stats
    return web.json_response(
        {
            "ok": True,
            "result": {
                "requests": s.requests,
                "sent_messages": s.sent_messages,
                "rate_limited": s.rate_limited,
                "early_retries": s.early_retries,
                "faults": s.faults,
            },
        }
    )


ControlHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _guard(handler: ControlHandler) -> ControlHandler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as exc:
            return _error(exc.code, exc.description)
        except (KeyError, ValueError) as exc:
            return _error(400, f"bad control request: {exc}")

    return wrapped


def register(app: web.Application) -> None:
    """Add the control routes to the emulator app."""
    r = app.router
    r.add_post("/_emulator/bots", _guard(add_bot))
    r.add_post("/_emulator/users", _guard(add_user))
    r.add_post("/_emulator/groups", _guard(add_group))
    r.add_post("/_emulator/groups/{chat_id}/remove_bot", _guard(remove_bot))
    r.add_post("/_emulator/users/{user_id}/send", _guard(send))
    r.add_post("/_emulator/users/{user_id}/upload", _guard(upload))
    r.add_post("/_emulator/users/{user_id}/press", _guard(press))
    r.add_post("/_emulator/users/{user_id}/{action:block|unblock}", _guard(block))
    r.add_get("/_emulator/chats/{chat_id}/log", _guard(chat_log))
    r.add_get("/_emulator/chats/{chat_id}/messages/{message_id}", _guard(chat_message))
    r.add_get("/_emulator/callbacks/{query_id}", _guard(callback_answer))
    r.add_get("/_emulator/commands", _guard(commands))
    r.add_post("/_emulator/users/{user_id}/web_app_data", _guard(web_app_data))
    r.add_get("/_emulator/chats/{chat_id}/menu_button", _guard(menu_button))
    r.add_post("/_emulator/faults", _guard(faults))
    r.add_post("/_emulator/limits", _guard(limits))
    r.add_get("/_emulator/stats", _guard(stats))
