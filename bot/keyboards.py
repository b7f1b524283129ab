"""Inline keyboards, built from texts and typed callback data."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import texts
from bot.callbacks import FixAction, ImportAction, RemindAction, RsvpAction


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


def reminder_actions(assignment_ids: list[int]) -> InlineKeyboardMarkup:
    """Full actions for one item; a compact "✅ N" row for several."""
    builder = InlineKeyboardBuilder()
    if len(assignment_ids) == 1:
        (one,) = assignment_ids
        for text, action in (
            (texts.BTN_DONE, "done"),
            (texts.BTN_REPORT, "report"),
            (texts.BTN_TOMORROW, "tomorrow"),
            (texts.BTN_HELP, "help"),
        ):
            builder.button(text=text, callback_data=RemindAction(action=action, assignment_id=one))
        builder.adjust(2, 2)
    else:
        for index, assignment_id in enumerate(assignment_ids[:8], 1):
            builder.button(
                text=f"✅ {index}",
                callback_data=RemindAction(action="done", assignment_id=assignment_id),
            )
        builder.adjust(4)
    return builder.as_markup()


def rsvp(seminar_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts.BTN_YES, callback_data=RsvpAction(answer="yes", seminar_id=seminar_id)
    )
    builder.button(text=texts.BTN_NO, callback_data=RsvpAction(answer="no", seminar_id=seminar_id))
    return builder.as_markup()
