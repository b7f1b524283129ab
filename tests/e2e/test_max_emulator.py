"""The MAX emulator answers like MAX: auth, long polling, messages, buttons, files, limits."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import inspect
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, unquote

import aiohttp
import pytest
from aiogram.utils.web_app import safe_parse_webapp_init_data

from emulator.client import FakeUser
from emulator.max import MaxEmulatorClient, MaxEmulatorServer, MaxFakeUser, MaxRateLimits
from emulator.max.state import UploadPolicy
from tests.max_harness import MAX_TOKEN, PNG, MaxApi, max_server


@pytest.fixture
async def server() -> AsyncIterator[MaxEmulatorServer]:
    # These tests send faster than two messages a second; the limits have their own test.
    async with max_server(MaxRateLimits.off()) as srv:
        yield srv


@pytest.fixture
async def api(server: MaxEmulatorServer) -> AsyncIterator[MaxApi]:
    client = MaxApi(server.url)
    yield client
    await client.close()


@pytest.fixture
async def control(server: MaxEmulatorServer) -> AsyncIterator[MaxEmulatorClient]:
    async with MaxEmulatorClient(server.url, bot_token=MAX_TOKEN) as client:
        yield client


@pytest.fixture
async def alice(control: MaxEmulatorClient, api: MaxApi) -> MaxFakeUser:
    person = await control.add_user("Алиса", "Петрова", "alice")
    await person.start()
    await confirm_all(api)  # the bot_started above
    return person


async def confirm_all(api: MaxApi) -> list[dict[str, Any]]:
    """Everything pending, confirmed (the next poll starts after it)."""
    batch = await api.updates()
    await api.updates(marker=batch["marker"])
    return list(batch["updates"])


def keyboard(*rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "inline_keyboard", "payload": {"buttons": list(rows)}}


def callback(text: str, payload: str = "p") -> dict[str, Any]:
    return {"type": "callback", "text": text, "payload": payload}


# --- auth and routing --------------------------------------------------------------------


async def test_the_token_goes_in_the_authorization_header(api: MaxApi) -> None:
    me = await api.ok("GET", "/me")
    assert me["is_bot"] is True and me["username"] == "kurator_test_bot"
    status, body = await api.call("GET", "/me", headers={})
    assert (status, body["code"]) == (401, "verify.token")
    status, body = await api.call("GET", "/me", headers={"Authorization": "wrong"})
    assert (status, body["code"]) == (401, "verify.token")
    # The query parameter is no longer accepted (documentation, "Авторизация").
    status, body = await api.call("GET", "/me", headers={}, query={"access_token": MAX_TOKEN})
    assert status == 401 and "query" in body["message"]


async def test_unknown_paths_wrong_verbs_and_left_out_operations(api: MaxApi) -> None:
    assert (await api.call("GET", "/nothing"))[0] == 404
    status, body = await api.call("PATCH", "/messages")
    assert (status, body["code"]) == (405, "method.not.allowed")
    status, body = await api.call("GET", "/chats")  # removed in June 2026
    assert (status, body["code"]) == (404, "not.found")
    status, body = await api.call("GET", "/chats/@somechannel")
    assert (status, body["code"]) == (501, "emulator.not.implemented")
    status, body = await api.call("GET", "/messages", query={"chat_id": 1, "colour": "red"})
    assert status == 400 and "colour" in body["message"]
    assert (await api.call("GET", "/me", query={"v": "0.0.32"}))[0] == 200


# --- updates ---------------------------------------------------------------------------------


async def test_a_deep_link_arrives_as_bot_started_with_its_payload(
    api: MaxApi, control: MaxEmulatorClient
) -> None:
    bob = await control.add_user("Борис")
    started = await bob.start("invite-CODE_123")
    carol = await control.add_user("Карина")
    await carol.start("x" * 513)  # longer payloads are dropped, not passed
    updates = await confirm_all(api)
    assert [u["update_type"] for u in updates] == ["bot_started", "bot_started"]
    assert updates[0]["payload"] == "invite-CODE_123"
    assert updates[0]["chat_id"] == started["chat_id"] != bob.id  # a dialog has its own id
    assert updates[0]["user"]["user_id"] == bob.id
    assert "payload" not in updates[1]
    assert updates[0]["timestamp"] > 10**12  # Unix milliseconds


async def test_the_marker_confirms_and_types_filter(api: MaxApi, alice: MaxFakeUser) -> None:
    await alice.send("раз")
    await alice.send("два")
    first = await api.updates()
    assert [u["message"]["body"]["text"] for u in first["updates"]] == ["раз", "два"]
    again = await api.updates()  # nothing confirmed yet: the same again
    assert len(again["updates"]) == 2
    limited = await api.updates(limit=1)
    assert len(limited["updates"]) == 1
    after_one = await api.updates(marker=limited["marker"])
    assert [u["message"]["body"]["text"] for u in after_one["updates"]] == ["два"]
    await alice.stop()
    only = await api.updates(marker=after_one["marker"], types="bot_stopped")
    assert [u["update_type"] for u in only["updates"]] == ["bot_stopped"]
    assert (await api.updates(marker=only["marker"]))["updates"] == []


async def test_a_long_poll_wakes_when_an_update_arrives(api: MaxApi, alice: MaxFakeUser) -> None:
    poll = asyncio.create_task(api.updates(timeout=30))
    await asyncio.sleep(0)
    await alice.send("привет")
    batch = await asyncio.wait_for(poll, 10)
    assert batch["updates"][0]["message"]["body"]["text"] == "привет"
    assert batch["updates"][0]["user_locale"] == "ru"


# --- messages --------------------------------------------------------------------------------


async def test_messages_have_string_ids_and_int64_chats(api: MaxApi, alice: MaxFakeUser) -> None:
    message = await api.send("Срок до 10.11", user_id=alice.id)
    mid = message["body"]["mid"]
    assert mid.startswith("mid.") and message["recipient"] == {
        "chat_id": await alice.dialog(),
        "chat_type": "dialog",
        "user_id": alice.id,
    }
    seen = await alice.expect_reply("Срок")
    assert seen.message_id == mid
    same = await api.ok("GET", "/messages", query={"chat_id": await alice.dialog()})
    assert same["messages"][0]["body"]["mid"] == mid
    by_id = await api.ok("GET", "/messages", query={"message_ids": [mid, "mid.missing"]})
    assert [m["body"]["mid"] for m in by_id["messages"]] == [mid]
    assert (await api.ok("GET", f"/messages/{mid}"))["body"]["text"] == "Срок до 10.11"


async def test_html_and_markdown_become_text_and_markup(api: MaxApi, alice: MaxFakeUser) -> None:
    html = await api.send(
        '<b>Срок</b> до <a href="https://max.ru">10.11</a>',
        user_id=alice.id,
        body={"format": "html"},
    )
    assert html["body"]["text"] == "Срок до 10.11"
    assert html["body"]["markup"] == [
        {"type": "strong", "from": 0, "length": 4},
        {"type": "link", "from": 8, "length": 5, "url": "https://max.ru"},
    ]
    md = await api.send("**Срок** _скоро_", user_id=alice.id, body={"format": "markdown"})
    assert md["body"]["text"] == "Срок скоро"
    plain = await api.send("**как есть**", user_id=alice.id)
    assert plain["body"]["text"] == "**как есть**" and "markup" not in plain["body"]


@pytest.mark.parametrize(
    ("query", "body", "fragment"),
    [
        ({}, {"text": "x"}, "user_id or chat_id"),
        ({"user_id": 1, "chat_id": 2}, {"text": "x"}, "user_id or chat_id"),
        (None, {"text": "x" * 4001}, "above 4000"),
        (None, {"text": "x", "format": "bbcode"}, "format"),
        (None, {"text": "x", "colour": "red"}, "colour"),
        (None, {"text": None, "attachments": []}, "neither"),
        (None, {"text": "x", "link": {"type": "reply", "mid": "mid.none"}}, "not found"),
    ],
)
async def test_bad_messages_are_refused(
    api: MaxApi, alice: MaxFakeUser, query: Any, body: Any, fragment: str
) -> None:
    status, answer = await api.call(
        "POST", "/messages", query={"user_id": alice.id} if query is None else query, json=body
    )
    assert status == 400 and answer["code"] == "proto.payload"
    assert fragment in answer["message"]


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        ([[callback(str(i)) for i in range(8)]], "1 to 7"),
        ([[{"type": "link", "text": f"{i}", "url": "https://a.ru"} for i in range(4)]], "1 to 3"),
        ([[callback("a")] for _ in range(31)], "1 to 30"),
        ([[callback("a") for _ in range(7)] for _ in range(30)] + [], "at most 210"),
        ([[callback("a", "p" * 1025)]], "above 1024"),
        ([[callback("a" * 129)]], "above 128"),
        ([[{"type": "chat", "text": "a", "chat_title": "t"}]], "not one of"),
        ([[{"type": "link", "text": "a", "url": "ftp://a"}]], "http(s)"),
        ([[{"type": "open_app", "text": "a"}]], "web_app or contact_id"),
        ([[]], "1 to 7"),
    ],
)
async def test_keyboards_follow_the_layout_limits(
    api: MaxApi, alice: MaxFakeUser, rows: Any, fragment: str
) -> None:
    if fragment == "at most 210":
        rows = [[callback("a") for _ in range(7)] for _ in range(30)] + [[callback("b")]]
        fragment = "1 to 30"  # the row count trips first; 210 is checked below
    status, answer = await api.call(
        "POST",
        "/messages",
        query={"user_id": alice.id},
        json={"text": "x", "attachments": [keyboard(*rows)]},
    )
    assert status == 400 and fragment in answer["message"], answer


async def test_a_full_keyboard_and_every_button_type_are_accepted(
    api: MaxApi, alice: MaxFakeUser
) -> None:
    full = [[callback(f"{r}.{c}") for c in range(7)] for r in range(30)]
    await api.send("много", user_id=alice.id, body={"attachments": [keyboard(*full)]})
    kinds = [
        [callback("Готово", "d:1"), {"type": "message", "text": "Да"}],
        [{"type": "link", "text": "Сайт", "url": "https://max.ru"}],
        [
            {
                "type": "open_app",
                "text": "📊 Панель",
                "web_app": "kurator_test_bot",
                "payload": "dash",
            }
        ],
        [{"type": "request_contact", "text": "Телефон"}],
        [{"type": "request_geo_location", "text": "Где я"}],
        [{"type": "clipboard", "text": "Код", "payload": "123"}],
    ]
    message = await api.send("кнопки", user_id=alice.id, body={"attachments": [keyboard(*kinds)]})
    assert message["body"]["attachments"][0]["payload"]["buttons"] == kinds


async def test_a_person_who_never_started_or_stopped_the_bot_is_out_of_reach(
    api: MaxApi, control: MaxEmulatorClient, alice: MaxFakeUser
) -> None:
    stranger = await control.add_user("Незнакомец")
    status, body = await api.call(
        "POST", "/messages", query={"user_id": stranger.id}, json={"text": "x"}
    )
    assert (status, body["code"]) == (404, "chat.not.found")
    await alice.stop()
    status, body = await api.call(
        "POST", "/messages", query={"user_id": alice.id}, json={"text": "x"}
    )
    assert (status, body["code"]) == (403, "chat.denied")
    await alice.start()
    await api.send("снова", user_id=alice.id)


async def test_edit_and_delete_a_message(api: MaxApi, alice: MaxFakeUser) -> None:
    message = await api.send(
        "черновик", user_id=alice.id, body={"attachments": [keyboard([callback("A")])]}
    )
    mid = message["body"]["mid"]
    await alice.expect_reply("черновик")
    assert await api.ok("PUT", "/messages", query={"message_id": mid}, json={"text": "итог"}) == {
        "success": True
    }
    edited = await alice.expect_edit()
    assert edited.text == "итог" and edited.buttons == ["A"]  # attachments kept: null
    await api.ok("PUT", "/messages", query={"message_id": mid}, json={"attachments": []})
    assert (await alice.expect_edit()).buttons == []
    await api.ok("DELETE", "/messages", query={"message_id": mid})
    status, body = await api.call("GET", f"/messages/{mid}")
    assert (status, body["code"]) == (404, "message.not.found")
    theirs = await alice.send("моё")
    status, _ = await api.call(
        "PUT", "/messages", query={"message_id": theirs["body"]["mid"]}, json={"text": "чужое"}
    )
    assert status == 403


# --- buttons ---------------------------------------------------------------------------------


async def test_a_press_is_a_message_callback_answered_by_post_answers(
    api: MaxApi, alice: MaxFakeUser
) -> None:
    sent = await api.send(
        "Сдать?", user_id=alice.id, body={"attachments": [keyboard([callback("Готово", "done:7")])]}
    )
    shown = await alice.expect_reply("Сдать?")
    press = asyncio.create_task(alice.press("Готово", shown))
    update = (await api.updates(timeout=10))["updates"][0]
    assert update["update_type"] == "message_callback"
    assert update["callback"]["payload"] == "done:7"
    assert update["callback"]["user"]["user_id"] == alice.id
    assert update["message"]["body"]["mid"] == sent["body"]["mid"]
    new = {"text": "Принято ✅", "attachments": []}
    await api.ok(
        "POST",
        "/answers",
        query={"callback_id": update["callback"]["callback_id"]},
        json={"message": new, "notification": "Готово"},
    )
    answer = await asyncio.wait_for(press, 10)
    assert answer is not None and answer["notification"] == "Готово"
    assert (await alice.expect_edit()).text == "Принято ✅"
    status, body = await api.call(
        "POST", "/answers", query={"callback_id": "nope"}, json={"notification": "x"}
    )
    assert status == 404
    status, body = await api.call(
        "POST", "/answers", query={"callback_id": update["callback"]["callback_id"]}, json={}
    )
    assert status == 400 and "notification" in body["message"]


async def test_a_press_the_bot_acts_on_without_answering_returns_at_once(
    api: MaxApi, alice: MaxFakeUser
) -> None:
    """MAX needs no answer to a press: the bot's edit ends the wait, not the timeout."""
    rows = [callback("Раз", "1"), callback("Два", "2")]
    sent = await api.send("Выбор", user_id=alice.id, body={"attachments": [keyboard(rows)]})
    shown = await alice.expect_reply("Выбор")
    alice.timeout = 60.0
    for button, answer_too in (("Раз", False), ("Два", True)):
        press = asyncio.create_task(alice.press(button, shown))
        update = (await api.updates(timeout=10))["updates"][0]
        await api.updates(marker=(await api.updates())["marker"])
        mid = sent["body"]["mid"]
        await api.ok("PUT", "/messages", query={"message_id": mid}, json={"text": button})
        if answer_too:  # an answer right after the edit still counts
            callback_id = update["callback"]["callback_id"]
            await api.ok(
                "POST", "/answers", query={"callback_id": callback_id}, json={"notification": "Ок"}
            )
        answer = await asyncio.wait_for(press, 10)
        assert answer == ({"notification": "Ок"} if answer_too else None)


