"""Which commands each role sees, and publishing them as per-chat menus (setMyCommands)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    MenuButtonDefault,
    MenuButtonWebApp,
    WebAppInfo,
)

from bot import texts
from core.roles import Role

_MANAGER_COMMANDS = (
    "status",
    "review",
    "overdue",
    "report",
    "evidence",
    "upcoming",
    "seminars",
    "plans",
    "people",
    "invite",
    "invites",
    "schools",
    "settings",
    "away",
    "calendar",
)
# About oneself, last in every member's menu: /connect joins their account in the other
# messenger (a newcomer has nothing to connect).
_ABOUT_ME = ("help", "me", "connect")
DASHBOARD_MENU_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR})
# Order matters: it is the order of the menu and of /help.
COMMANDS_BY_ROLE: dict[Role | None, tuple[str, ...]] = {
    None: ("start", "help"),
    Role.OBSERVER: ("status", "report", "calendar", "settings", *_ABOUT_ME),
    Role.CURATOR: ("my", "status", "report", "calendar", "settings", "away", *_ABOUT_ME),
    Role.COORDINATOR: (*_MANAGER_COMMANDS, *_ABOUT_ME),
    Role.ADMIN: (*_MANAGER_COMMANDS, "health", *_ABOUT_ME),  # /health: ops
}


def commands_for(roles: frozenset[Role]) -> list[str]:
    """Union of the roles' commands, in first-seen order; newcomers get the default list."""
    if not roles:
        return list(COMMANDS_BY_ROLE[None])
    seen: dict[str, None] = {}
    for role in Role:  # iterate in a fixed order
        if role in roles:
            seen.update(dict.fromkeys(COMMANDS_BY_ROLE[role]))
    return list(seen)


def _bot_commands(names: list[str]) -> list[BotCommand]:
    return [BotCommand(command=n, description=texts.COMMAND_DESCRIPTIONS[n]) for n in names]


GROUP_COMMANDS = ("status", "link", "unlink", "help")


async def publish_default_menu(bot: Bot) -> None:
    """The menu for people without a role, and the menu of group chats."""
    await bot.set_my_commands(
        _bot_commands(commands_for(frozenset())), scope=BotCommandScopeDefault()
    )
    await bot.set_my_commands(
        _bot_commands(list(GROUP_COMMANDS)), scope=BotCommandScopeAllGroupChats()
    )


async def publish_menu(
    bot: Bot, chat_id: int, roles: frozenset[Role], webapp_url: str | None = None
) -> None:
    """The menu of one private chat, by the person's roles; with a dashboard (WEBAPP_URL),
    coordinators' and admins' menu button opens it."""
    await bot.set_my_commands(
        _bot_commands(commands_for(roles)), scope=BotCommandScopeChat(chat_id=chat_id)
    )
    if webapp_url:
        button: MenuButtonWebApp | MenuButtonDefault = (
            _dashboard_button(webapp_url) if roles & DASHBOARD_MENU_ROLES else MenuButtonDefault()
        )
        await bot.set_chat_menu_button(chat_id=chat_id, menu_button=button)


def _dashboard_button(webapp_url: str) -> MenuButtonWebApp:
    return MenuButtonWebApp(text=texts.MENU_DASHBOARD, web_app=WebAppInfo(url=webapp_url))


async def publish_dashboard_buttons(bot: Bot, chat_ids: list[int], webapp_url: str) -> int:
    """The Панель menu button for these managers (at start: people who had their roles before
    WEBAPP_URL was set get it too); a chat that refuses (blocked meanwhile) is skipped."""
    from aiogram.exceptions import TelegramAPIError

    button = _dashboard_button(webapp_url)
    done = 0
    for chat_id in chat_ids:
        try:
            await bot.set_chat_menu_button(chat_id=chat_id, menu_button=button)
            done += 1
        except TelegramAPIError:
            continue
    return done


def allowed(command: str, roles: frozenset[Role]) -> bool:
    """True if one of `roles` has `command` in its menu."""
    return command in commands_for(roles)
