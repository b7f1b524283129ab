"""Typed setting values: what people write becomes what the planner reads."""

from __future__ import annotations

import pytest

from core.settings import SettingError, parse_value


@pytest.mark.parametrize(
    ("key", "text", "value"),
    [
        ("timezone", "Asia/Yekaterinburg", "Asia/Yekaterinburg"),
        ("timezone", "asia/krasnoyarsk", "Asia/Krasnoyarsk"),
        ("timezone", "Челябинск", "Asia/Yekaterinburg"),
        ("lead_days", "7, 3, 1, 0", [7, 3, 1, 0]),
        ("lead_days", "1 14 1", [14, 1]),
        ("quiet", "22:00-07:30", ["22:00", "07:30"]),
        ("quiet", "нет", ["00:00", "00:00"]),
        ("digest", "Нет", False),
        ("hour", "10", 10),
        ("hour", "8:00", 8),
        ("escalate_after_days", "5", 5),
        ("digest_weekday", "пятница", 4),
    ],
)
def test_values(key: str, text: str, value: object) -> None:
    assert parse_value(key, text) == value


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("timezone", "Марс"),
        ("lead_days", "скоро"),
        ("lead_days", "90"),
        ("quiet", "ночью"),
        ("digest", "может быть"),
        ("hour", "25"),
        ("escalate_after_days", "0"),
        ("digest_weekday", "праздник"),
        ("colour", "синий"),
    ],
)
def test_refusals_name_the_setting(key: str, text: str) -> None:
    with pytest.raises(SettingError) as caught:
        parse_value(key, text)
    assert caught.value.key == key
