"""Inline keyboards, built from texts and typed callback data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo
from aiogram.utils.keyboard import InlineKeyboardBuilder as _AiogramBuilder

from bot import texts
from bot.callbacks import (
    AudiencePick,
    AwayAct,
    BreakAct,
    BreakLift,
    CalendarAct,
    DeadlineDecision,
    DeadlineScope,
    DoneAct,
    FixAction,
    ForgetAct,
    HelpFollowUp,
    HelpReply,
    ImportAction,
    InviteRole,
    ItemAct,
    ItemOpen,
    ItemsPage,
    LaterDate,
    MessengerChoice,
    OverdueNudge,
    PersonAct,
    PersonRole,
    PlanArchive,
    PlanOpen,
    PlanSchools,
    RemindAction,
    ReportMake,
    ReviewAct,
    ReviewOpen,
    RsvpAction,
    SchoolsPage,
    SchoolToggle,
    SeminarAct,
    SeminarDraftAct,
    SeminarNew,
    SeminarOpen,
    SettingPick,
    StatusChart,
    StatusDirection,
    StatusSchool,
    UndoAct,
)
from core.roles import Role


class InlineKeyboardBuilder(_AiogramBuilder):
    """aiogram's builder without the deep copy of every button on each export (it exports on
    every `adjust` and `as_markup`: a third of /my's CPU). Buttons here are never changed
    after they are made, so rows are copied and buttons shared."""

    def export(self) -> list[list[InlineKeyboardButton]]:
        return [list(row) for row in self._markup]


def import_confirm() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.IMPORT_CONFIRM, callback_data=ImportAction(action="confirm"))
    builder.button(text=texts.IMPORT_CANCEL, callback_data=ImportAction(action="cancel"))
    return builder.as_markup()


def fix_row(activity_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts.FIX_SKIP, callback_data=FixAction(action="skip", activity_id=activity_id)
    )
    builder.button(
        text=texts.FIX_STOP, callback_data=FixAction(action="stop", activity_id=activity_id)
    )
    return builder.as_markup()


def reminder_actions(assignment_ids: list[int], overdue: bool = False) -> InlineKeyboardMarkup:
    """Full actions for one item (one button per flow: ✅ Выполнено takes the report and its
    files; no "tomorrow" once the date has passed); a compact "✅ N" row for several."""
    builder = InlineKeyboardBuilder()
    if len(assignment_ids) == 1:
        (one,) = assignment_ids
        actions = [(texts.BTN_DONE, "done"), (texts.BTN_TOMORROW, "tomorrow")]
        if overdue:
            actions.pop()
        for text, action in [*actions, (texts.BTN_HELP, "help")]:
            builder.button(text=text, callback_data=RemindAction(action=action, assignment_id=one))
        builder.adjust(2)
    else:
        for index, assignment_id in enumerate(assignment_ids[:8], 1):
            builder.button(
                text=f"✅ {index}",
                callback_data=RemindAction(action="done", assignment_id=assignment_id),
            )
        builder.adjust(4)
    return builder.as_markup()


def rsvp(seminar_id: int, answer: Any = None) -> InlineKeyboardMarkup:
    """Буду / Не смогу; the answer given is ticked, and the other one changes it."""
    chosen = getattr(answer, "value", answer)
    builder = InlineKeyboardBuilder()
    for value, label in (("yes", texts.BTN_YES), ("no", texts.BTN_NO)):
        text = f"✓ {label}" if value == chosen else label
        builder.button(text=text, callback_data=RsvpAction(answer=value, seminar_id=seminar_id))
    return builder.as_markup()


def items_page(
    view: str, page: int, pages: int, assignment_ids: list[int], offset: int
) -> InlineKeyboardMarkup:
    """Numbers open the cards; arrows page; the last row switches the view."""
    builder = InlineKeyboardBuilder()
    for index, assignment_id in enumerate(assignment_ids, offset + 1):
        builder.button(text=str(index), callback_data=ItemOpen(assignment_id=assignment_id))
    sizes = [len(assignment_ids)] if assignment_ids else []
    nav = 0
    if page > 0:
        builder.button(text="◀️", callback_data=ItemsPage(view=view, page=page - 1))
        nav += 1
    if page + 1 < pages:
        builder.button(text="▶️", callback_data=ItemsPage(view=view, page=page + 1))
        nav += 1
    if nav:
        sizes.append(nav)
    for name, label in (
        ("overdue", "⚠️ Просрочено"),
        ("week", "📅 Неделя"),
        ("open", "Все"),
        ("done", "✅ Готово"),
    ):
        if name != view:
            builder.button(text=label, callback_data=ItemsPage(view=name, page=0))
    sizes.append(3)
    builder.adjust(*sizes)
    return builder.as_markup()


def item_actions(
    assignment_id: int,
    can_act: bool,
    review_submission: int | None,
    full_comments: bool = False,
    can_move: bool = False,
    can_snooze: bool = False,
) -> InlineKeyboardMarkup:
    """The card's actions; "remind me later" only before the item's date (none when overdue,
    as under an overdue reminder)."""
    builder = InlineKeyboardBuilder()
    if can_act:
        builder.button(
            text=texts.BTN_DONE, callback_data=ItemAct(action="done", assignment_id=assignment_id)
        )
    if can_act and can_snooze:
        builder.button(
            text=texts.BTN_TOMORROW,
            callback_data=ItemAct(action="tomorrow", assignment_id=assignment_id),
        )
        builder.button(
            text=texts.BTN_IN_3_DAYS,
            callback_data=ItemAct(action="later3", assignment_id=assignment_id),
        )
    if can_act:
        builder.button(
            text=texts.BTN_HELP, callback_data=ItemAct(action="help", assignment_id=assignment_id)
        )
    if can_act or can_move:
        builder.button(
            text=texts.BTN_MOVE_DEADLINE,
            callback_data=ItemAct(action="move", assignment_id=assignment_id),
        )
    if review_submission is not None:
        builder.button(
            text=texts.BTN_ACCEPT,
            callback_data=ReviewAct(action="accept", submission_id=review_submission),
        )
        builder.button(
            text=texts.BTN_RETURN,
            callback_data=ReviewAct(action="return", submission_id=review_submission),
        )
    builder.button(
        text=texts.BTN_HISTORY, callback_data=ItemAct(action="history", assignment_id=assignment_id)
    )
    if full_comments:
        builder.button(
            text=texts.BTN_FULL_COMMENTS,
            callback_data=ItemAct(action="comments", assignment_id=assignment_id),
        )
    tail = [1] * (2 if full_comments else 1)
    move = [1] if can_act or can_move else []
    review = [2] if review_submission is not None else []
    if can_act:
        later = [2] if can_snooze else []
        builder.adjust(1, *later, 1, *move, *review, *tail)
    else:
        builder.adjust(*move, *review, *tail)
    return builder.as_markup()


def done_controls() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.BTN_SEND, callback_data=DoneAct(action="send"))
    builder.button(text=texts.BTN_CANCEL, callback_data=DoneAct(action="cancel"))
    return builder.as_markup()


def undo(submission_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.BTN_UNDO, callback_data=UndoAct(submission_id=submission_id))
    return builder.as_markup()


def review_decided(submission_id: int) -> InlineKeyboardMarkup:
    """After an accept or return: take the decision back (within a day)."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts.BTN_UNDO_REVIEW,
        callback_data=ReviewAct(action="undo", submission_id=submission_id),
    )
    return builder.as_markup()


