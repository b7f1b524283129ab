"""People for tests: find a person by their Telegram account, or make one with an account;
a person in either messenger behind one interface (`Person`), for stories run on both."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import pytest
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import accounts
from db.models import Account, User
from emulator import FakeUser
from messengers import MAX, TELEGRAM

# A story marked so runs once in Telegram and once in MAX (the `messenger` fixture in
# tests/conftest.py): its people, made by `world.participant`, use that messenger.
ON_BOTH = pytest.mark.parametrize("messenger", [TELEGRAM, MAX])


class Said(Protocol):
    """A bot message as a person sees it, in either messenger."""

    @property
    def message_id(self) -> int | str: ...
    @property
    def text(self) -> str: ...
    @property
    def buttons(self) -> list[str]: ...
    @property
    def file_names(self) -> list[str]: ...
    @property
    def raw(self) -> dict[str, Any]: ...
    def data_of(self, button: str, /) -> str: ...


class Person(Protocol):
    """A fake person in either messenger (emulator FakeUser or MaxFakeUser)."""

    @property
    def messenger(self) -> str: ...
    @property
    def id(self) -> int: ...
    async def join(self, payload: str, /) -> dict[str, Any]: ...
    async def send(self, text: str, /, *, chat_id: int | None = None) -> dict[str, Any]: ...
    async def upload(
        self,
        *files: Path | tuple[str, bytes],
        kind: str = "document",
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> list[dict[str, Any]]: ...
    async def expect_reply(
        self, contains: str | None = None, /, *, chat_id: int | None = None
    ) -> Said: ...
    async def expect_edit(self, *, chat_id: int | None = None) -> Said: ...
    async def expect_silence(self, *, chat_id: int | None = None, wait: float = 0.3) -> None: ...
    async def catch_up(self) -> None: ...
    async def block(self, *, silent: bool = False) -> None: ...
    async def press(
        self, button: str, message: Any = None, /, *, chat_id: int | None = None
    ) -> dict[str, Any] | None: ...
    async def press_data(self, message: Any, data: str, /) -> dict[str, Any] | None: ...


def said(answer: dict[str, Any] | None) -> str:
    """The text a button press was answered with: Telegram's `text`, MAX's `notification`."""
    if not answer:
        return ""
    return str(answer.get("text") or answer.get("notification") or "")


async def menu_is(person: Person, commands: list[str]) -> None:
    """The person's command menu is `commands` (MAX has no menus: there /help lists them)."""
    if isinstance(person, FakeUser):
        assert await person.menu() == commands


async def person_id(session: AsyncSession, person: Person) -> int:
    """The internal id of a fake person, by their account in their messenger (it must exist)."""
    found = await accounts.user_id_of(session, person.messenger, person.id)
    assert found is not None, f"nobody with {person.messenger} id {person.id}"
    return found


def by_telegram(telegram_id: int) -> Select[User]:
    """SELECT the person whose Telegram account is `telegram_id`."""
    return (
        select(User)
        .join(Account, Account.user_id == User.id)
        .where(Account.messenger == TELEGRAM, Account.external_id == telegram_id)
    )


async def user_id_of(session: AsyncSession, telegram_id: int) -> int:
    """The internal id of the person with this Telegram account (it must exist)."""
    found = await session.scalar(by_telegram(telegram_id))
    assert found is not None, f"nobody with Telegram id {telegram_id}"
    return found.id


def with_account(user: User, telegram_id: int, created_at: datetime) -> list[Any]:
    """The rows to add for a person made directly: the person and their Telegram account."""
    account = Account(
        messenger=TELEGRAM,
        external_id=telegram_id,
        chat_id=telegram_id,
        created_at=created_at,
        user=user,
    )
    return [user, account]