async def test_other_buttons_do_what_a_person_sees(api: MaxApi, alice: MaxFakeUser) -> None:
    rows = [
        [{"type": "message", "text": "Да"}],
        [{"type": "request_contact", "text": "Телефон"}],
        [{"type": "open_app", "text": "Панель", "web_app": "kurator_test_bot", "payload": "p1"}],
        [{"type": "link", "text": "Сайт", "url": "https://max.ru"}],
    ]
    await api.send("Выбор", user_id=alice.id, body={"attachments": [keyboard(*rows)]})
    await alice.expect_reply()
    said = await alice.press("Да")
    assert said is not None and said["message"]["body"]["text"] == "Да"
    contact = await alice.press("Телефон")
    assert contact is not None
    assert contact["message"]["body"]["attachments"][0]["type"] == "contact"
    opened = await alice.press("Панель")
    assert opened is not None and "WebAppData=" in opened["fragment"]
    assert dict(parse_qsl(opened["init_data"]))["start_param"] == "p1"
    assert await alice.press("Сайт") == {"type": "link", "url": "https://max.ru"}
    kinds = [u["update_type"] for u in await confirm_all(api)]
    assert kinds == ["message_created", "message_created"]


async def test_launch_data_is_signed_as_the_documentation_checks_it(
    alice: MaxFakeUser,
) -> None:
    opened = await alice.launch_data(start_param="dash", auth_date=1_796_000_000)
    # dev.max.ru/docs/webapps/validation, step by step, on the address fragment.
    fragment = dict(parse_qsl(opened["fragment"], keep_blank_values=True))
    pairs = parse_qsl(fragment["WebAppData"], keep_blank_values=True)
    assert sorted(k for k, _ in pairs) == ["auth_date", "hash", "query_id", "start_param", "user"]
    received = dict(pairs).pop("hash")
    launch_params = "\n".join(f"{k}={unquote(v)}" for k, v in sorted(pairs) if k != "hash")
    secret = hmac.new(b"WebAppData", MAX_TOKEN.encode(), hashlib.sha256).digest()
    assert hmac.new(secret, launch_params.encode(), hashlib.sha256).hexdigest() == received
    assert f'"id":{alice.id}' in dict(pairs)["user"]
    assert fragment["WebAppPlatform"] and fragment["WebAppVersion"]
    # aiogram's check of Telegram's initData takes MAX's as it is, with MAX's token.
    parsed = safe_parse_webapp_init_data(MAX_TOKEN, opened["init_data"])
    assert parsed.user is not None and parsed.user.id == alice.id
    assert parsed.start_param == "dash"
    with pytest.raises(ValueError, match="signature"):
        safe_parse_webapp_init_data("another-token", opened["init_data"])


