"""The MAX emulator against the official schema (OpenAPI 3.0, 0.0.32): the query parameters and
bodies it accepts, and every answer and update it gives, with the documented later changes."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from emulator.max import MaxEmulatorClient, MaxEmulatorServer, MaxRateLimits, spec
from emulator.max.openapi import Validator
from emulator.max.routes import NOT_IMPLEMENTED, REMOVED, ROUTES, Route
from tests.max_harness import MAX_TOKEN, PNG, MaxApi, max_server

IMPLEMENTED = {(r.verb, r.path) for r in ROUTES}
# Every update type the emulator produces (the schema has dialog_* and message_chat_created
# too, which nothing in Kurator's use of MAX causes).
EMITTED = {
    "bot_started",
    "bot_stopped",
    "bot_added",
    "bot_removed",
    "message_created",
    "message_callback",
    "message_edited",
    "message_removed",
    "user_added",
    "user_removed",
    "chat_title_changed",
}


def check(value: Any, schema: dict[str, Any], *, request: bool = False) -> list[str]:
    return Validator(spec.schema()).problems(value, schema, request=request)


# --- what the emulator accepts ---------------------------------------------------------------


def test_the_packaged_schema_is_the_snapshot() -> None:
    info = spec.raw_schema()["info"]
    assert (info["version"], info["license"]["name"]) == ("0.0.32", "Apache 2.0")
    assert spec.raw_schema()["servers"] == [{"url": "https://platform-api2.max.ru"}]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.verb} {r.path}")
def test_each_route_is_a_schema_operation_with_its_parameters(route: Route) -> None:
    assert (route.verb, route.path) in spec.operations()
    described = set(spec.parameters(route.verb, route.path))
    assert route.query <= described, route.query - described  # nothing invented
    assert route.required == spec.required_parameters(route.verb, route.path)
    assert route.required <= route.query


def test_every_operation_is_implemented_or_named_as_left_out() -> None:
    every = set(spec.operations())
    assert every == IMPLEMENTED | NOT_IMPLEMENTED | REMOVED
    assert not IMPLEMENTED & (NOT_IMPLEMENTED | REMOVED) and not NOT_IMPLEMENTED & REMOVED
    assert ("GET", "/chats") in REMOVED  # the changelog: removed in June 2026


def test_the_deviations_change_the_snapshot_where_they_say() -> None:
    """Each documented change still differs from the snapshot (a newer one would drop it)."""
    for deviation in spec.DEVIATIONS:
        doc = copy.deepcopy(spec.raw_schema())
        deviation.apply(doc)
        assert doc != spec.raw_schema(), deviation.where
    assert set(spec.component("ChatType")["enum"]) == {"chat", "dialog", "channel"}


def test_the_validator_catches_bad_objects() -> None:
    user = {
        "user_id": 1,
        "first_name": "a",
        "username": None,
        "is_bot": False,
        "last_activity_time": 1,
        "name": None,
    }
    assert check(user, spec.ref("User")) == []
    assert check({**user, "colour": 1}, spec.ref("User")) == ["$.colour: not in the schema"]
    assert check({k: v for k, v in user.items() if k != "name"}, spec.ref("User")) == [
        "$.name: required"
    ]
    assert check({**user, "user_id": 2**63}, spec.ref("User")) == [
        f"$.user_id: {2**63} is out of int64"
    ]
    assert check({"update_type": "nope", "timestamp": 1}, spec.ref("Update"))
    button = {"type": "callback", "text": "a"}
    assert check(button, spec.ref("Button")) == ["$.payload: required"]
    message: dict[str, Any] = {
        "sender": user,
        "recipient": {"chat_id": 5, "chat_type": "dialog", "user_id": 1},
        "timestamp": 1,
        "body": {"mid": "mid.1", "seq": 1, "text": "a", "attachments": None},
    }
    assert check(message, spec.ref("Message")) == []
    bad = copy.deepcopy(message)
    bad["recipient"]["chat_type"] = "private"
    bad["body"]["seq"] = "1"
    bad["body"]["attachments"] = [{"type": "gif"}]
    bad["body"]["markup"] = [{"type": "bold", "from": 0, "length": 1}]
    assert len(check(bad, spec.ref("Message"))) == 4
    # A request may leave out a required key that is nullable (the docs' own examples do).
    assert check({"text": "hi"}, spec.ref("NewMessageBody"), request=True) == []
    assert check({"text": "hi"}, spec.ref("NewMessageBody")) == [
        "$.attachments: required",
        "$.link: required",
    ]


@pytest.fixture
async def server() -> AsyncIterator[MaxEmulatorServer]:
    async with max_server(MaxRateLimits.off()) as srv:
        yield srv


@pytest.fixture
async def api(server: MaxEmulatorServer) -> AsyncIterator[MaxApi]:
    client = MaxApi(server.url)
    yield client
    await client.close()


def _path(path: str) -> str:
    return path.replace("{chatId}", "-1").replace("{messageId}", "mid.x").replace("{userId}", "1")


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if r.required], ids=lambda r: f"{r.verb} {r.path}"
)
async def test_required_query_parameters_are_enforced(api: MaxApi, route: Route) -> None:
    status, body = await api.call(route.verb, _path(route.path), json={})
    assert status == 400 and body["code"] == "proto.payload"
    assert "Missing required parameter" in body["message"]


_BODIES = sorted(
    (verb, path) for verb, path in IMPLEMENTED if spec.request_body(verb, path) is not None
)


@pytest.mark.parametrize(("verb", "path"), _BODIES)
async def test_bodies_are_checked_against_the_schema(api: MaxApi, verb: str, path: str) -> None:
    query = {name: "1" for name in spec.required_parameters(verb, path)}
    url = _path(path)
    status, body = await api.call(verb, url, query=query)  # no body at all
    assert status == 400 and body["code"] == "proto.payload", body
    status, body = await api.call(verb, url, query=query, json={"invented": True})
    assert status == 400 and "$.invented: not in the schema" in body["message"], body
    described, _ = spec.request_body(verb, path) or ({}, False)
    required = Validator(spec.schema()).resolve(described).get("required", [])
    nullable = {
        name
        for name, prop in Validator(spec.schema()).resolve(described).get("properties", {}).items()
        if prop.get("nullable")
    }
    for name in set(required) - nullable:
        assert f"$.{name}: required" in body["message"], (name, body)


# --- what the emulator answers ------------------------------------------------------------


async def _exercise(
    server: MaxEmulatorServer, api: MaxApi, arrived: asyncio.Event, hook_url: str
) -> list[tuple[Any, dict[str, Any]]]:
    """Use every implemented operation, well and badly; return (object, schema) met aside."""
    seen: list[tuple[Any, dict[str, Any]]] = []  # (object, schema)
    async with MaxEmulatorClient(server.url, bot_token=MAX_TOKEN) as control:
        alice = await control.add_user("Алиса", "Петрова", "alice")
        bob = await control.add_user("Борис")
        await alice.start("invite-code")
        await bob.start()
        await api.ok("GET", "/me")
        dialog = await alice.dialog()
        keyboard = {
            "type": "inline_keyboard",
            "payload": {
                "buttons": [
                    [{"type": "callback", "text": "Готово", "payload": "done:1"}],
                    [{"type": "link", "text": "Сайт", "url": "https://max.ru"}],
                    [{"type": "request_contact", "text": "Телефон"}],
                ]
            },
        }
        message = await api.send(
            "<b>Срок</b> до 10.11",
            user_id=alice.id,
            body={"format": "html", "attachments": [keyboard]},
        )
        mid = message["body"]["mid"]
        await api.send("**Всем**", user_id=bob.id, body={"format": "markdown", "notify": False})
        await api.send("ответ", chat_id=dialog, body={"link": {"type": "reply", "mid": mid}})
        await api.send("пересылка", user_id=bob.id, body={"link": {"type": "forward", "mid": mid}})
        press = asyncio.create_task(alice.press("Готово"))
        updates = await api.updates(timeout=10, types="message_callback")
        callback_id = updates["updates"][0]["callback"]["callback_id"]
        await api.ok(
            "POST",
            "/answers",
            query={"callback_id": callback_id},
            json={"message": {"text": "Принято", "attachments": []}, "notification": "OK"},
        )
        await press
        await api.ok("PUT", "/messages", query={"message_id": mid}, json={"text": "Срок: 11.11"})
        for item in await control.log(dialog):
            seen.append((item["message"], spec.ref("Message")))
        await api.ok("GET", "/messages", query={"chat_id": dialog, "count": 10})
        await api.ok("GET", "/messages", query={"message_ids": [mid]})
        await api.ok("GET", f"/messages/{mid}")
        await api.ok("POST", f"/chats/{dialog}/actions", json={"action": "typing_on"})
        await api.ok("GET", f"/chats/{dialog}")
        # files both ways
        pdf_endpoint = await api.ok("POST", "/uploads", query={"type": "file"})
        async with aiohttp.ClientSession() as http:
            form = aiohttp.FormData()
            form.add_field("data", b"%PDF-1.4", filename="отчёт.pdf")
            async with http.post(pdf_endpoint["url"], data=form) as answer:
                uploaded = await answer.json()
            seen.append((uploaded, spec.ref("UploadedInfo")))
        photo = await api.upload("image", "chart.png", PNG)
        seen.append((photo, spec.ref("PhotoTokens")))
        await api.upload("video", "clip.mp4", b"\x00\x00\x00\x18ftypmp42")
        file_body = {"attachments": [{"type": "file", "payload": {"token": uploaded["token"]}}]}
        await api.call("POST", "/messages", query={"user_id": alice.id}, json=file_body)
        await api.send(user_id=alice.id, body=file_body)
        images = {"type": "image", "payload": {"photos": photo["photos"]}}
        await api.call(
            "POST", "/messages", query={"user_id": alice.id}, json={"attachments": [images]}
        )
        await api.send("график", user_id=alice.id, body={"attachments": [images]})
        await api.send(
            user_id=alice.id,
            body={"attachments": [{"type": "location", "latitude": 55.16, "longitude": 61.4}]},
        )
        await alice.send_document("план.docx", b"PK\x03\x04")
        await alice.send_photo("скан.png", PNG)
        theirs = await alice.send("сообщение")
        await alice.edit(theirs["body"]["mid"], "исправлено")
        await alice.delete(theirs["body"]["mid"])
        # a group and what happens in it
        group = await control.add_group("РМО", [bob], owner=alice)
        await bob.send("в группе", chat_id=group)
        carol = await control.add_user("Карина")
        await control.add_member(group, carol, inviter=alice)
        await control.rename_group(group, "РМО математиков", by=alice)
        await control.remove_member(group, carol.id, admin=alice)
        await api.ok("GET", f"/chats/{group}")
        await api.ok("GET", f"/chats/{group}/members/me")
        await api.ok("GET", f"/chats/{group}/members", query={"count": 2})
        await api.ok("GET", f"/chats/{group}/members", query={"user_ids": [bob.id]})
        second = await control.add_group("Второй", [bob], owner=bob)
        await api.ok("DELETE", f"/chats/{second}/members/me")
        bot_id = (await api.ok("GET", "/me"))["user_id"]
        await control.remove_member(group, bot_id, admin=alice)
        await bob.stop()
        await api.call("POST", "/messages", query={"user_id": bob.id}, json={"text": "403"})
        # the webhook for a while, then polling again
        await api.ok("POST", "/subscriptions", json={"url": hook_url, "secret": "secret-1"})
        await api.ok("GET", "/subscriptions")
        await alice.send("через вебхук")
        await asyncio.wait_for(arrived.wait(), 10)
        await api.ok("DELETE", "/subscriptions", query={"url": hook_url})
        await api.ok("DELETE", "/subscriptions", query={"url": hook_url})  # success false
        await api.ok("DELETE", "/messages", query={"message_id": mid})
        # errors of every kind
        await api.call("GET", "/chats")
        await api.call("GET", "/chats/@channel")
        await api.call("GET", "/messages/mid.nothing")
        await api.call("POST", "/messages", query={"user_id": 1}, json={"text": "x"})
        await api.call("PATCH", "/messages")
        seen.append(((await api.call("GET", "/me", headers={}))[1], spec.ref("Error")))
        await control.set_limits(requests_per_second=1, requests_burst=1)
        await api.call("GET", "/me")
        assert (await api.call("GET", "/me"))[0] == 429
        await control.set_limits(off=True)
        for item in await control.log(group) + await control.log(dialog):
            seen.append((item["message"], spec.ref("Message")))
    return seen


async def test_every_answer_and_update_matches_the_schema(
    server: MaxEmulatorServer, api: MaxApi
) -> None:
    hooks: list[dict[str, Any]] = []
    arrived = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        hooks.append(await request.json())
        arrived.set()
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    hook_url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        seen = await _exercise(server, api, arrived, hook_url)
    finally:
        await runner.cleanup()
    updates = (await api.updates(limit=1000))["updates"]
    problems: list[str] = []
    answered: set[str] = set()
    requests = [r.as_api() for r in server.emulator.bots[MAX_TOKEN].requests]
    for record in requests:
        if record["route"] is None:
            continue
        verb, path = record["route"].split(" ", 1)
        if record["status"] == 200:
            schema = spec.response_schema(verb, path)
            assert schema is not None, record["route"]
            answered.add(record["route"])
        else:
            schema = spec.ref("Error")
        for problem in check(record["response"], schema):
            problems.append(f"{record['route']} {record['status']}: {problem}")
    for value, schema in seen:
        problems += [f"{schema['$ref']}: {p}" for p in check(value, schema)]
    for update in updates + hooks:
        problems += [f"{update['update_type']}: {p}" for p in check(update, spec.ref("Update"))]
    assert problems == [], "\n".join(problems)
    assert answered == {f"{verb} {path}" for verb, path in IMPLEMENTED}
    kinds = {u["update_type"] for u in updates + hooks}
    assert kinds == EMITTED, EMITTED ^ kinds
    assert {r["status"] for r in requests} >= {200, 400, 403, 404, 405, 429, 501}


def test_emitted_update_types_are_the_schemas() -> None:
    assert set(spec.update_types()) >= EMITTED
