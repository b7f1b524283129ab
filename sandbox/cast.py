"""Who chats in which messenger (`--messenger`), said in Russian; light, read before the world
starts."""

from __future__ import annotations

from messengers import MAX, TELEGRAM

BOTH = "both"
CHOICES = (TELEGRAM, MAX, BOTH)  # --messenger
# --messenger both: Алиса (curator1) reports in MAX and Ольга reviews in Telegram, so the main
# story crosses messengers; Борис stays in Telegram and Иван reads in MAX.
BOTH_CAST = {"coordinator": TELEGRAM, "curator1": MAX, "curator2": TELEGRAM, "observer": MAX}
MESSENGER_NAMES = {TELEGRAM: "Telegram", MAX: "MAX"}


def cast(messenger: str) -> dict[str, str]:
    """Who is in which messenger: everyone in one, or (both) as BOTH_CAST says."""
    if messenger == BOTH:
        return dict(BOTH_CAST)
    if messenger in (TELEGRAM, MAX):
        return {key: messenger for key in BOTH_CAST}
    raise ValueError(unknown_messenger(messenger))


def emulators_said(messenger: str) -> str:
    """'эмулятор MAX', 'эмуляторы Telegram и MAX': what the sandbox runs, for its first line."""
    if messenger == BOTH:
        return "эмуляторы Telegram и MAX"
    return f"эмулятор {MESSENGER_NAMES[messenger]}"


def unknown_messenger(messenger: str) -> str:
    return (
        f"Нет такого мессенджера: «{messenger}». Можно: telegram (по умолчанию), max или both "
        "(Ольга и Борис в Telegram, Алиса и Иван в MAX). Например: "
        "python -m bot sandbox --messenger max"
    )