# --- files ----------------------------------------------------------------------------------


async def test_an_upload_is_not_ready_at_first_and_then_attaches(
    api: MaxApi, alice: MaxFakeUser, control: MaxEmulatorClient
) -> None:
    uploaded = await api.upload("file", "отчёт.pdf", b"%PDF-1.4 report")
    body = {"attachments": [{"type": "file", "payload": {"token": uploaded["token"]}}]}
    status, answer = await api.call("POST", "/messages", query={"user_id": alice.id}, json=body)
    assert (status, answer["code"]) == (400, "attachment.not.ready")
    message = await api.send(user_id=alice.id, body=body)
    attachment = message["body"]["attachments"][0]
    assert attachment["filename"] == "отчёт.pdf" and attachment["size"] == 15
    async with aiohttp.ClientSession() as http, http.get(attachment["payload"]["url"]) as got:
        assert await got.read() == b"%PDF-1.4 report"
    again = await api.send(user_id=alice.id, body=body)  # a token may be used again
    assert again["body"]["attachments"][0]["payload"]["token"] == uploaded["token"]
    assert (await control.stats())["not_ready"] == 1


async def test_images_video_and_the_upload_rules(api: MaxApi, alice: MaxFakeUser) -> None:
    photo = await api.upload("image", "chart.png", PNG)
    ((_key, token),) = photo["photos"].items()
    images = {"type": "image", "payload": {"photos": photo["photos"]}}
    await api.call(
        "POST", "/messages", query={"user_id": alice.id}, json={"attachments": [images]}
    )  # not ready yet
    sent = await api.send("график", user_id=alice.id, body={"attachments": [images]})
    assert sent["body"]["attachments"][0]["payload"]["token"] == token["token"]
    video = await api.upload("video", "clip.mp4", b"\x00\x00\x00\x18ftypmp42")
    assert video["retval"] == "<retval>1</retval>" and video["token"]
    status, body = await api.call("POST", "/uploads", query={"type": "photo"})
    assert status == 400  # type=photo is no longer supported: image
    endpoint = await api.ok("POST", "/uploads", query={"type": "image"})
    async with aiohttp.ClientSession() as http:
        async with http.post(endpoint["url"], data=b"not an image") as answer:
            assert answer.status == 400
        async with http.post(endpoint["url"], data=PNG) as answer:
            assert answer.status == 200
        async with http.post(endpoint["url"], data=PNG) as answer:
            assert answer.status == 400  # one file per upload URL
    doc = await api.upload("file", "a.txt", b"a")
    alone = [{"type": "file", "payload": {"token": doc["token"]}}, keyboard([callback("x")])]
    status, body = await api.call(
        "POST", "/messages", query={"user_id": alice.id}, json={"attachments": alone}
    )
    assert status == 400 and "only attachment" in body["message"]
    status, body = await api.call(
        "POST",
        "/messages",
        query={"user_id": alice.id},
        json={"attachments": [{"type": "image", "payload": {"token": doc["token"]}}]},
    )
    assert status == 400 and "unknown image token" in body["message"]


