"""Typed callback data: ids and verbs only, never state the bot would have to trust."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class ImportAction(CallbackData, prefix="imp"):
    """Confirm or cancel the import previewed in this chat."""

    action: str  # confirm | cancel


class FixAction(CallbackData, prefix="fix"):
    """Skip the flagged row shown, or stop reviewing rows."""

    action: str  # skip | stop
    activity_id: int


class RemindAction(CallbackData, prefix="rem"):
    """A button under a reminder: done, report, snooze, help — about one assignment."""

    action: str  # done | report | tomorrow | help
    assignment_id: int


class RsvpAction(CallbackData, prefix="rsvp"):
    """A participant's answer to a seminar reminder."""

    answer: str  # yes | no
    seminar_id: int


class ItemsPage(CallbackData, prefix="my"):
    """A page of /my in a view: open | overdue | week | done."""

    view: str
    page: int


class ItemOpen(CallbackData, prefix="it"):
    assignment_id: int


class ItemAct(CallbackData, prefix="ia"):
    """An action on an item card: done | tomorrow | later3 | help."""

    action: str
    assignment_id: int


class DoneAct(CallbackData, prefix="dn"):
    action: str  # send | cancel


class UndoAct(CallbackData, prefix="undo"):
    submission_id: int


class ReviewAct(CallbackData, prefix="rv"):
    action: str  # accept | return
    submission_id: int


class ReviewOpen(CallbackData, prefix="ro"):
    submission_id: int


class HelpReply(CallbackData, prefix="hr"):
    """A coordinator answers the question with this id."""

    question_id: int


class StatusDirection(CallbackData, prefix="sd"):
    """Drill into one direction of a plan (direction 0: items without a direction)."""

    plan_id: int
    direction_id: int


class StatusSchool(CallbackData, prefix="ss"):
    """Drill into one school of a direction (school 0: the department)."""

    plan_id: int
    direction_id: int
    school_id: int


class StatusChart(CallbackData, prefix="sc"):
    plan_id: int


class ReportMake(CallbackData, prefix="rp"):
    """/report: one plan's report in a format (xlsx, docx, docx_all) or a school's DOCX."""

    plan_id: int
    kind: str
    school_id: int = 0


class CalendarAct(CallbackData, prefix="cal"):
    """/calendar: renew the subscription address, or switch it off."""

    action: str  # renew | off


class HelpFollowUp(CallbackData, prefix="hf"):
    """💬 Ответить under a coordinator's answer: the curator replies (a thread)."""

    answer_id: int


class OverdueNudge(CallbackData, prefix="on"):
    """🔔 under /overdue: remind this school's curators."""

    school_id: int


class SeminarOpen(CallbackData, prefix="so"):
    """Open a seminar card (seminar 0: the list)."""

    seminar_id: int


class SeminarAct(CallbackData, prefix="sa"):
    """On a seminar card: topic | when | place | cancel | cancel_yes."""

    action: str
    seminar_id: int


class SeminarNew(CallbackData, prefix="sn"):
    """Start creating a seminar."""

    action: str = "start"


class AudiencePick(CallbackData, prefix="au"):
    """A plan direction chosen as audience or group link (direction 0: the whole plan)."""

    purpose: str  # seminar | link
    plan_id: int
    direction_id: int


class SeminarDraftAct(CallbackData, prefix="sdr"):
    """While creating: create | cancel | skip (no place)."""

    action: str


class ForgetAct(CallbackData, prefix="fg"):
    """/forget confirmation: yes | no."""

    action: str


class SettingPick(CallbackData, prefix="st"):
    """Change one setting: target 'me' or 'plan'; plan_id 0 for 'me'."""

    target: str
    plan_id: int
    key: str


class PlanOpen(CallbackData, prefix="po"):
    plan_id: int


class PlanArchive(CallbackData, prefix="pa"):
    plan_id: int
    archived: int


class PersonOpen(CallbackData, prefix="pp"):
    user_id: int


class PersonAct(CallbackData, prefix="pe"):
    """On a person card: role | move | deactivate | activate | revoke."""

    action: str
    user_id: int


class PersonRole(CallbackData, prefix="pr"):
    user_id: int
    role: str


class PersonMove(CallbackData, prefix="pm"):
    user_id: int
    school_id: int


class InviteRole(CallbackData, prefix="ir"):
    role: str
    days: int = 14
    uses: int = 1


class InviteSchool(CallbackData, prefix="is"):
    role: str
    school_id: int
    days: int = 14
    uses: int = 1


class InviteRevoke(CallbackData, prefix="iv"):
    invitation_id: int


class DeadlineScope(CallbackData, prefix="ds"):
    """A coordinator moves an item's due date: for its school only (one) or every school (all)."""

    action: str
    assignment_id: int


class DeadlineDecision(CallbackData, prefix="dd"):
    """A coordinator on a request for more time: approve | other (another date) | decline."""

    action: str
    change_id: int


class AwayAct(CallbackData, prefix="aw"):
    """/away: dep (deputy `user_id` for the absence; 0: none), pick (a coordinator lists the
    choices), back (I am back)."""

    action: str
    absence_id: int
    user_id: int = 0


class BreakAct(CallbackData, prefix="bk"):
    """/plans → Каникулы: list, holidays (add), pause (add) for a plan."""

    action: str
    plan_id: int


class BreakLift(CallbackData, prefix="bl"):
    """Remove holidays, or end a pause now."""

    break_id: int


class LaterDate(CallbackData, prefix="ld"):
    """Confirm the later year's date offered for a past one (kept in the conversation's data)."""

    flow: str  # seminar | seminar_edit | deadline | away


class PlanSchools(CallbackData, prefix="psc"):
    """🏫 Школы of a plan: open (a new message), list (page `page`), find, new; direction 0:
    the plan's directions (or, without directions, the plan)."""

    action: str
    plan_id: int
    direction_id: int
    page: int = 0


class SchoolToggle(CallbackData, prefix="pst"):
    """A school of the list: on (attach), off (ask first), off_yes (detach); page -1: from a
    search."""

    action: str
    plan_id: int
    direction_id: int
    school_id: int
    page: int = 0


class MessengerChoice(CallbackData, prefix="msgr"):
    """Where the person's reminders and notices go: telegram | max."""

    messenger: str


class SchoolsPage(CallbackData, prefix="sch"):
    """A page of /schools."""

    page: int
