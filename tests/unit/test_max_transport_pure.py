"""MAX transport's pure parts: keyboards and formats out, updates in, checked against the
MAX Bot API schema (../shared/max, the snapshot the emulator is checked against too)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo
from hypothesis import given
from hypothesis import strategies as st

import emulator.max
from messengers import MAX, TELEGRAM, messenger_of
from messengers.max.markup import keyboard, text_format
from messengers.max.updates import FILE_PREFIX, file_parts, key_of, to_update

# The schema snapshot the MAX emulator ships (a copy of ../shared/max): what MAX accepts.
SCHEMA = Path(emulator.max.__file__).resolve().parent / "max_bot_api.json"
SCHEMAS: dict[str, Any] = json.loads(SCHEMA.read_text(encoding="utf-8"))["components"]["schemas"]


def _fields(name: str) -> tuple[dict[str, Any], set[str]]:
    """A component's properties and required names, with its allOf parts merged."""
    schema = SCHEMAS[name]
    props: dict[str, Any] = {}
    required: set[str] = set(schema.get("required", []))
    for part in [schema, *schema.get("allOf", [])]:
        if "$ref" in part:
            more, need = _fields(part["$ref"].rsplit("/", 1)[-1])
            props |= more
            required |= need
        props |= part.get("properties", {})
        required |= set(part.get("required", []))
    return props, required


def _valid(name: str, value: dict[str, Any]) -> None:
    props, required = _fields(name)
    assert required <= set(value), (name, required - set(value))
    # The snapshot requires some names it does not describe (MessageBody.link): allowed too.
    assert set(value) <= set(props) | required, (name, set(value) - set(props))
    for key, item in value.items():
        spec = props.get(key, {})
        if isinstance(item, str) and spec.get("maxLength") is not None:
            assert len(item) <= spec["maxLength"], (name, key)
        if isinstance(item, str) and spec.get("minLength"):
            assert len(item) >= spec["minLength"], (name, key)


BUTTONS = {"callback": "CallbackButton", "link": "LinkButton", "open_app": "OpenAppButton"}

APP = WebAppInfo(url="https://k.example/app/?plan=1")
texts = st.text(min_size=1, max_size=200).filter(lambda t: t.strip())
buttons = st.one_of(
    st.builds(lambda t, d: InlineKeyboardButton(text=t, callback_data=d), texts,
              st.text(min_size=1, max_size=64)),
    st.builds(lambda t: InlineKeyboardButton(text=t, url="https://example.org/a"), texts),
    st.builds(lambda t: InlineKeyboardButton(text=t, web_app=APP), texts),
)  # fmt: skip


@given(st.lists(st.lists(buttons, min_size=1, max_size=4), min_size=1, max_size=6))
def test_every_keyboard_becomes_buttons_max_accepts(rows: list[list[InlineKeyboardButton]]) -> None:
    found = keyboard(InlineKeyboardMarkup(inline_keyboard=rows), app="kurator_bot")
    assert found is not None and found["type"] == "inline_keyboard"
    _valid("InlineKeyboardAttachmentRequestPayload", found["payload"])
    assert [len(r) for r in found["payload"]["buttons"]] == [len(r) for r in rows]
    for row, sent in zip(rows, found["payload"]["buttons"], strict=True):
        for button, out in zip(row, sent, strict=True):
            _valid(BUTTONS[out["type"]], out)
            assert out["text"] == button.text[:128]
            if button.callback_data is not None:
                assert out == {
                    "type": "callback",
                    "text": out["text"],
                    "payload": button.callback_data,
                }


def test_a_web_app_button_opens_the_bots_mini_app_with_its_address_as_the_start_parameter() -> None:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="📊 Открыть панель",
                                               web_app=WebAppInfo(url="https://k.example/app/?plan=2&direction=5"))]]
    )  # fmt: skip
    found = keyboard(markup, app="kurator_bot")
    assert found is not None
    assert found["payload"]["buttons"] == [
        [{"type": "open_app", "text": "📊 Открыть панель", "web_app": "kurator_bot",
          "payload": "plan=2&direction=5"}]
    ]  # fmt: skip
    # Without the bot's public name there is nothing to open: the button is left out.
    assert keyboard(markup, app=None) is None
    assert keyboard(None) is None


def test_formats_and_the_transport_of_a_bot() -> None:
    assert text_format("HTML") == "html" and text_format("MarkdownV2") == "markdown"
    assert text_format(None) is None

    class Session:
        messenger = MAX

    class Bot:
        session = Session()

    assert messenger_of(Bot()) == MAX and messenger_of(object()) == TELEGRAM