def review(submission_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts.BTN_ACCEPT, callback_data=ReviewAct(action="accept", submission_id=submission_id)
    )
    builder.button(
        text=texts.BTN_RETURN, callback_data=ReviewAct(action="return", submission_id=submission_id)
    )
    return builder.as_markup()


def review_list(submission_ids: list[int]) -> InlineKeyboardMarkup | None:
    if not submission_ids:
        return None
    builder = InlineKeyboardBuilder()
    for index, submission_id in enumerate(submission_ids, 1):
        builder.button(
            text=f"Открыть {index}", callback_data=ReviewOpen(submission_id=submission_id)
        )
    builder.adjust(3)
    return builder.as_markup()


def open_item(assignment_id: int) -> InlineKeyboardMarkup:
    """One button to the item's card (where the full comments are)."""
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.BTN_OPEN_ITEM, callback_data=ItemOpen(assignment_id=assignment_id))
    return builder.as_markup()


def overdue_nudges(school_ids: list[int | None]) -> InlineKeyboardMarkup | None:
    """🔔 N under /overdue for each school (numbered as listed); not for the department."""
    builder = InlineKeyboardBuilder()
    for index, school_id in enumerate(school_ids, 1):
        if school_id is not None:
            builder.button(text=f"🔔 {index}", callback_data=OverdueNudge(school_id=school_id))
    builder.adjust(5)
    return builder.as_markup() if any(i is not None for i in school_ids) else None


