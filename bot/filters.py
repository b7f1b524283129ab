"""Handler filters based on the acting user's roles."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from core.dto import UserContext
from core.roles import Role


class HasRole(Filter):
    """Passes when the acting user is active and holds one of the roles."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(
        self, event: TelegramObject, user_ctx: UserContext | None = None, **_: Any
    ) -> bool:
        return bool(user_ctx and user_ctx.is_active and user_ctx.roles & self.roles)