def _user(uid: int = 501, name: str = "Алиса") -> dict[str, Any]:
    user = {
        "user_id": uid,
        "first_name": name,
        "last_name": "Кураторова",
        "username": None,
        "is_bot": False,
        "last_activity_time": 1604300000000,
        "name": f"{name} Кураторова",
    }
    _valid("User", user)
    return user


def _message(text: str | None, attachments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {
        "sender": _user(),
        "recipient": {"chat_id": 9001, "chat_type": "dialog", "user_id": None},
        "timestamp": 1604300000123,
        "body": {
            "mid": "mid.0000abc",
            "seq": 1,
            "text": text,
            "attachments": attachments,
            "link": None,
        },
    }
    _valid("Message", message)
    _valid("MessageBody", message["body"])
    return message


class Ids:
    """Integer ids for MAX message ids, as the transport's table gives them."""

    def __init__(self) -> None:
        self.known: dict[tuple[int, str], int] = {}

    def __call__(self, chat_id: int, mid: str) -> int:
        return self.known.setdefault((chat_id, mid), len(self.known) + 1)


def test_a_text_message_becomes_a_telegram_message_with_stable_ids() -> None:
    raw = {"update_type": "message_created", "timestamp": 1604300000123, "message": _message("/my")}
    _valid("MessageCreatedUpdate", raw)
    ids = Ids()
    update = to_update(raw, 7, ids)
    assert update is not None and update.message is not None
    message = update.message
    assert (message.text, message.chat.id, message.chat.type) == ("/my", 9001, "private")
    assert message.from_user is not None and message.from_user.first_name == "Алиса"
    assert message.date.timestamp() == 1604300000.123
    again = to_update(raw, 7, ids)
    assert again is not None and again.message is not None
    assert again.message.message_id == message.message_id
    assert key_of(raw) == "message_created:mid.0000abc"


def test_a_file_and_a_photo_arrive_as_a_document_and_a_photo_with_the_caption() -> None:
    document = {"type": "file", "payload": {"url": "https://files.max/1", "token": "tok1"},
                "filename": "приказ.pdf", "size": 2048}  # fmt: skip
    _valid("FileAttachment", document)
    update = to_update({"update_type": "message_created", "timestamp": 1,
                        "message": _message("вот приказ", [document])}, 1, Ids())  # fmt: skip
    assert update is not None and update.message is not None and update.message.document
    assert file_parts(update.message.document.file_id) == ("tok1", "https://files.max/1")
    assert update.message.document.file_id.startswith(FILE_PREFIX)
    assert update.message.document.file_name == "приказ.pdf"
    assert update.message.caption == "вот приказ" and update.message.text is None
    photo = {"type": "image", "payload": {"photo_id": 77, "token": "tok2", "url": "https://p/2"}}
    _valid("PhotoAttachment", photo)
    update = to_update({"update_type": "message_created", "timestamp": 1,
                        "message": _message(None, [photo])}, 2, Ids())  # fmt: skip
    assert update is not None and update.message is not None and update.message.photo
    assert file_parts(update.message.photo[-1].file_id) == ("tok2", "https://p/2")


def test_a_press_becomes_a_callback_query_on_its_message() -> None:
    raw: dict[str, Any] = {
        "update_type": "message_callback",
        "timestamp": 1604300001000,
        "callback": {
            "timestamp": 1604300001000,
            "callback_id": "cb.42",
            "payload": "my:open",
            "user": _user(),
        },
        "message": _message("Ваши пункты"),
    }
    _valid("MessageCallbackUpdate", raw)
    _valid("Callback", raw["callback"])
    ids = Ids()
    shown = ids(9001, "mid.0000abc")
    update = to_update(raw, 3, ids)
    assert update is not None and update.callback_query is not None
    query = update.callback_query
    assert (query.id, query.data, query.from_user.id) == ("cb.42", "my:open", 501)
    assert query.message is not None and query.message.message_id == shown
    assert key_of(raw) == "cb:cb.42"


def test_start_from_a_deep_link_is_start_with_the_payload() -> None:
    raw = {"update_type": "bot_started", "timestamp": 5, "chat_id": 9001, "user": _user(),
           "payload": "invite-code-123"}  # fmt: skip
    _valid("BotStartedUpdate", raw)
    update = to_update(raw, 4, Ids())
    assert update is not None and update.message is not None
    assert update.message.text == "/start invite-code-123"
    plain = to_update({**raw, "payload": None}, 5, Ids())
    assert plain is not None and plain.message is not None and plain.message.text == "/start"
    assert to_update({"update_type": "chat_title_changed", "timestamp": 1}, 6, Ids()) is None
    # Two links opened in one millisecond are two starts; the same one twice is one.
    assert key_of(raw) != key_of({**raw, "payload": "link-abc"})
    assert key_of(raw) == key_of(dict(raw))