async def test_the_not_ready_window_can_be_a_time() -> None:
    now = [100.0]
    async with max_server(
        monotonic=lambda: now[0], uploads=UploadPolicy(not_ready_attempts=0, not_ready_seconds=2.0)
    ) as srv:
        api = MaxApi(srv.url)
        async with MaxEmulatorClient(srv.url, bot_token=MAX_TOKEN) as control:
            person = await control.add_user("Вера")
            await person.start()
            doc = await api.upload("file", "a.txt", b"a")
            body = {"attachments": [{"type": "file", "payload": {"token": doc["token"]}}]}
            for _ in range(2):
                status, _ = await api.call(
                    "POST", "/messages", query={"user_id": person.id}, json=body
                )
                assert status == 400
            now[0] += 2.0
            await api.send(user_id=person.id, body=body)
        await api.close()


async def test_people_send_documents_and_photos(api: MaxApi, alice: MaxFakeUser) -> None:
    await alice.send_document("план.docx", b"PK\x03\x04docx", caption="вот план")
    await alice.send_photo("скан.png", PNG)
    await alice.upload(("a.png", PNG), ("b.png", PNG), kind="photo")
    messages = [u["message"] for u in await confirm_all(api)]
    file = messages[0]["body"]["attachments"][0]
    assert (file["type"], file["filename"], messages[0]["body"]["text"]) == (
        "file",
        "план.docx",
        "вот план",
    )
    async with aiohttp.ClientSession() as http, http.get(file["payload"]["url"]) as got:
        assert await got.read() == b"PK\x03\x04docx"
    assert [a["type"] for a in messages[1]["body"]["attachments"]] == ["image"]
    assert len(messages[2]["body"]["attachments"]) == 2  # several photos: one message


