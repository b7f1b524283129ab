"""The dashboard's pure parts: cell letters, rows and totals, short names, initData and links."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import matrix
from core.states import AssignmentStatus
from emulator.control import sign_web_app_data
from web import links
from web.auth import NotAuthorized, from_header, session_token, telegram_user_id

TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TOKEN = "42:unit-test-token"


@pytest.mark.parametrize(
    ("status", "due", "code"),
    [
        (AssignmentStatus.OPEN, None, "n"),
        (AssignmentStatus.OPEN, TODAY, "n"),  # due today is not late yet
        (AssignmentStatus.OPEN, TODAY + timedelta(days=1), "n"),
        (AssignmentStatus.OPEN, TODAY - timedelta(days=1), "o"),
        (AssignmentStatus.RETURNED, TODAY, "r"),
        (AssignmentStatus.RETURNED, TODAY - timedelta(days=1), "o"),
        (AssignmentStatus.SUBMITTED, TODAY - timedelta(days=9), "s"),  # sent in time or late
        (AssignmentStatus.ACCEPTED, TODAY - timedelta(days=9), "a"),
        (AssignmentStatus.CANCELLED, TODAY - timedelta(days=9), "-"),
    ],
)
def test_cell_code(status: AssignmentStatus, due: date | None, code: str) -> None:
    assert matrix.cell_code(status, due, TODAY) == code


items = st.lists(
    st.tuples(
        st.integers(0, 29),
        st.sampled_from(list(AssignmentStatus)),
        st.one_of(st.none(), st.integers(-10, 10).map(lambda d: TODAY + timedelta(days=d))),
    ),
    max_size=40,
    unique_by=lambda item: item[0],  # one item per school and activity
)


@given(items)
def test_a_row_counts_each_applicable_cell_once(
    found: list[tuple[int, AssignmentStatus, date | None]],
) -> None:
    row = matrix.build_row(
        7, "МАОУ «Лицей № 3»", "Лицей № 3", 30,
        (matrix.Item(c, 100 + c, s, d) for c, s, d in found), TODAY,
    )  # fmt: skip
    assert len(row.line) == 30 and len(row.dues) == 30
    assert row.totals.applicable == len(row.line) - row.line.count("-")
    for code in "nsaro":
        assert row.totals.counts[code] == row.line.count(code)
    mentioned = {c for c, _, _ in found}
    assert all(row.codes[c] == "-" for c in range(30) if c not in mentioned)
    assert row.totals.as_dict()["total"] == row.totals.applicable
    assert matrix.matches(row.codes, None)
    for code in "nsaro":
        assert matrix.matches(row.codes, code) == (code in row.line)


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("ОО № 17", "ОО № 17"),
        ("МАОУ «Лицей № 3»", "Лицей № 3"),
        ("МАОУ «СОШ № 21 г. Челябинска»", "СОШ № 21"),
        ("Муниципальное бюджетное общеобразовательное учреждение «Средняя школа № 5»", "СШ № 5"),
        ("МАОУ «Гимназия № 2 имени А.С. Пушкина»", "Гимназия № 2"),
        (
            "Муниципальное автономное общеобразовательное учреждение средняя "
            "общеобразовательная школа № 12 г. Тюмени",
            "МАОУСОШ № 12",
        ),
    ],
)
def test_abbreviate(name: str, short: str) -> None:
    assert matrix.abbreviate(name) == short


@given(st.text(min_size=1, max_size=120))
def test_abbreviate_fits_the_column(name: str) -> None:
    short = matrix.abbreviate(name)
    assert short == name if len(name) <= 14 else len(short) <= 14


def _init_data(user_id: int = 777, auth_date: datetime = NOW, **extra: str) -> str:
    user = json.dumps({"id": user_id, "first_name": "Ольга"}, ensure_ascii=False)
    fields = {"query_id": "AAE1", "user": user, "auth_date": str(int(auth_date.timestamp()))}
    return sign_web_app_data(TOKEN, {**fields, **extra})


def test_init_data_signed_with_the_token_names_the_person() -> None:
    assert telegram_user_id(TOKEN, _init_data(), NOW + timedelta(minutes=59)) == 777


@pytest.mark.parametrize(
    "init_data",
    [
        None,
        "",
        "user=%7B%22id%22%3A1%7D&auth_date=1&hash=00",
        _init_data().replace("777", "778"),  # another person, same signature
        sign_web_app_data("43:other-bot", {"auth_date": str(int(NOW.timestamp())), "user": "{}"}),
    ],
)
def test_forged_or_missing_init_data_is_refused(init_data: str | None) -> None:
    with pytest.raises(NotAuthorized):
        telegram_user_id(TOKEN, init_data, NOW)


def test_old_or_future_init_data_is_refused() -> None:
    with pytest.raises(NotAuthorized, match="expired"):
        telegram_user_id(TOKEN, _init_data(), NOW + timedelta(hours=1, seconds=1))
    with pytest.raises(NotAuthorized, match="expired"):
        telegram_user_id(TOKEN, _init_data(auth_date=NOW + timedelta(hours=1)), NOW)
    no_user = sign_web_app_data(TOKEN, {"auth_date": str(int(NOW.timestamp()))})
    with pytest.raises(NotAuthorized):
        telegram_user_id(TOKEN, no_user, NOW)


def test_authorization_header() -> None:
    assert from_header("tma a=1&b=2") == "a=1&b=2"
    assert from_header("Bearer x") is None and from_header(None) is None
    assert session_token("Bearer abc") == "abc" and session_token("bearer abc") == "abc"
    assert session_token("tma a=1") is None and session_token("Bearer ") is None


def test_file_links_are_personal_and_short_lived() -> None:
    query = dict(pair.split("=") for pair in links.file_query(TOKEN, 5, 777, NOW).split("&"))
    assert links.check(TOKEN, 5, query, NOW + timedelta(minutes=9)) == 777
    assert links.check(TOKEN, 5, query, NOW + timedelta(minutes=11)) is None  # expired
    assert links.check(TOKEN, 6, query, NOW) is None  # another file
    assert links.check("43:other", 5, query, NOW) is None
    assert links.check(TOKEN, 5, {**query, "u": "778"}, NOW) is None  # another person
    assert links.check(TOKEN, 5, {"u": "x"}, NOW) is None