def returned(assignment_id: int) -> InlineKeyboardMarkup:
    """Under a return notice: fix and send again right there, or open the card first."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts.BTN_RESEND, callback_data=ItemAct(action="done", assignment_id=assignment_id)
    )
    builder.button(text=texts.BTN_OPEN_ITEM, callback_data=ItemOpen(assignment_id=assignment_id))
    builder.adjust(1)
    return builder.as_markup()


def help_follow_up(answer_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.BTN_ANSWER, callback_data=HelpFollowUp(answer_id=answer_id))
    return builder.as_markup()


def help_reply(question_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.BTN_ANSWER, callback_data=HelpReply(question_id=question_id))
    return builder.as_markup()


def dashboard_button(url: str) -> InlineKeyboardButton:
    """📊 Открыть панель: opens the Mini App inside Telegram (private chats only)."""
    return InlineKeyboardButton(text=texts.BTN_DASHBOARD, web_app=WebAppInfo(url=url))


def dashboard(url: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[dashboard_button(url)]])


def status_plans(
    plans: list[tuple[int, list[tuple[int | None, str]]]],
    dashboard_url: str | None = None,
) -> InlineKeyboardMarkup | None:
    """Per plan a row: its chart and one button per direction (labels from
    `texts.status_buttons`: the plan named when there are several); the dashboard's below."""
    builder = InlineKeyboardBuilder()
    sizes = []
    for plan_id, directions in plans:
        builder.button(text="📈", callback_data=StatusChart(plan_id=plan_id))
        for direction_id, label in directions:
            builder.button(
                text=label,
                callback_data=StatusDirection(plan_id=plan_id, direction_id=direction_id or 0),
            )
        sizes.append(1 + len(directions))
    builder.adjust(*sizes)
    if dashboard_url and plans:
        builder.row(dashboard_button(dashboard_url))
    return builder.as_markup() if plans else None


def calendar_actions() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.BTN_CALENDAR_RENEW, callback_data=CalendarAct(action="renew"))
    builder.button(text=texts.BTN_CALENDAR_OFF, callback_data=CalendarAct(action="off"))
    return builder.as_markup()


def report_formats(plan_id: int) -> InlineKeyboardMarkup:
    """/report for a coordinator: the spreadsheet, or Word per school or by activity."""
    builder = InlineKeyboardBuilder()
    for kind in ("xlsx", "docx", "docx_all"):
        builder.button(
            text=texts.REPORT_BUTTONS[kind], callback_data=ReportMake(plan_id=plan_id, kind=kind)
        )
    builder.adjust(1)
    return builder.as_markup()


def report_schools(plan_id: int, schools: list[tuple[int, str]]) -> InlineKeyboardMarkup | None:
    """/report for a curator or observer: their school's own Word report."""
    builder = InlineKeyboardBuilder()
    for school_id, name in schools:
        builder.button(
            text=texts.report_school_button(name),
            callback_data=ReportMake(plan_id=plan_id, kind="school", school_id=school_id),
        )
    builder.adjust(1)
    return builder.as_markup() if schools else None


