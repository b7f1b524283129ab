"""The sandbox's line grammar, clock arguments and terminal rendering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from sandbox.chats import max_shown, telegram_shown
from sandbox.commands import Line, clock_target, parse_line
from sandbox.render import html_to_plain, html_to_rich, max_to_html, numbered_buttons

ZONE = ZoneInfo("Asia/Yekaterinburg")
NOW = datetime(2020, 11, 2, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", Line("empty")),
        ("# a comment", Line("empty")),
        ("3", Line("press", ("3",))),
        ("/press 3.2", Line("press", ("3.2",))),
        ("15.03", Line("say", ("15.03",))),  # a date typed to the bot, not a button
        ("/as curator2", Line("as", ("curator2",))),
        ("/clock +3d", Line("clock", ("+3d",))),
        ("/file 'отчёт за ноябрь.pdf' фото.jpg", Line("file", ("отчёт за ноябрь.pdf", "фото.jpg"))),
        ("/photos a.png b.png", Line("photos", ("a.png", "b.png"))),
        ("/press ✅ Принять", Line("press", ("✅ Принять",))),
        ("/status", Line("say", ("/status",))),
        ("Приказ подписан", Line("say", ("Приказ подписан",))),
        ("/quit", Line("quit")),
    ],
)
def test_lines(raw: str, expected: Line) -> None:
    assert parse_line(raw) == expected


@pytest.mark.parametrize(
    ("arg", "expected"),
    [
        ("+3d", NOW + timedelta(days=3)),
        ("+2h", NOW + timedelta(hours=2)),
        ("+30m", NOW + timedelta(minutes=30)),
        ("2020-11-09 09:00", datetime(2020, 11, 9, 4, 0, tzinfo=UTC)),
        ("2020-11-09", datetime(2020, 11, 8, 19, 0, tzinfo=UTC)),
    ],
)
def test_clock_targets(arg: str, expected: datetime) -> None:
    assert clock_target(arg, NOW, ZONE) == expected


def test_clock_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="не понял"):
        clock_target("послезавтра", NOW, ZONE)


def test_html_becomes_styles_or_plain_text() -> None:
    html = '<b>Срок</b> &lt;скоро&gt; <i>[важно]</i> <a href="https://e.org/x">план</a>'
    console = Console(
        record=True, width=200, color_system="standard", force_terminal=True, highlight=False
    )
    console.print(html_to_rich(html))
    assert console.export_text(clear=False).strip() == "Срок <скоро> [важно] план (https://e.org/x)"
    assert "\x1b[1m" in console.export_text(styles=True)  # bold survived as an ANSI code
    assert html_to_plain(html) == "Срок <скоро> [важно] план (https://e.org/x)"


def test_buttons_are_numbered_across_rows_and_files_named() -> None:
    message = {
        "message_id": 7,
        "date": 1604289600,
        "reply_markup": {
            "inline_keyboard": [[{"text": "✅ Выполнено"}, {"text": "📎 Отчёт"}], [{"text": "❓"}]]
        },
        "photo": [{"file_id": "small"}, {"file_id": "big"}],
    }
    shown = telegram_shown(message)
    assert numbered_buttons(shown.rows) == ["[1] ✅ Выполнено  [2] 📎 Отчёт", "[3] ❓"]
    assert shown.files == (("big", "photo_7.png"),) and shown.id == "7"
    assert telegram_shown({"message_id": 1}).files == ()


def test_a_max_message_is_shown_as_a_telegram_one() -> None:
    keyboard = [[{"type": "callback", "text": "✅ Принять", "payload": "r:1"}]]
    message = {
        "timestamp": 1604289600123,
        "body": {
            "mid": "mid.0001",
            "seq": 5,
            "text": "Срок: 10 ноября",
            "markup": [{"type": "strong", "from": 0, "length": 5}],
            "attachments": [
                {"type": "file", "payload": {"url": "http://e/_files/abc"}, "filename": "п.pdf"},
                {"type": "inline_keyboard", "payload": {"buttons": keyboard}},
            ],
        },
    }
    shown = max_shown(message)
    assert (shown.id, shown.sent, shown.buttons) == ("mid.0001", 1604289600, ["✅ Принять"])
    assert shown.html == "<b>Срок:</b> 10 ноября" and shown.files == (("abc", "п.pdf"),)


def test_max_markup_nests_and_counts_utf16() -> None:
    # "📎" is two UTF-16 units: the bold word after it starts at unit 3, not 2.
    text = "📎 план <3> https://e.org"
    markup = [
        {"type": "emphasized", "from": 0, "length": 7},
        {"type": "strong", "from": 3, "length": 4},
        {"type": "link", "from": 12, "length": 13, "url": "https://e.org/?a=1&b=2"},
    ]
    html = max_to_html(text, markup)
    assert html == (
        '<i>📎 <b>план</b></i> &lt;3&gt; <a href="https://e.org/?a=1&amp;b=2">https://e.org</a>'
    )
    assert html_to_plain(html) == "📎 план <3> https://e.org (https://e.org/?a=1&b=2)"
