"""Every callback the bot defines, pressed with ids of objects the presser must not reach.

For each role (a plan coordinator, a curator, an observer, a switched-off curator, someone with
no role) and each callback prefix of `bot.callbacks`, the test presses the button with forged
ids of another plan's and another school's objects (and, for the observer and the switched-off
curator, of their own school's, which they may not change), then asserts that the whole
database is unchanged and that none of the other plan's words reached the presser's chat.
A new callback prefix without an entry in ACTIONS fails the test.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import callbacks
from bot.cli_admin import EVERYTHING
from bot.pacing import PaceLimits
from bot.texts import GENERIC_ERROR
from core import admin
from core.clock import ManualClock
from core.invitations import create_invitation
from core.roles import Role
from core.states import AssignmentStatus, SubmissionStatus
from core.work import ask_help
from db.base import Base
from db.models import (
    Absence,
    Activity,
    Assignment,
    DeadlineChange,
    Direction,
    DirectionSchool,
    Plan,
    PlanSchool,
    Seminar,
    SeminarSchool,
    Submission,
    TimeOff,
)
from emulator import EmulatorServer, FakeUser, RateLimits
from messengers import TELEGRAM
from tests.harness import World, emulator_server
from tests.people import user_id_of

# The string fields of every callback: each value a handler knows (ids are forged separately).
ACTIONS: dict[str, list[dict[str, Any]]] = {
    "imp": [{"action": "confirm"}, {"action": "cancel"}],
    "ld": [{"flow": f} for f in ("seminar", "seminar_edit", "deadline", "away")],
    "fix": [{"action": "skip"}, {"action": "stop"}],
    "rem": [{"action": a} for a in ("done", "report", "tomorrow", "help")],
    "rsvp": [{"answer": "yes"}, {"answer": "no"}],
    # Reminders to a messenger the person has no account in (or none known): refused.
    "msgr": [{"messenger": "max"}, {"messenger": "icq"}],
    "my": [{"view": v} for v in ("open", "overdue", "week", "done")],
    "it": [{}],
    "sch": [{}],  # a page of /schools: managers only
    "ia": [
        {"action": a} for a in ("done", "tomorrow", "later3", "help", "history", "comments", "move")
    ],
    "dn": [{"action": "send"}, {"action": "cancel"}],
    "undo": [{}],
    "rv": [{"action": "accept"}, {"action": "return"}, {"action": "undo"}],
    "ro": [{}],
    "hr": [{}],
    "hf": [{}],
    "sd": [{}],
    "ss": [{}],
    "sc": [{}],
    "cal": [{"action": "renew"}, {"action": "off"}],
    "rp": [{"kind": k} for k in ("xlsx", "docx", "docx_all", "school")],
    "on": [{}],
    "so": [{}],
    "sa": [{"action": a} for a in ("topic", "when", "place", "holidays", "cancel", "cancel_yes")],
    "sn": [{}],
    "au": [{"purpose": "seminar"}, {"purpose": "link"}],
    "sdr": [{"action": a} for a in ("create", "cancel", "skip")],
    # Only ever about the presser themselves: "yes" would forget the presser, by design.
    "fg": [{"action": "no"}],
    "st": [{"target": "plan", "key": k} for k in ("lead_days", "hour", "quiet")]
    + [{"target": "me", "key": "digest"}],
    "po": [{}],
    "pa": [{}],
    "pp": [{}],
    "pe": [{"action": a} for a in ("role", "move", "deactivate", "activate", "revoke")],
    "pr": [{"role": r.value} for r in Role],
    "pm": [{}],
    "ir": [{"role": r.value} for r in Role],
    "is": [{"role": r.value} for r in Role],
    "iv": [{}],
    "ds": [{"action": "one"}, {"action": "all"}],
    "dd": [{"action": a} for a in ("approve", "other", "decline")],
    # "back" is about the presser's own absence (none here): nothing to end.
    "aw": [{"action": a} for a in ("dep", "pick", "back")],
    "bk": [{"action": a} for a in ("list", "holidays", "pause")],
    "bl": [{}],
    "psc": [{"action": a} for a in ("open", "list", "find", "new")],
    "pst": [{"action": a} for a in ("on", "off", "off_yes")],
}

SECRETS = ("Тайная гимназия", "Секретный пункт", "секретный комментарий", "Закрытый семинар")
VOLATILE = {"handled_updates", "inbox_updates", "status_counts"}  # bookkeeping of every update
FOLLOW_UP = "Текст после кнопки"  # the exactly-once marker of every update, by design


def _prefixes() -> dict[str, type[CallbackData]]:
    found = {}
    for _, cls in inspect.getmembers(callbacks, inspect.isclass):
        if issubclass(cls, CallbackData) and cls is not CallbackData:
            found[cls.__prefix__] = cls
    return found


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2020, 11, 2, 6, 0, tzinfo=UTC))


@pytest.fixture
async def server(clock) -> AsyncIterator[EmulatorServer]:
    # Hundreds of presses in a few chats: Telegram's per-chat pace would make this test
    # take many minutes and proves nothing about permissions, so both sides lift it.
    async with emulator_server(RateLimits.off(), now=lambda: clock.now().timestamp()) as srv:
        yield srv


@pytest.fixture
async def world(world: World) -> World:
    world.app.pacer.configure(PaceLimits(private_per_second=1000.0, private_burst=1000))
    return world


async def _plan(
    session: AsyncSession, now: datetime, title: str, school: int, item: str
) -> dict[str, Any]:
    plan = Plan(
        title=title, timezone="Asia/Yekaterinburg", settings={}, created_at=now, updated_at=now
    )
    session.add(plan)
    await session.flush()
    direction = Direction(plan_id=plan.id, code="I", title=f"Направление {title}", position=0)
    session.add(direction)
    await session.flush()
    session.add_all(
        [
            PlanSchool(plan_id=plan.id, school_id=school),
            DirectionSchool(direction_id=direction.id, school_id=school),
        ]
    )
    activity = Activity(
        plan_id=plan.id,
        direction_id=direction.id,
        source_key=f"k{plan.id}",
        title=item,
        due_date=date(2020, 11, 20),
        period_kind="deadline",
        period_flags=[],
        position=0,
    )
    session.add(activity)
    await session.flush()
    assignment = Assignment(
        activity_id=activity.id,
        school_id=school,
        status=AssignmentStatus.OPEN,
        due_date=activity.due_date,
        version=1,
        updated_at=now,
    )
    session.add(assignment)
    await session.flush()
    seminar = Seminar(
        plan_id=plan.id,
        direction_id=direction.id,
        topic=f"Закрытый семинар {title}",
        starts_at=datetime(2020, 11, 25, 6, 0, tzinfo=UTC),
        created_at=now,
    )
    session.add(seminar)
    await session.flush()
    session.add(SeminarSchool(seminar_id=seminar.id, school_id=school))
    return {
        "plan": plan.id,
        "direction": direction.id,
        "activity": activity.id,
        "assignment": assignment.id,
        "seminar": seminar.id,
    }


async def _join(
    world: World, name: str, role: Role, school: int | None, plan_id: int | None = None
) -> FakeUser:
    person = await world.person(name)
    async with world.app.session_factory() as session, session.begin():
        code = (
            await create_invitation(
                session, world.clock, role=role, school_id=school, plan_id=plan_id
            )
        ).code
    await person.send(f"/start {code}")
    await person.expect_reply()
    return person


async def _user_id(world: World, person: FakeUser) -> int:
    async with world.app.session_factory() as session:
        return await user_id_of(session, person.id)


async def _snapshot(world: World) -> dict[str, list[tuple[Any, ...]]]:
    async with world.app.session_factory() as session:
        dump = {}
        for table in Base.metadata.sorted_tables:
            if table.name in VOLATILE:
                continue
            rows = (await session.execute(select(table))).all()
            dump[table.name] = sorted((tuple(map(repr, r)) for r in rows), key=str)
        return dump


def _diff(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> dict[str, Any]:
    return {
        name: {
            "gone": [r for r in rows if r not in after[name]],
            "new": [r for r in after[name] if r not in rows],
        }
        for name, rows in before.items()
        if rows != after[name]
    }


def _fields(
    cls: type[CallbackData], targets: dict[str, int], extra: dict[str, Any]
) -> dict[str, Any]:
    """Every field of the callback: forged ids from `targets`, strings from `extra`."""
    values: dict[str, Any] = {}
    for name, info in cls.model_fields.items():
        if name in extra:
            values[name] = extra[name]
        elif name in targets:
            values[name] = targets[name]
        elif info.annotation in (int, "int"):
            values[name] = {"page": 0, "days": 14, "uses": 1, "archived": 1}.get(name, 1)
        elif not info.is_required():
            continue
        else:
            raise AssertionError(f"{cls.__name__}.{name}: no value in ACTIONS or targets")
    return values


async def _press_everything(
    world: World,
    person: FakeUser,
    targets: dict[str, int],
    check_secrets: bool,
    only: frozenset[str] | None = None,
    skip: frozenset[str] = frozenset(),
) -> list[str]:
    """Press every callback with forged ids; return the problems found."""
    await person.send("/help")
    anchor = await person.expect_reply()
    problems = []
    prefixes = _prefixes()
    before = await _snapshot(world)
    for prefix, cls in sorted(prefixes.items()):
        if prefix in skip or (only is not None and prefix not in only):
            continue
        for extra in ACTIONS[prefix]:
            data = cls(**_fields(cls, targets, extra)).pack()
            answer = await person.press_data(anchor, data)
            if answer is None:  # every press gets an answer, or the phone keeps spinning
                problems.append(f"{data}: no answer")
            # A button that starts a conversation is finished by the next message: the
            # forged id must not be acted on then either.
            await person.send(FOLLOW_UP)
            await _settled(person)
            after = await _snapshot(world)
            if after != before:
                problems.append(f"{data}: changed {_diff(before, after)}")
                before = after
            if check_secrets and answer and any(s in str(answer) for s in SECRETS):
                problems.append(f"{data}: answered {answer}")
            await _cancel(world, person)
    await _settled(person)
    after = await _snapshot(world)
    if after != before:
        problems.append(f"late change: {_diff(before, after)}")
    if check_secrets:
        log = await world.client.log(person.id)
        shown = [
            e["message"].get("text") or e["message"].get("caption") or str(e["message"])
            for e in log
            if e["kind"] in ("new", "edit")
        ]
        problems += [f"shown: {t[:120]}" for t in shown if any(s in t for s in SECRETS)]
    crashes = [e for e in await world.client.log(person.id) if GENERIC_ERROR in str(e["message"])]
    problems += [f"crashed {len(crashes)} times"] if crashes else []
    return problems


async def _settled(person: FakeUser) -> None:
    """Wait until the bot has handled everything this person sent: a chat is handled in
    order, so the answer to a last /help comes after all the others."""
    await person.send("/help")
    while "Команды:" not in (await person.expect_reply()).text:
        pass


async def _cancel(world: World, person: FakeUser) -> None:
    """Leave whatever conversation the press opened (as its timeout would)."""
    key = StorageKey(bot_id=world.app.bot.id, chat_id=person.id, user_id=person.id)
    await world.app.dispatcher.storage.set_state(key, None)
    await world.app.dispatcher.storage.set_data(key, {})


def test_every_callback_prefix_is_covered() -> None:
    assert set(_prefixes()) == set(ACTIONS), "add the new callback to ACTIONS"


# Who presses, at whose objects: (person, target, look for secrets, only, skip). Each case is a
# test of its own, so the workers share them.
CASES: dict[str, tuple[str, str, bool, frozenset[str] | None, frozenset[str]]] = {
    **{
        f"{who} / plan B": (who, "foreign", True, None, frozenset())
        for who in ("coordinator", "curator", "observer", "switched_off", "nobody")
    },
    # Their own school's objects: an observer may look but not change (answering the own
    # school's seminar is what an observer may do); a switched-off person may do neither.
    "observer / own school": ("observer", "own", False, None, frozenset({"rsvp"})),
    "switched-off / own school": ("switched_off", "own", False, None, frozenset()),
    # A plan coordinator and an admin who also curates one of the plan's schools.
    "coordinator / admin": ("coordinator", "boss", False, frozenset({"pp", "pe", "pr", "pm"}),
                            frozenset()),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
async def test_no_forged_button_reaches_another_plan_school_or_role(
    world: World, case: str
) -> None:
    people, targets = await _matrix(world)
    who, target, check_secrets, only, skip = CASES[case]
    problems = await _press_everything(
        world, people[who], targets[target], check_secrets, only=only, skip=skip
    )
    found = [f"{case}: {problem[:300]}" for problem in problems]
    assert not found, "\n".join(found)


async def _matrix(world: World) -> tuple[dict[str, FakeUser], dict[str, dict[str, int]]]:
    """Two plans, two schools, people of every role and a switched-off one, and every kind of
    object of each plan: the people by name, and the ids to forge (plan B's, school A's, and
    school A's with the admin as the user)."""
    own_school = await world.add_school("Школа А")
    foreign_school = await world.add_school("Тайная гимназия Б")
    async with world.app.session_factory() as session, session.begin():
        now = world.clock.now()
        mine = await _plan(session, now, "План А", own_school, "Пункт А")
        theirs = await _plan(session, now, "План Б", foreign_school, "Секретный пункт Б")

    coordinator = await _join(world, "Ольга", Role.COORDINATOR, None, plan_id=mine["plan"])
    curator = await _join(world, "Алиса", Role.CURATOR, own_school)
    observer = await _join(world, "Иван", Role.OBSERVER, own_school)
    switched_off = await _join(world, "Пётр", Role.CURATOR, own_school)
    nobody = await world.person("Незнакомец")
    await nobody.send("/start")
    await nobody.expect_reply()
    foreign_curator = await _join(world, "Борис", Role.CURATOR, foreign_school)
    boss = await _join(world, "Анна", Role.ADMIN, None)  # also curates a school of plan A
    async with world.app.session_factory() as session, session.begin():
        code = (
            await create_invitation(session, world.clock, role=Role.CURATOR, school_id=own_school)
        ).code
    await boss.send(f"/start {code}")
    await boss.expect_reply()

    async with world.app.session_factory() as session, session.begin():
        off_user = await user_id_of(session, switched_off.id)
        boss_user = await user_id_of(session, boss.id)
        foreign_user = await user_id_of(session, foreign_curator.id)
        curator_user = await user_id_of(session, curator.id)
        submissions = {}
        # The own school's pending submission is the switched-off curator's own: withdrawing
        # it must be refused all the same.
        for key, plan, author in ((0, theirs, foreign_user), (1, mine, off_user)):
            assignment = await session.get(Assignment, plan["assignment"])
            assert assignment is not None
            assignment.status = AssignmentStatus.SUBMITTED
            submission = Submission(
                assignment_id=plan["assignment"],
                user_id=author,
                comment="секретный комментарий" if key == 0 else "комментарий А",
                status=SubmissionStatus.PENDING,
                created_at=now,
            )
            session.add(submission)
            await session.flush()
            submissions[key] = submission.id
        await admin.set_active(session, world.clock, EVERYTHING, None, off_user, False)
        time_off = await _time_off(session, now, theirs, mine, foreign_user, off_user)
    foreign_ctx_question = await _question(world, foreign_curator, theirs["assignment"])
    own_question = await _question(world, curator, mine["assignment"])
    async with world.app.session_factory() as session, session.begin():
        invitation = await create_invitation(
            session, world.clock, role=Role.OBSERVER, school_id=foreign_school
        )
        own_invitation = await create_invitation(
            session, world.clock, role=Role.OBSERVER, school_id=own_school
        )

    def targets(
        plan: dict[str, int], school: int, submission: int, user: int, question: int, inv: int
    ):
        return {
            "assignment_id": plan["assignment"],
            "submission_id": submission,
            "seminar_id": plan["seminar"],
            "plan_id": plan["plan"],
            "direction_id": plan["direction"],
            "activity_id": plan["activity"],
            "school_id": school,
            "user_id": user,
            "question_id": question,
            "invitation_id": inv,
            **time_off[plan["plan"]],
        }

    foreign = targets(
        theirs, foreign_school, submissions[0], foreign_user, foreign_ctx_question, invitation.id
    )
    own = targets(mine, own_school, submissions[1], curator_user, own_question, own_invitation.id)
    people = {
        "coordinator": coordinator,
        "curator": curator,
        "observer": observer,
        "switched_off": switched_off,
        "nobody": nobody,
    }
    return people, {"foreign": foreign, "own": own, "boss": {**own, "user_id": boss_user}}


async def _time_off(
    session: AsyncSession,
    now: datetime,
    theirs: dict[str, int],
    mine: dict[str, int],
    foreign_user: int,
    own_user: int,
) -> dict[int, dict[str, int]]:
    """A request for more time, an absence and school holidays in each plan."""
    out = {}
    for plan, user in ((theirs, foreign_user), (mine, own_user)):
        assignment = await session.get(Assignment, plan["assignment"])
        assert assignment is not None
        change = DeadlineChange(
            activity_id=plan["activity"],
            school_id=assignment.school_id,
            status="requested",
            old_due=date(2020, 11, 20),
            wanted_due=date(2020, 11, 27),
            reason="секретный комментарий",
            requested_by_id=user,
            created_at=now,
        )
        absence = Absence(
            user_id=user,
            starts_on=date(2020, 11, 1),
            ends_on=date(2020, 11, 30),
            created_at=now,
        )
        holidays = TimeOff(
            plan_id=plan["plan"],
            kind="holidays",
            title="Тайная гимназия: каникулы",
            starts_on=date(2020, 12, 28),
            ends_on=date(2021, 1, 10),
            created_at=now,
        )
        session.add_all([change, absence, holidays])
        await session.flush()
        out[plan["plan"]] = {
            "change_id": change.id,
            "absence_id": absence.id,
            "break_id": holidays.id,
        }
    return out


async def _question(world: World, person: FakeUser, assignment_id: int) -> int:
    from core.users import load_context

    async with world.app.session_factory() as session, session.begin():
        ctx = await load_context(session, TELEGRAM, person.id)
        assert ctx is not None
        asked = await ask_help(session, world.clock, ctx, assignment_id, "секретный вопрос")
    return asked.question_id