# --- limits ---------------------------------------------------------------------------------


async def test_requests_and_messages_are_rate_limited() -> None:
    frozen = [0.0]  # time stands still: the buckets never refill
    limits = MaxRateLimits(
        requests_per_second=30, requests_burst=5, chat_messages_per_second=2, chat_burst=2
    )
    async with max_server(limits, monotonic=lambda: frozen[0]) as srv:
        api = MaxApi(srv.url)
        async with MaxEmulatorClient(srv.url, bot_token=MAX_TOKEN) as control:
            person = await control.add_user("Гена")
            await person.start()
            await api.send("1", user_id=person.id)
            await api.send("2", user_id=person.id)
            status, body = await api.call(
                "POST", "/messages", query={"user_id": person.id}, json={"text": "3"}
            )
            assert (status, body["code"]) == (429, "too.many.requests")
            await api.ok("GET", "/me")
            await api.ok("GET", "/me")
            status, _ = await api.call("GET", "/me")  # the sixth request of the bot
            assert status == 429
            async with api.http.get(srv.url + "/me", headers={"Authorization": MAX_TOKEN}) as r:
                assert r.status == 429 and int(r.headers["Retry-After"]) >= 1
            stats = await control.stats()
            assert stats["rate_limited"] == 3 and stats["early_retries"] >= 1
            await control.set_limits(off=True)
            await api.send("4", user_id=person.id)
        await api.close()


