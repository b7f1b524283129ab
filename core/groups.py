"""Group chats linked to a plan direction: linking, totals without school names, weekly status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import Clock
from core.errors import NotFound
from core.outbox import insert_outbox
from core.reminder_policy import ReminderPolicy, at_hour, resolve_zone
from core.states import OutboxStatus
from core.status import PlanStatus, Scope, plan_status
from db.models import ChatLink, Direction, OutboxMessage, Plan
from messengers import TELEGRAM


@dataclass(frozen=True)
class LinkInfo:
    link_id: int
    plan_id: int
    direction_id: int | None
    label: str


async def link_chat(
    session: AsyncSession,
    clock: Clock,
    *,
    scope: Scope,
    actor_user_id: int,
    chat_id: int,
    title: str | None,
    plan_id: int,
    direction_id: int | None,
    messenger: str,
) -> LinkInfo:
    """Link a group to a plan's direction (None: the whole plan); linking twice is harmless."""
    plan = await session.get(Plan, plan_id)
    direction = await session.get(Direction, direction_id) if direction_id else None
    if (
        plan is None
        or plan.archived_at is not None
        or (direction_id is not None and (direction is None or direction.plan_id != plan_id))
        or not scope.covers(plan_id, direction_id)
    ):
        raise NotFound(f"no plan {plan_id} / direction {direction_id} in scope")
    link = await session.scalar(
        select(ChatLink).where(
            ChatLink.messenger == messenger,
            ChatLink.chat_id == chat_id,
            ChatLink.plan_id == plan_id,
            ChatLink.direction_id.is_(None)
            if direction_id is None
            else ChatLink.direction_id == direction_id,
        )
    )
    if link is None:
        link = ChatLink(
            messenger=messenger,
            chat_id=chat_id,
            title=(title or "")[:255] or None,
            plan_id=plan_id,
            direction_id=direction_id,
            linked_by_id=actor_user_id,
            created_at=clock.now(),
        )
        session.add(link)
        await session.flush()
        audit.record(
            session,
            clock,
            actor_user_id=actor_user_id,
            action="chat.link",
            entity_type="chat_link",
            entity_id=link.id,
            after={
                "messenger": messenger,
                "chat_id": chat_id,
                "plan_id": plan_id,
                "direction_id": direction_id,
            },
        )
    return LinkInfo(link.id, plan_id, direction_id, _label(plan, direction))


def _label(plan: Plan, direction: Direction | None) -> str:
    if direction is None:
        return plan.title
    return f"{direction.code}. {direction.title}"


async def links_of(session: AsyncSession, chat_id: int, messenger: str) -> list[LinkInfo]:
    """What a group (of that messenger) is linked to."""
    rows = await session.execute(
        select(ChatLink, Plan, Direction)
        .join(Plan, Plan.id == ChatLink.plan_id)
        .outerjoin(Direction, Direction.id == ChatLink.direction_id)
        .where(ChatLink.messenger == messenger, ChatLink.chat_id == chat_id)
        .order_by(ChatLink.id)
    )
    return [
        LinkInfo(link.id, plan.id, link.direction_id, _label(plan, direction))
        for link, plan, direction in rows
    ]


async def unlink_chat(
    session: AsyncSession,
    clock: Clock,
    chat_id: int,
    actor_user_id: int | None,
    messenger: str,
) -> int:
    """Forget every link of a group (the bot was removed, or a coordinator asked)."""
    links = await links_of(session, chat_id, messenger)
    if not links:
        return 0
    await session.execute(
        delete(ChatLink).where(ChatLink.messenger == messenger, ChatLink.chat_id == chat_id)
    )
    audit.record(
        session,
        clock,
        actor_user_id=actor_user_id,
        action="chat.unlink",
        entity_type="chat",
        entity_id=None,
        before={
            "messenger": messenger,
            "chat_id": chat_id,
            "links": [link.link_id for link in links],
        },
    )
    return len(links)


async def group_status(
    session: AsyncSession, chat_id: int, now: datetime, default_zone: str, messenger: str
) -> list[PlanStatus]:
    """Totals of the linked directions only: no school is named in a shared chat."""
    result: dict[int, PlanStatus] = {}
    for link in await links_of(session, chat_id, messenger):
        scope = Scope.of_plan(link.plan_id, link.direction_id)
        for status in await plan_status(session, scope, now, default_zone, behind=0):
            status.behind = []
            known = result.get(status.plan_id)
            if known is None:
                result[status.plan_id] = status
            else:
                seen = {d.direction_id for d in known.directions}
                known.directions += [d for d in status.directions if d.direction_id not in seen]
    return list(result.values())


async def plan_weekly_status(
    session: AsyncSession, since: datetime, until: datetime, now: datetime
) -> int:
    """Queue each linked group's weekly status (plan's digest day and hour) within the window."""
    rows = await session.execute(
        select(ChatLink.messenger, ChatLink.chat_id, Plan.timezone, Plan.settings)
        .join(Plan, Plan.id == ChatLink.plan_id)
        .where(Plan.archived_at.is_(None))
    )
    chats: dict[tuple[str, int], tuple[str, ReminderPolicy]] = {}
    for messenger, chat_id, zone, settings in rows:
        chats.setdefault(
            (messenger, chat_id),
            (zone, ReminderPolicy().merged((settings or {}).get("reminders"))),
        )
    existing = set(
        await session.scalars(
            select(OutboxMessage.dedupe_key).where(
                OutboxMessage.kind == "group_status",
                OutboxMessage.scheduled_at >= since,
                OutboxMessage.scheduled_at < until,
            )
        )
    )
    queued = 0
    fresh: list[OutboxMessage] = []
    for (messenger, chat_id), (zone_name, policy) in chats.items():
        zone = resolve_zone(zone_name)
        day: date = since.astimezone(zone).date()
        while day <= until.astimezone(zone).date():
            moment = at_hour(day, zone, policy)
            # Telegram's keys stay as they were before MAX; a MAX group's name its messenger.
            chat_key = chat_id if messenger == TELEGRAM else f"{messenger}:{chat_id}"
            key = f"group_status:{chat_key}:{day.isoformat()}"
            if (
                day.weekday() == policy.digest_weekday
                and since <= moment < until
                and key not in existing
            ):
                stale = moment + timedelta(hours=8) <= now
                fresh.append(
                    OutboxMessage(
                        dedupe_key=key,
                        kind="group_status",
                        target_type="chat",
                        target_id=None,
                        recipient_user_id=None,
                        messenger=messenger,
                        chat_id=chat_id,
                        scheduled_at=moment,
                        not_after=moment + timedelta(hours=8),
                        payload={"tz": zone.key, "day": day.isoformat()},
                        status=OutboxStatus.SKIPPED if stale else OutboxStatus.PENDING,
                        attempts=0,
                        created_at=now,
                    )
                )
                queued += 0 if stale else 1
            day += timedelta(days=1)
    await insert_outbox(session, fresh)
    return queued
