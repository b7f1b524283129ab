"""Every user-facing Russian text in one place (ready for translation). HTML parse mode."""

from __future__ import annotations

from html import escape

from core.dto import MembershipInfo, UserContext
from core.roles import RANK, Role

ROLE_NAMES: dict[Role, str] = {
    Role.ADMIN: "администратор",
    Role.COORDINATOR: "координатор",
    Role.CURATOR: "куратор",
    Role.OBSERVER: "наблюдатель",
}

COMMAND_DESCRIPTIONS: dict[str, str] = {
    "start": "Начать работу",
    "help": "Что умеет бот",
    "me": "Мои школы и роли",
    "schools": "Список школ",
}

START_NO_CODE = (
    "Здравствуйте! Я <b>Куратор</b> — помогаю школам и методистам выполнять план-график "
    "вовремя: напоминаю о сроках и семинарах, принимаю отчёты и показываю общий статус.\n\n"
    "Чтобы присоединиться, откройте ссылку-приглашение, которую вам прислал координатор "
    "или администратор (она выглядит как t.me/…?start=…). Если ссылки нет — попросите её "
    "у своего координатора."
)

INVITATION_ERRORS: dict[str, str] = {
    "invitation_unknown": (
        "Эта ссылка-приглашение не найдена. Проверьте, что она скопирована целиком, "
        "или попросите у координатора новую."
    ),
    "invitation_expired": "Срок действия этого приглашения истёк. Попросите у координатора новое.",
    "invitation_revoked": "Это приглашение отозвано. Попросите у координатора новое.",
    "invitation_used_up": (
        "Это приглашение уже использовано. Каждая ссылка работает ограниченное число раз — "
        "попросите у координатора свою."
    ),
}

NOT_MEMBER = (
    "Вы пока не подключены ни к одной школе. Откройте ссылку-приглашение от координатора, "
    "чтобы начать."
)
DEACTIVATED = "Ваш доступ к боту отключён. Если это ошибка, обратитесь к координатору."
NO_PERMISSION = "Эта команда вам недоступна."
UNKNOWN_COMMAND = "Не знаю такой команды. Список команд — /help."
GENERIC_ERROR = "Что-то пошло не так. Попробуйте ещё раз чуть позже."
NO_SCHOOLS = "Школ пока нет."


def role_name(role: Role) -> str:
    return ROLE_NAMES[role]


def _where(m: MembershipInfo) -> str:
    parts = [escape(p) for p in (m.school_name, m.plan_title, m.direction_title) if p]
    return ", ".join(parts) if parts else "все школы"


def greeting(name: str | None, membership: MembershipInfo, already: bool) -> str:
    """Welcome after redeeming an invitation: names the school and the role."""
    hello = f"Здравствуйте, {escape(name)}!" if name else "Здравствуйте!"
    role = role_name(membership.role)
    place = _where(membership)
    if already:
        return f"{hello} Вы уже подключены: <b>{role}</b> — {place}.\n\nСписок команд — /help."
    return (
        f"{hello} Вы подключены как <b>{role}</b>: {place}.\n\n"
        "Я буду напоминать о сроках и семинарах. Список команд — /help."
    )


def membership_lines(context: UserContext) -> str:
    lines = [
        f"• <b>{role_name(m.role)}</b> — {_where(m)}"
        for m in sorted(context.memberships, key=lambda m: RANK[m.role])
    ]
    return "\n".join(lines)


def me(context: UserContext) -> str:
    """/me: the person's roles."""
    if not context.memberships:
        return NOT_MEMBER
    name = escape(context.full_name or "")
    return f"<b>{name}</b>\nВаши роли:\n{membership_lines(context)}"


def help_text(commands: list[str], context: UserContext | None) -> str:
    """/help: commands available to this person, then how to join if they have no role."""
    lines = [f"/{c} — {COMMAND_DESCRIPTIONS[c]}" for c in commands]
    head = "<b>Куратор</b> — напоминания о сроках плана, отчёты и статус.\n\n"
    body = "Команды:\n" + "\n".join(lines)
    if context is None or not context.memberships:
        body += "\n\n" + NOT_MEMBER
    else:
        body += "\n\nВаши роли:\n" + membership_lines(context)
    return head + body


def schools_list(rows: list[tuple[str, str | None]]) -> str:
    """/schools: name and time zone per line."""
    if not rows:
        return NO_SCHOOLS
    lines = [f"• {escape(name)}" + (f" ({escape(tz)})" if tz else "") for name, tz in rows]
    return f"<b>Школы ({len(rows)})</b>\n" + "\n".join(lines)