# --- groups ---------------------------------------------------------------------------------


async def test_a_group_chat_and_its_events(api: MaxApi, control: MaxEmulatorClient) -> None:
    owner = await control.add_user("Ольга", username="olga")
    member = await control.add_user("Мария")
    chat_id = await control.add_group("РМО математиков", [member], owner=owner)
    added = (await confirm_all(api))[0]
    assert added == {
        "update_type": "bot_added",
        "timestamp": added["timestamp"],
        "chat_id": chat_id,
        "is_channel": False,
    }  # no `user` since Nov 2026
    await member.send("Всем привет", chat_id=chat_id)
    newcomer = await control.add_user("Нина")
    await control.add_member(chat_id, newcomer, inviter=owner)
    await control.rename_group(chat_id, "РМО учителей математики", by=owner)
    await control.remove_member(chat_id, newcomer.id, admin=owner)
    kinds = [u["update_type"] for u in await confirm_all(api)]
    assert kinds == ["message_created", "user_added", "chat_title_changed", "user_removed"]
    sent = await api.send("Напоминание", chat_id=chat_id)
    assert sent["recipient"] == {"chat_id": chat_id, "chat_type": "chat", "user_id": None}
    assert (await member.expect_reply("Напоминание", chat_id=chat_id)).chat_id == chat_id
    chat = await api.ok("GET", f"/chats/{chat_id}")
    assert (chat["type"], chat["title"], chat["status"]) == (
        "chat",
        "РМО учителей математики",
        "active",
    )
    me = await api.ok("GET", f"/chats/{chat_id}/members/me")
    assert me["is_admin"] is True
    members = await api.ok("GET", f"/chats/{chat_id}/members")
    assert {m["user_id"] for m in members["members"]} >= {owner.id, member.id}
    await api.ok("POST", f"/chats/{chat_id}/actions", json={"action": "typing_on"})
    assert await control.actions(chat_id) == ["typing_on"]
    bot_id = (await api.ok("GET", "/me"))["user_id"]
    await control.remove_member(chat_id, bot_id, admin=owner)
    assert [u["update_type"] for u in await confirm_all(api)] == ["bot_removed"]
    status, body = await api.call(
        "POST", "/messages", query={"chat_id": chat_id}, json={"text": "x"}
    )
    assert (status, body["code"]) == (403, "chat.denied")


