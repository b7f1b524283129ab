"""A past date typed in a conversation (seminar, postponement, absence): refused at once with
the question asked again, and the same date of a later year offered as a button, never taken
silently. What the button stands for is kept in the conversation's data, not in the button."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import keyboards, texts


async def refuse_past(
    message: Message,
    state: FSMContext,
    flow: str,
    typed: str,
    ask: str,
    later: tuple[str, dict[str, Any]] | None = None,
    several: bool = False,
) -> None:
    """Say `typed` is past and ask `ask` again; `later`: the label of a later year's date (with
    its year) and what its button then takes."""
    await state.update_data(later=later[1] if later else None)
    await message.answer(
        texts.date_past(typed, later[0] if later else None, ask, several),
        reply_markup=keyboards.later_date(flow, later[0]) if later else None,
    )


async def take_later(query: CallbackQuery, state: FSMContext) -> dict[str, Any] | None:
    """What the pressed later-date button stands for (its button then removed), or None when
    the question it answered is over (the press is answered so)."""
    kept = (await state.get_data()).get("later")
    if not isinstance(kept, dict) or not isinstance(query.message, Message):
        await query.answer(texts.LATER_GONE, show_alert=True)
        return None
    await state.update_data(later=None)
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    return kept
