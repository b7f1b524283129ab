"""Inline keyboards, built from texts and typed callback data."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import texts
from bot.callbacks import FixAction, ImportAction


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
