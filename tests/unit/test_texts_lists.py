"""Lists in messages: every count shown matches what is listed or says how many are left out."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from bot import keyboards, texts


@given(st.lists(st.integers(min_value=0, max_value=3), max_size=40))
def test_upcoming_lists_or_counts_every_reminder_of_a_day(offsets: list[int]) -> None:
    rows = [(date(2020, 11, 27 + o), "deadline", f"Пункт {i}") for i, o in enumerate(offsets)]
    rows.sort(key=lambda r: r[0])
    today = date(2020, 11, 27)
    text = texts.upcoming(rows, 7, today)
    for day in {r[0] for r in rows}:
        count = sum(1 for r in rows if r[0] == day)
        block = text.split(f"<b>{texts.day_month(day, today)}</b> — {count}")[1].split("\n\n")[0]
        listed = block.count("\n• ")
        left = int(block.split("… и ещё ")[1]) if "… и ещё " in block else 0
        assert listed + left == count and listed <= texts.UPCOMING_PER_DAY


def test_items_without_a_direction_have_no_placeholder_punctuation() -> None:
    from core.status import Counts, DirectionStatus, PlanStatus

    counts = Counts(total=2, accepted=1, open=1)
    plan = PlanStatus(
        1, "План мероприятий", counts, [DirectionStatus(None, "", "Без направления", counts)]
    )
    for text in (texts.status([plan]), texts.group_status([plan])):
        assert "Без направления" in text
        assert "—." not in text and ". Без направления" not in text
    buttons = texts.status_buttons(plan.title, [(None, "")], None, False)
    markup = keyboards.status_plans([(1, buttons)])
    assert markup is not None
    labels = [b.text for row in markup.inline_keyboard for b in row]
    assert labels == ["📈", "🏫 Школы"]  # a plan without directions: its schools, no "—"


def test_a_refused_file_counts_its_rows_in_good_russian() -> None:
    assert "в таблице файла 3001 строка," in texts.import_file_error("too_many_rows", 3001).lower()
    assert "3003 строки," in texts.import_file_error("too_many_rows", 3003)
    assert "3011 строк," in texts.import_file_error("too_many_rows", 3011)
    assert "больше 3000 строк," in texts.import_file_error("too_many_rows")


def test_a_person_reads_cities_never_zone_names() -> None:
    from bot.texts import schools_list, settings_view, zone_city, zone_label

    assert zone_city("Asia/Yekaterinburg") == "Екатеринбург"
    assert zone_label("Asia/Yekaterinburg") == " по Екатеринбургу"
    assert zone_city("Asia/Kolkata") == "UTC+5:30" and zone_city("Etc/GMT+3") == "UTC−3"
    assert zone_label("Asia/Tokyo") == " по времени UTC+9"
    listing = schools_list([("Школа № 7", "Europe/Moscow"), ("Лицей", "Asia/Omsk")])
    assert "(Москва)" in listing and "(Омск)" in listing and "Europe" not in listing
    shown = settings_view("Настройки", {"timezone": "Asia/Yekaterinburg", "quiet": ""})
    assert "Екатеринбург" in shown and "Asia/" not in shown
