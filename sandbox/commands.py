"""The sandbox's own command lines (/as, /clock, /file, ...), parsed without I/O."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

HELP = """Команды песочницы:
  /as ИМЯ            говорить от имени: coordinator, curator1, curator2, observer
  /who               кто есть в песочнице (и кто в каком мессенджере)
  /clock +3d | +2h | +30m     перевести часы вперёд (напоминания сработают по пути)
  /clock 2020-11-09 09:00     поставить часы на момент (время плана)
  /file ПУТЬ [ПУТЬ ...]       отправить файлы как документы
  /photos ПУТЬ [ПУТЬ ...]     отправить фото (несколько — одним альбомом)
  N или /press ТЕКСТ          нажать кнопку под последним сообщением (по номеру или тексту)
  /press 3.2                  нажать кнопку 2 под сообщением [3] (номера — как напечатаны)
  /dashboard         ссылка на панель (Mini App) от имени текущего человека — откройте
                     её в браузере на этом компьютере
  /help              эта справка (и справка бота)
  /quit или Ctrl-D   выйти
Всё остальное уходит боту от текущего человека, как в мессенджере.
Мессенджер выбирается при запуске: python -m bot sandbox --messenger telegram (по умолчанию),
max (все в MAX) или both (Ольга и Борис в Telegram, Алиса и Иван в MAX)."""


@dataclass(frozen=True)
class Line:
    """One parsed input line: a sandbox verb with arguments, or text for the bot."""

    verb: str  # say | as | who | clock | file | photos | press | dashboard | help | quit | empty
    args: tuple[str, ...] = ()


_VERBS = {"/as", "/who", "/clock", "/file", "/photos", "/press", "/dashboard", "/help", "/quit"}


def parse_line(raw: str) -> Line:
    """Sandbox verbs are taken here; anything else (bot commands too) is said to the bot."""
    text = raw.strip()
    if not text or text.startswith("#"):
        return Line("empty")
    if text.isdigit():  # "3.2" alone is a date to the bot: earlier messages need /press 3.2
        return Line("press", (text,))
    head, _, rest = text.partition(" ")
    if head in _VERBS:
        verb = head[1:]
        if verb in ("file", "photos"):
            return Line(verb, tuple(shlex.split(rest)))
        return Line(verb, (rest.strip(),) if rest.strip() else ())
    return Line("say", (text,))


_STEP = re.compile(r"^\+(\d+)\s*([dhm])$")
_UNITS = {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}


def clock_target(arg: str, now: datetime, zone: ZoneInfo) -> datetime:
    """The moment `/clock ARG` asks for: '+3d', '+2h', '+30m' or 'YYYY-MM-DD [HH:MM]' local."""
    arg = arg.strip()
    step = _STEP.match(arg)
    if step:
        return now + int(step.group(1)) * _UNITS[step.group(2)]
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            local = datetime.strptime(arg, pattern)
        except ValueError:
            continue
        return local.replace(tzinfo=zone)
    raise ValueError(f"не понял время: {arg!r} (примеры: +3d, +2h, 2020-11-09 09:00)")
