"""The emulator's accepted parameters and returned objects agree with the official Bot API spec."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import ClientSession

from core.clock import ManualClock
from emulator import EmulatorClient
from emulator.methods import METHODS
from emulator.spec import spec, type_fields
from tests.harness import TOKEN


@pytest.fixture
def clock() -> ManualClock:
    """The emulator's behaviour does not depend on the calendar: one fixed moment, so CI's
    extra moments leave these tests out."""
    return ManualClock(datetime(2026, 11, 16, 9, 0, tzinfo=UTC))


_PRIMITIVES = {"Integer", "String", "Boolean", "Float", "True", "InputFile"}


def conforms(value: Any, type_name: str, path: str = "") -> list[str]:
    """Problems found when checking `value` against the spec type `type_name`."""
    if type_name.startswith("Array of "):
        if not isinstance(value, list):
            return [f"{path}: expected array"]
        return [
            p for i, item in enumerate(value) for p in conforms(item, type_name[9:], f"{path}[{i}]")
        ]
    if type_name in _PRIMITIVES:
        return []
    described = spec()["types"].get(type_name)
    if described is None:
        return [f"{path}: unknown type {type_name}"]
    if described["subtypes"]:
        # A union (e.g. ChatMember): the value must fit one of the variants.
        options = [conforms(value, sub, path) for sub in described["subtypes"]]
        return [] if any(not o for o in options) else min(options, key=len)
    fields = type_fields(type_name)
    problems = [f"{path}.{key}: not a field of {type_name}" for key in value if key not in fields]
    problems += [
        f"{path}.{name}: required by {type_name}"
        for name, field in fields.items()
        if field["required"] and name not in value
    ]
    for key, item in value.items():
        if key in fields:
            options = [conforms(item, t, f"{path}.{key}") for t in fields[key]["types"]]
            if all(options):
                problems += options[0]
    return problems


def test_every_emulated_method_and_parameter_exists_in_the_spec() -> None:
    methods = {name.lower(): name for name in spec()["methods"]}
    for implemented in METHODS.values():
        assert implemented.name.lower() in methods, implemented.name
        fields = {f["name"] for f in spec()["methods"][methods[implemented.name.lower()]]["fields"]}
        assert implemented.params <= fields, (implemented.name, implemented.params - fields)
        required = {
            f["name"] for f in spec()["methods"][implemented.name]["fields"] if f["required"]
        }
        assert required <= implemented.params, (implemented.name, required - implemented.params)


def test_the_checker_catches_bad_objects() -> None:
    assert conforms({"id": 1, "is_bot": False}, "User") == [".first_name: required by User"]
    assert conforms({"id": 1, "is_bot": False, "first_name": "a", "colour": 1}, "User")


async def _call(http: ClientSession, url: str, method: str, **params: Any) -> Any:
    async with http.post(f"{url}/bot{TOKEN}/{method}", json=params) as response:
        body = await response.json()
    assert body["ok"], body
    return body["result"]


async def test_returned_objects_and_updates_match_the_spec(server, client: EmulatorClient) -> None:
    await client.set_limits(off=True)
    alice = await client.add_user("Алиса", "Петрова", "alice")
    await alice.send("/start abc")
    await client.add_group("РМО математиков", [alice], added_by=alice)
    keyboard = {
        "inline_keyboard": [
            [
                {"text": "Готово", "callback_data": "d:1"},
                {"text": "Сайт", "url": "https://example.org"},
            ]
        ]
    }
    async with ClientSession() as http:
        url = server.url
        results = {
            "User": await _call(http, url, "getMe"),
            "Message": await _call(
                http,
                url,
                "sendMessage",
                chat_id=alice.id,
                text="<b>Срок</b> до 10.11",
                parse_mode="HTML",
                reply_markup=keyboard,
            ),
        }
        sent_id = results["Message"]["message_id"]
        results["Message#edit"] = await _call(
            http, url, "editMessageText", chat_id=alice.id, message_id=sent_id, text="ok"
        )
        await alice.press_data(_message(results["Message"]), "d:1")
        await alice.upload(("отчёт.pdf", b"%PDF"), caption="вот")
        await alice.upload(("a.png", b"1"), ("b.png", b"2"), kind="photo")
        for kind in ("video", "audio", "voice", "video_note"):  # checked as Update below
            await alice.upload((f"clip.{kind}", kind.encode()), kind=kind)
        updates = await _call(http, url, "getUpdates", timeout=0)
        file_id = next(
            u["message"]["document"]["file_id"]
            for u in updates
            if "document" in u.get("message", {})
        )
        results["File"] = await _call(http, url, "getFile", file_id=file_id)
        results["Message#doc"] = await _call(
            http, url, "sendDocument", chat_id=alice.id, document=file_id, caption="копия"
        )
        results["BotCommand"] = await _call(http, url, "getMyCommands")
        results["WebhookInfo"] = await _call(http, url, "getWebhookInfo")
    for key, value in results.items():
        type_name = key.split("#")[0]
        items = value if isinstance(value, list) else [value]
        for item in items:
            assert conforms(item, type_name) == [], (key, conforms(item, type_name))
    kinds = set()
    for update in updates:
        kinds |= set(update) - {"update_id"}
        assert conforms(update, "Update") == [], conforms(update, "Update")
    assert {"message", "callback_query", "my_chat_member"} <= kinds


def _message(raw: dict[str, Any]) -> Any:
    from emulator import BotMessage

    return BotMessage.of(raw)


@pytest.mark.parametrize(
    "method", ["sendMessage", "sendDocument", "getFile", "answerCallbackQuery", "setMyCommands"]
)
async def test_missing_required_parameters_are_refused(server, method: str) -> None:
    async with (
        ClientSession() as http,
        http.post(f"{server.url}/bot{TOKEN}/{method}", json={}) as response,
    ):
        body = await response.json()
    assert response.status == 400 and body["ok"] is False and body["error_code"] == 400
    assert body["description"].startswith("Bad Request: ")