def status_schools(
    plan_id: int, direction_id: int, schools: list[tuple[int | None, str]]
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for index, (school_id, _) in enumerate(schools, 1):
        builder.button(
            text=str(index),
            callback_data=StatusSchool(
                plan_id=plan_id, direction_id=direction_id, school_id=school_id or 0
            ),
        )
    builder.adjust(5)
    return builder.as_markup()


def status_items(assignment_ids: list[int]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for index, assignment_id in enumerate(assignment_ids, 1):
        builder.button(text=str(index), callback_data=ItemOpen(assignment_id=assignment_id))
    builder.adjust(5)
    return builder.as_markup()


def seminar_list(seminar_ids: list[int]) -> InlineKeyboardMarkup:
    """A numbered button per seminar, then "new seminar"."""
    builder = InlineKeyboardBuilder()
    for index, seminar_id in enumerate(seminar_ids, 1):
        builder.button(text=str(index), callback_data=SeminarOpen(seminar_id=seminar_id))
    builder.button(text=texts.BTN_SEMINAR_NEW, callback_data=SeminarNew())
    sizes = [5] * ((len(seminar_ids) + 4) // 5) + [1]
    builder.adjust(*sizes)
    return builder.as_markup()


def audience(
    purpose: str, options: list[tuple[int, list[tuple[int, str]]]]
) -> InlineKeyboardMarkup:
    """Per plan: "all schools of the plan", then a button per direction code."""
    builder = InlineKeyboardBuilder()
    sizes: list[int] = []
    for plan_id, directions in options:
        prefix = f"{plan_id}: " if len(options) > 1 else ""
        builder.button(
            text=prefix + texts.BTN_WHOLE_PLAN,
            callback_data=AudiencePick(purpose=purpose, plan_id=plan_id, direction_id=0),
        )
        sizes.append(1)
        for direction_id, code in directions:
            builder.button(
                text=f"{prefix}{code}",
                callback_data=AudiencePick(
                    purpose=purpose, plan_id=plan_id, direction_id=direction_id
                ),
            )
        sizes += [4] * (len(directions) // 4) + (
            [len(directions) % 4] if len(directions) % 4 else []
        )
    builder.adjust(*sizes)
    return builder.as_markup()


def skip_place() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.BTN_SKIP, callback_data=SeminarDraftAct(action="skip"))
    return builder.as_markup()


def seminar_draft() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.BTN_SEMINAR_CREATE, callback_data=SeminarDraftAct(action="create"))
    builder.button(text=texts.BTN_CANCEL, callback_data=SeminarDraftAct(action="cancel"))
    return builder.as_markup()


def seminar_card(
    seminar_id: int, cancelled: bool, in_holidays: bool = False
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if not cancelled:
        holidays = texts.BTN_HOLIDAYS_ON if in_holidays else texts.BTN_HOLIDAYS_OFF
        for text, action in (
            (texts.BTN_EDIT_TOPIC, "topic"),
            (texts.BTN_EDIT_WHEN, "when"),
            (texts.BTN_EDIT_PLACE, "place"),
            (holidays, "holidays"),
            (texts.BTN_SEMINAR_CANCEL, "cancel"),
        ):
            builder.button(
                text=text, callback_data=SeminarAct(action=action, seminar_id=seminar_id)
            )
    builder.button(text=texts.BTN_BACK, callback_data=SeminarOpen(seminar_id=0))
    builder.adjust(3, 1, 1, 1)
    return builder.as_markup()


def seminar_cancel_confirm(seminar_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts.BTN_SEMINAR_CANCEL_YES,
        callback_data=SeminarAct(action="cancel_yes", seminar_id=seminar_id),
    )
    builder.button(text=texts.BTN_BACK, callback_data=SeminarOpen(seminar_id=seminar_id))
    return builder.as_markup()


def forget_confirm() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.BTN_FORGET_YES, callback_data=ForgetAct(action="yes"))
    builder.button(text=texts.BTN_CANCEL, callback_data=ForgetAct(action="no"))
    return builder.as_markup()


def settings(target: str, plan_id: int, keys: tuple[str, ...]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for key in keys:
        builder.button(
            text=texts.SETTING_LABELS[key],
            callback_data=SettingPick(target=target, plan_id=plan_id, key=key),
        )
    builder.adjust(2)
    return builder.as_markup()


def plan_list(plan_ids: list[int]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for index, plan_id in enumerate(plan_ids, 1):
        builder.button(text=str(index), callback_data=PlanOpen(plan_id=plan_id))
    builder.adjust(5)
    return builder.as_markup()


def plan_card(plan_id: int, archived: bool, keys: tuple[str, ...]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for key in keys:
        builder.button(
            text=texts.SETTING_LABELS[key],
            callback_data=SettingPick(target="plan", plan_id=plan_id, key=key),
        )
    builder.button(text=texts.BTN_HOLIDAYS, callback_data=BreakAct(action="list", plan_id=plan_id))
    builder.button(text=texts.BTN_PLAN_SCHOOLS, callback_data=_schools(plan_id))
    builder.button(
        text=texts.BTN_UNARCHIVE if archived else texts.BTN_ARCHIVE,
        callback_data=PlanArchive(plan_id=plan_id, archived=0 if archived else 1),
    )
    builder.adjust(2)
    return builder.as_markup()


def _schools(
    plan_id: int, action: str = "open", direction_id: int = 0, page: int = 0
) -> PlanSchools:
    return PlanSchools(action=action, plan_id=plan_id, direction_id=direction_id, page=page)


def schools_pages(page: int, pages: int) -> InlineKeyboardMarkup | None:
    """◀️ ▶️ under /schools when the list runs over one message."""
    if pages <= 1:
        return None
    builder = InlineKeyboardBuilder()
    if page > 0:
        builder.button(text=texts.BTN_PREVIOUS, callback_data=SchoolsPage(page=page - 1))
    if page < pages - 1:
        builder.button(text=texts.BTN_NEXT, callback_data=SchoolsPage(page=page + 1))
    return builder.as_markup()


def plan_schools_button(plan_id: int) -> InlineKeyboardMarkup:
    """🏫 Школы under an import's result: who takes part, opened as a new message."""
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.BTN_PLAN_SCHOOLS, callback_data=_schools(plan_id))
    return builder.as_markup()


def plan_directions(plan: Any) -> InlineKeyboardMarkup:
    """One button per direction: its schools' list."""
    builder = InlineKeyboardBuilder()
    for line in plan.lines:
        builder.button(
            text=f"{line.code} · {line.schools}",
            callback_data=_schools(plan.plan_id, "list", line.id),
        )
    builder.adjust(4)
    return builder.as_markup()


def plan_schools(page: Any) -> InlineKeyboardMarkup:
    """Numbers that attach or detach the schools shown, pages, search, a new school."""
    plan_id, direction_id = page.plan_id, page.direction_id or 0
    origin = -1 if page.query is not None else page.page
    builder = InlineKeyboardBuilder()
    numbers = [
        InlineKeyboardButton(
            text=str(index),
            callback_data=SchoolToggle(
                action="off" if line.taking_part else "on",
                plan_id=plan_id,
                direction_id=direction_id,
                school_id=line.id,
                page=origin,
            ).pack(),
        )
        for index, line in enumerate(page.lines, 1)
    ]
    for start in range(0, len(numbers), 5):
        builder.row(*numbers[start : start + 5])
    moves = []
    if page.query is None and page.page > 0:
        moves.append((texts.BTN_PREVIOUS, page.page - 1))
    if page.query is None and page.page < page.pages - 1:
        moves.append((texts.BTN_NEXT, page.page + 1))
    if moves:
        builder.row(
            *(
                InlineKeyboardButton(
                    text=text, callback_data=_schools(plan_id, "list", direction_id, to).pack()
                )
                for text, to in moves
            )
        )
    tools = [
        (texts.BTN_FIND_SCHOOL, _schools(plan_id, "find", direction_id)),
        (texts.BTN_NEW_SCHOOL, _schools(plan_id, "new", direction_id)),
    ]
    if page.query is not None:
        tools.append((texts.BTN_FULL_LIST, _schools(plan_id, "list", direction_id)))
    if page.has_directions:
        tools.append((texts.BTN_DIRECTIONS, _schools(plan_id, "list")))
    builder.row(*(InlineKeyboardButton(text=t, callback_data=d.pack()) for t, d in tools[:2]))
    if tools[2:]:
        builder.row(*(InlineKeyboardButton(text=t, callback_data=d.pack()) for t, d in tools[2:]))
    return builder.as_markup()


def school_detach(toggle: SchoolToggle) -> InlineKeyboardMarkup:
    """Asked first: detach, or back to the list."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts.BTN_DETACH, callback_data=toggle.model_copy(update={"action": "off_yes"})
    )
    builder.button(
        text=texts.BTN_SCHOOLS_BACK,
        callback_data=_schools(toggle.plan_id, "list", toggle.direction_id, max(toggle.page, 0)),
    )
    builder.adjust(2)
    return builder.as_markup()


def numbered(items: list[tuple[str, CallbackData]], per_row: int = 5) -> InlineKeyboardMarkup:
    """Buttons numbered 1..N (lists on a phone: numbers, not long names)."""
    builder = InlineKeyboardBuilder()
    for text, data in items:
        builder.button(text=text, callback_data=data)
    builder.adjust(per_row)
    return builder.as_markup()


SCHOOLS_SHOWN = 30


def school_choice(
    head: str, schools: list[tuple[int, str]], data: Callable[[int], CallbackData]
) -> tuple[str, InlineKeyboardMarkup]:
    """A numbered list of schools under `head`, and a numbered button for each."""
    shown = schools[:SCHOOLS_SHOWN]
    lines = "\n".join(f"{i}. {name}" for i, (_, name) in enumerate(shown, 1))
    markup = numbered([(str(i), data(school_id)) for i, (school_id, _) in enumerate(shown, 1)])
    return f"{head}\n{lines}", markup


def person_card(user_id: int, active: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for text, action in (
        (texts.BTN_ROLE, "role"),
        (texts.BTN_MOVE, "move"),
        (
            texts.BTN_ACTIVATE if not active else texts.BTN_DEACTIVATE,
            "activate" if not active else "deactivate",
        ),
        (texts.BTN_REVOKE_ROLES, "revoke"),
    ):
        builder.button(text=text, callback_data=PersonAct(action=action, user_id=user_id))
    builder.adjust(2)
    return builder.as_markup()


def role_choice(user_id: int, roles: tuple[str, ...]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for role in roles:
        builder.button(
            text=texts.ROLE_NAMES[Role(role)], callback_data=PersonRole(user_id=user_id, role=role)
        )
    builder.adjust(2)
    return builder.as_markup()


def invite_roles(roles: tuple[str, ...], days: int, uses: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for role in roles:
        builder.button(
            text=texts.ROLE_NAMES[Role(role)],
            callback_data=InviteRole(role=role, days=days, uses=uses),
        )
    builder.adjust(2)
    return builder.as_markup()


def deadline_scope(assignment_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts.BTN_THIS_SCHOOL,
        callback_data=DeadlineScope(action="one", assignment_id=assignment_id),
    )
    builder.button(
        text=texts.BTN_ALL_SCHOOLS,
        callback_data=DeadlineScope(action="all", assignment_id=assignment_id),
    )
    builder.adjust(2)
    return builder.as_markup()


def deadline_decision(
    change_id: int, wanted: date, today: date, assignment_id: int | None = None
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts.BTN_APPROVE_DATE.format(day=texts.short_date(wanted, today)),
        callback_data=DeadlineDecision(action="approve", change_id=change_id),
    )
    builder.button(
        text=texts.BTN_OTHER_DATE,
        callback_data=DeadlineDecision(action="other", change_id=change_id),
    )
    builder.button(
        text=texts.BTN_DECLINE,
        callback_data=DeadlineDecision(action="decline", change_id=change_id),
    )
    if assignment_id is not None:
        builder.button(
            text=texts.BTN_OPEN_ITEM, callback_data=ItemOpen(assignment_id=assignment_id)
        )
    builder.adjust(1, 2, 1)
    return builder.as_markup()


def later_date(flow: str, later: str) -> InlineKeyboardMarkup:
    """One button: the later year's date (`later`, with its year) instead of a past one."""
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.btn_later(later), callback_data=LaterDate(flow=flow))
    return builder.as_markup()


def deputies(
    absence_id: int, people: list[tuple[int, str]], with_none: bool
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for user_id, name in people[:30]:
        builder.button(
            text=name, callback_data=AwayAct(action="dep", absence_id=absence_id, user_id=user_id)
        )
    if with_none:
        builder.button(
            text=texts.BTN_NO_DEPUTY, callback_data=AwayAct(action="dep", absence_id=absence_id)
        )
    builder.adjust(1)
    return builder.as_markup()


def away_back(absence_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts.BTN_IM_BACK, callback_data=AwayAct(action="back", absence_id=absence_id)
    )
    return builder.as_markup()


def pick_deputy(absence_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts.BTN_PICK_DEPUTY, callback_data=AwayAct(action="pick", absence_id=absence_id)
    )
    return builder.as_markup()


def breaks(plan_id: int, ids: list[int]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts.BTN_ADD_HOLIDAYS, callback_data=BreakAct(action="holidays", plan_id=plan_id)
    )
    builder.button(
        text=texts.BTN_ADD_PAUSE, callback_data=BreakAct(action="pause", plan_id=plan_id)
    )
    for index, break_id in enumerate(ids, 1):
        builder.button(
            text=texts.BTN_LIFT.format(n=index), callback_data=BreakLift(break_id=break_id)
        )
    builder.adjust(1, 1, *([4] * ((len(ids) + 3) // 4)))
    return builder.as_markup()


def messenger_choice(messengers: tuple[str, ...], chosen: str) -> InlineKeyboardMarkup:
    """One button per messenger the person uses; the chosen one marked."""
    rows = [
        [
            InlineKeyboardButton(
                text=(texts.BTN_MESSENGER_CHOSEN if m == chosen else texts.BTN_MESSENGER).format(
                    name=texts.MESSENGER_NAMES.get(m, m)
                ),
                callback_data=MessengerChoice(messenger=m).pack(),
            )
        ]
        for m in messengers
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)