async def test_a_bot_that_is_not_an_admin_hears_nothing_of_a_group(
    api: MaxApi, control: MaxEmulatorClient
) -> None:
    member = await control.add_user("Мария")
    chat_id = await control.add_group("Чат", [member], bot_admin=False)
    await member.send("слышно?", chat_id=chat_id)
    assert [u["update_type"] for u in await confirm_all(api)] == ["bot_added"]
    status, _ = await api.call("GET", f"/chats/{chat_id}/members")
    assert status == 403
    await api.send("но писать можно", chat_id=chat_id)


# --- the record -----------------------------------------------------------------------------


async def test_every_bot_request_is_recorded(
    api: MaxApi, alice: MaxFakeUser, control: MaxEmulatorClient
) -> None:
    await api.send("раз", user_id=alice.id)
    await api.call("POST", "/messages", query={"user_id": alice.id}, json={"text": ""})
    sends = await control.requests(route="POST /messages")
    assert [r["status"] for r in sends] == [200, 400]
    assert sends[0]["query"] == {"user_id": str(alice.id)}
    assert sends[0]["body"] == {"text": "раз"}
    assert sends[0]["response"]["message"]["body"]["text"] == "раз"


def test_the_fake_person_mirrors_telegrams() -> None:
    """Stories written against FakeUser run on MaxFakeUser (the command menu aside)."""

    def public(cls: type) -> set[str]:
        return {
            n
            for n, f in inspect.getmembers(cls, inspect.iscoroutinefunction)
            if not n.startswith("_")
        }

    missing = public(FakeUser) - public(MaxFakeUser) - {"menu"}
    assert not missing, missing
    for name in ("send", "expect_reply", "expect_edit", "press", "upload"):
        telegram = list(inspect.signature(getattr(FakeUser, name)).parameters)
        max_ = list(inspect.signature(getattr(MaxFakeUser, name)).parameters)
        assert telegram == max_, name
