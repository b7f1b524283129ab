"""/invite in chat: role, school, then the link once with a QR code; /invites lists and revokes."""

from __future__ import annotations

import io
from datetime import timedelta

import segno
from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import InviteRevoke, InviteRole, InviteSchool
from bot.filters import HasRole
from bot.middlewares import AfterCommit
from bot.settings import Settings
from core.admin import (
    check_invitation_scope,
    invitable_roles,
    invitation_in_scope,
    schools_in_scope,
)
from core.clock import Clock
from core.codes import parse_duration_seconds
from core.dto import UserContext
from core.errors import NotFound
from core.filenames import document_name
from core.invitations import (
    create_invitation,
    invitation_link,
    list_invitations,
    revoke_invitation,
)
from core.permissions import SCHOOL_ROLES
from core.roles import Role
from core.status import scope_of
from messengers import MAX, TELEGRAM, messenger_of

MANAGERS = HasRole(Role.COORDINATOR, Role.ADMIN)
TTL_DAYS = 14
MAX_DAYS = 90
MAX_USES = 500


def qr_png(link: str) -> bytes:
    """A QR code of the link, large enough to print and scan from paper."""
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=10, border=3)
    return buffer.getvalue()


def _terms(args: str | None) -> tuple[int, int] | None:
    """'/invite 30d 10' -> (30 days, 10 uses); defaults 14 days, one person; None if unreadable."""
    days, uses = TTL_DAYS, 1
    for word in (args or "").split():
        if word.isdigit():
            uses = int(word)
            continue
        try:
            days = max(1, parse_duration_seconds(word) // 86400)
        except ValueError:
            return None
    if not 1 <= uses <= MAX_USES or days > MAX_DAYS:
        return None
    return days, uses


async def start_invite(message: Message, command: CommandObject, user_ctx: UserContext) -> None:
    terms = _terms(command.args)
    if terms is None:
        await message.answer(texts.INVITE_USAGE)
        return
    roles = tuple(r.value for r in invitable_roles(scope_of(user_ctx)))
    await message.answer(
        f"{texts.INVITE_CHOOSE_ROLE}\n{texts.INVITE_USAGE}",
        reply_markup=keyboards.invite_roles(roles, *terms),
    )


async def _role_or_gone(query: CallbackQuery, raw: str) -> Role | None:
    """The role a button names, or None (told to the user) for a forged or retired one."""
    try:
        return Role(raw)
    except ValueError:
        await query.answer(texts.INVITE_GONE, show_alert=True)
        return None


async def pick_role(
    query: CallbackQuery,
    callback_data: InviteRole,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    settings: Settings,
    user_ctx: UserContext,
    after_commit: AfterCommit,
) -> None:
    role = await _role_or_gone(query, callback_data.role)
    if role is None:
        return
    terms = (callback_data.days, callback_data.uses)
    if role not in SCHOOL_ROLES:
        await _create(
            query, session, clock, bot, user_ctx, after_commit, role, None, terms, settings
        )
        return
    schools = await schools_in_scope(session, scope_of(user_ctx))
    await query.answer()
    if isinstance(query.message, Message):
        text, markup = keyboards.school_choice(
            texts.INVITE_CHOOSE_SCHOOL,
            schools,
            lambda school_id: InviteSchool(
                role=role.value,
                school_id=school_id,
                days=callback_data.days,
                uses=callback_data.uses,
            ),
        )
        await query.message.edit_text(text, reply_markup=markup)


async def pick_school(
    query: CallbackQuery,
    callback_data: InviteSchool,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    settings: Settings,
    user_ctx: UserContext,
    after_commit: AfterCommit,
) -> None:
    role = await _role_or_gone(query, callback_data.role)
    if role is None:
        return
    await _create(
        query,
        session,
        clock,
        bot,
        user_ctx,
        after_commit,
        role,
        callback_data.school_id,
        (callback_data.days, callback_data.uses),
        settings,
    )


async def _create(
    query: CallbackQuery,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    user_ctx: UserContext,
    after_commit: AfterCommit,
    role: Role,
    school_id: int | None,
    terms: tuple[int, int],
    settings: Settings,
) -> None:
    days, uses = terms
    try:
        await check_invitation_scope(session, scope_of(user_ctx), role, school_id)
        if not (1 <= uses <= MAX_USES and 1 <= days <= MAX_DAYS):
            raise NotFound("forged terms")
    except NotFound:
        await query.answer(texts.INVITE_GONE, show_alert=True)
        return
    created = await create_invitation(
        session,
        clock,
        role=role,
        school_id=school_id,
        ttl=timedelta(days=days),
        max_uses=uses,
        created_by_id=user_ctx.user_id,
    )
    me = await bot.me()
    here = messenger_of(bot)
    link = invitation_link(me.username or "", created.code, here)
    text = texts.invitation_created(link, texts.ROLE_NAMES[role], created.school_name, days, uses)
    # The same code opens Kurator in the other messenger too, where that bot is known.
    there, name = (
        (MAX, settings.max_bot_username) if here == TELEGRAM else (TELEGRAM, settings.bot_username)
    )
    if name:
        other = invitation_link(name, created.code, there)
        text += texts.invitation_also(texts.MESSENGER_NAMES[there], other)
    qr_name = document_name(
        texts.INVITATION_FILE, "png", texts.ROLE_NAMES[role], created.school_name
    )

    async def deliver() -> None:
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_text(text)
            await query.message.answer_photo(BufferedInputFile(qr_png(link), filename=qr_name))

    after_commit(deliver)


async def show_invites(
    message: Message, session: AsyncSession, clock: Clock, user_ctx: UserContext
) -> None:
    scope = scope_of(user_ctx)
    rows = [
        r
        for r in await list_invitations(session, clock)
        if await invitation_in_scope(session, scope, r.school_id)
    ]
    await message.answer(
        texts.invites_list(rows[:30]),
        reply_markup=keyboards.numbered(
            [(f"✖️ {i}", InviteRevoke(invitation_id=r.id)) for i, r in enumerate(rows[:30], 1)]
        )
        if rows
        else None,
    )


async def revoke(
    query: CallbackQuery,
    callback_data: InviteRevoke,
    session: AsyncSession,
    clock: Clock,
    user_ctx: UserContext,
    after_commit: AfterCommit,
) -> None:
    scope = scope_of(user_ctx)
    found = next(
        (
            r
            for r in await list_invitations(session, clock, include_inactive=True)
            if r.id == callback_data.invitation_id
        ),
        None,
    )
    if found is None or not await invitation_in_scope(session, scope, found.school_id):
        await query.answer(texts.INVITE_GONE, show_alert=True)
        return
    await revoke_invitation(session, clock, found.id, actor_user_id=user_ctx.user_id)
    # Told only once stored: a link tried right after "revoked" must already be refused.
    after_commit(lambda: query.answer(texts.INVITE_REVOKED, show_alert=True))


def build_router() -> Router:
    router = Router(name="invitations")
    router.message.register(start_invite, Command("invite"), MANAGERS)
    router.message.register(show_invites, Command("invites"), MANAGERS)
    router.callback_query.register(pick_role, InviteRole.filter(), MANAGERS)
    router.callback_query.register(pick_school, InviteSchool.filter(), MANAGERS)
    router.callback_query.register(revoke, InviteRevoke.filter(), MANAGERS)
    return router
