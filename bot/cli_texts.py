"""The command line's Russian: help, usage and argparse's own words, its lines and its errors.

Chat texts live in bot/texts.py; where the CLI says the same thing it reuses them from there.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NoReturn

from core.errors import DomainError

PROG = "python -m bot"
USAGE = "использование: "
ERROR = "ошибка"

# argparse 3.11+ builds its messages from these gettext templates (argparse's `_()`): the
# English one on the left is matched against what argparse wrote and said again on the right.
ARGPARSE_WORDS: dict[str, str] = {
    "%(prog)s: error: %(message)s\n": "%(prog)s: ошибка: %(message)s\n",
    "argument %(argument_name)s: %(message)s": "аргумент %(argument_name)s: %(message)s",
    "the following arguments are required: %s": "не хватает обязательных аргументов: %s",
    "one of the arguments %s is required": "нужен один из аргументов: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "нет такого варианта: %(value)r (можно: %(choices)s)"
    ),
    "unknown parser %(parser_name)r (choices: %(choices)s)": (
        "нет такой команды: %(parser_name)r (можно: %(choices)s)"
    ),
    "invalid %(type)s value: %(value)r": "неверное значение (%(type)s): %(value)r",
    "unrecognized arguments: %s": "лишние аргументы: %s",
    "expected one argument": "нужно одно значение",
    "expected at most one argument": "нужно не больше одного значения",
    "expected at least one argument": "нужно хотя бы одно значение",
    "expected %s argument": "нужно значений: %s",
    "expected %s arguments": "нужно значений: %s",
    "ambiguous option: %(option)s could match %(matches)s": (
        "неоднозначный параметр: %(option)s подходит к %(matches)s"
    ),
    "not allowed with argument %s": "нельзя вместе с аргументом %s",
    "ignored explicit argument %r": "значение %r не нужно этому параметру",
    "can't open '%(filename)s': %(error)s": "не открыть «%(filename)s»: %(error)s",
    "positional arguments": "аргументы",
    "options": "параметры",
    "show this help message and exit": "показать эту справку и выйти",
    "usage: ": USAGE,
}
_TYPES = {"int": "целое число", "float": "число"}


def _pattern(template: str) -> re.Pattern[str]:
    """A regex matching what `template % values` gives, its named fields as groups."""
    parts, names = [], 0
    for piece in re.split(r"(%\(\w+\)[sr]|%[sr])", template):
        named = re.fullmatch(r"%\((\w+)\)[sr]", piece)
        if named:
            parts.append(f"(?P<{named.group(1)}>.*?)")
        elif piece in ("%s", "%r"):
            names += 1
            parts.append(f"(?P<_{names}>.*?)")
        else:
            parts.append(re.escape(piece))
    return re.compile("".join(parts), re.S)


_PATTERNS = [(_pattern(en), ru) for en, ru in ARGPARSE_WORDS.items() if "%" in en]


def argparse_ru(message: str) -> str:
    """argparse's English `message` in Russian (the message it carries too); else unchanged."""
    for pattern, russian in _PATTERNS:
        found = pattern.fullmatch(message)
        if found is None:
            continue
        values = {k: v for k, v in found.groupdict().items() if not k.startswith("_")}
        if "message" in values:
            values["message"] = argparse_ru(values["message"])
        if "type" in values:
            values["type"] = _TYPES.get(values["type"], values["type"])
        positional = tuple(v for k, v in sorted(found.groupdict().items()) if k.startswith("_"))
        # The values were formatted already (a %r's quotes are in them): fill them in as text.
        as_text = re.sub(r"(%(?:\(\w+\))?)r", r"\1s", russian)
        return as_text % (values or positional)
    return ARGPARSE_WORDS.get(message, message)


class _RussianUsage(argparse.HelpFormatter):
    def add_usage(
        self,
        usage: str | None,
        actions: Any,
        groups: Any,
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, USAGE if prefix is None else prefix)


_FORMATTERS: dict[Any, Any] = {}


class RussianParser(argparse.ArgumentParser):
    """argparse in Russian: usage, headings, help and errors (exit code 2 for usage errors);
    an option or positional without a metavar gets its Russian one from METAVARS."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        add_help = kwargs.pop("add_help", True)
        kwargs["add_help"] = False  # argparse's own -h says its help in English
        super().__init__(*args, **kwargs)
        self._positionals.title = ARGPARSE_WORDS["positional arguments"]
        self._optionals.title = ARGPARSE_WORDS["options"]
        if add_help:
            self.add_argument(
                "-h",
                "--help",
                action="help",
                default=argparse.SUPPRESS,
                help=ARGPARSE_WORDS["show this help message and exit"],
            )

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        if action.metavar is not None or action.nargs == 0:
            return action
        if action.choices is None:
            action.metavar = METAVARS.get(action.dest)
        elif not action.option_strings:  # errors name it by its choices, not by its dest
            action.metavar = "{" + ",".join(map(str, action.choices)) + "}"
        return action

    def _get_formatter(self) -> argparse.HelpFormatter:
        base: Any = self.formatter_class
        if base not in _FORMATTERS:
            _FORMATTERS[base] = type(f"Russian{base.__name__}", (_RussianUsage, base), {})
        return _FORMATTERS[base](prog=self.prog)  # type: ignore[no-any-return]

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: {ERROR}: {argparse_ru(message)}\n")


METAVARS = {
    "file": "ФАЙЛ",
    "path": "ПУТЬ",
    "name": "НАЗВАНИЕ",
    "short_name": "КРАТКО",
    "municipality": "МУНИЦИПАЛИТЕТ",
    "timezone": "ГОРОД",
    "school": "ШКОЛА",
    "duplicate": "ДУБЛЬ",
    "into": "ШКОЛА",
    "plan": "ПЛАН",
    "direction": "НАПРАВЛЕНИЕ",
    "role": "РОЛЬ",
    "expires": "СРОК",
    "uses": "РАЗ",
    "year": "ГОД",
    "details": "N",
    "since": "С",
    "until": "ПО",
    "out": "ФАЙЛ",
    "template": "ШАБЛОН",
    "item": "ПУНКТ",
    "part_mb": "МБ",
    "user": "УЧЁТНАЯ_ЗАПИСЬ",
    "account": "УЧЁТНАЯ_ЗАПИСЬ",
    "limit": "N",
    "db": "ФАЙЛ",
    "script": "ФАЙЛ",
    "messenger": "МЕССЕНДЖЕР",
    "start": "ДАТА_ВРЕМЯ",
    "host": "АДРЕС",
    "port": "ПОРТ",
    "token": "ТОКЕН",
    "username": "ИМЯ_БОТА",
    "search": "ТЕКСТ",
    "key": "НАСТРОЙКА",
    "value": "ЗНАЧЕНИЕ",
    "what": "ДНИ_ИЛИ_ID",
    "title": "НАЗВАНИЕ",
    "date": "ДАТА",
    "reason": "ПРИЧИНА",
}


# --- what the commands print -------------------------------------------------------------

NO_TOKEN = (
    "Не задан BOT_TOKEN: создайте бота у @BotFather в Telegram (/newbot) и запишите "
    "BOT_TOKEN=<токен> в окружение или в файл .env в текущей папке; для MAX запишите туда "
    "MAX_TOKEN=<токен> (бот, созданный на business.max.ru; с обоими токенами один процесс "
    "обслуживает оба мессенджера). Попробовать Куратора без токена: python -m bot sandbox."
)
WEBHOOK_TELEGRAM_ONLY = "--webhook — для Telegram: MAX работает только опросом (long polling)."
WEBHOOK_NEEDS_URL = "Для --webhook нужен WEBHOOK_URL — публичный https-адрес этого бота."
NO_USERNAME = "У бота нет имени пользователя (username)."
NEEDS_USERNAME = (
    "Задайте BOT_USERNAME (или BOT_TOKEN) либо MAX_BOT_USERNAME, чтобы ссылка-приглашение "
    "называла бота."
)


def config_error(fields: Sequence[str]) -> str:
    """The settings that could not be read (pydantic says why in English: the names suffice)."""
    return (
        "Ошибка в настройках (переменные окружения или .env): "
        + ", ".join(fields)
        + ". Проверьте их значения (см. docs/deploy.md)."
    )


def error_line(text: str) -> str:
    """An error as the CLI prints it on stderr."""
    return f"{ERROR}: {text}"


def sandbox_db(moment: datetime, zone: str) -> str:
    from bot.texts import zone_label

    return f"База песочницы: время песочницы {moment:%d.%m.%Y %H:%M}{zone_label(zone)}."


EMULATOR_AT = "Эмулятор Bot API: {url} (TELEGRAM_API_URL={url})"
NO_FILE = "нет такого файла: {path}"
NO_PLAN_FILE = "нет файла плана {path}"
NO_SCRIPT_FILE = "нет файла сценария {path}"
BAD_START = "--start: нужно ГГГГ-ММ-ДД ЧЧ:ММ, например 2020-11-09 08:55, а не {value!r}"
BAD_YEAR = "неверный --year {value!r}: нужно, например, 2020/2021"
BAD_DATES = "даты пишутся так: 2020-11-01"
BAD_WINDOW = "--to должна быть позже --from"
BAD_SINCE = "--since: нужно ГГГГ-ММ-ДД или ГГГГ-ММ-ДДTЧЧ:ММ, а не {value!r}"
BAD_ROLE = "неизвестная роль {value!r}: можно curator, coordinator, observer или admin"
BAD_DURATION = "неверный срок {value!r}: например 30m, 12h, 14d, 2w"
BAD_SETTING = "неверное значение {key}: {value!r}"
NO_SETTING = "нет настройки {key}; есть: {keys}"
DOCX_ONLY = "--school, --aggregate и --template — только для --format docx"
NO_TEMPLATE = "нет файла шаблона отчёта: {path}"
NO_DIRECTION = "в плане нет направления {code!r}"
DIRECTION_NEEDS_PLAN = "--direction — только вместе с --plan"
DB_REVISION = "база на версии схемы {revision}"
DB_EMPTY = "база пуста"
DB_AGREE = "модели и миграции совпадают"
DB_DIFFER = "модели и миграции расходятся: {diffs}"
BACKUP_WRITTEN = "копия записана в {path} ({pages} стр.)"
BACKUP_ERRORS = {
    "postgres": (
        "db backup/restore работают с SQLite; для PostgreSQL используйте pg_dump -Fc и "
        "pg_restore (см. docs/deploy.md)"
    ),
    "memory": "базу в памяти нельзя скопировать",
    "no_database": "нет файла базы {path}",
    "exists": "{path} уже есть: выберите новый файл",
    "no_backup": "нет файла копии {path}",
    "damaged": "{path} повреждён (проверка целостности не прошла)",
    "not_sqlite": "{path} — не база SQLite",
    "not_kurator": "{path} — не база Куратора (нет версии схемы)",
}
STATUS_REBUILT = "таблица счётчиков пересчитана: {rows} строк"
STATUS_AGREE = "счётчики совпадают с полным пересчётом"
STATUS_DIFFER = "расходятся: {count}"
STATUS_ROW = "{key}: в таблице {kept}, пересчитано {counted}"
WRITTEN = "записан {path} ({size} байт)"
REPORT_NUMBERS = (
    "{title}: всего {total}, принято {accepted}, на проверке {submitted}, открыто {open}, "
    "просрочено {overdue}"
)
EVIDENCE_NUMBERS = "{title}: файлов {files}, не хватает {missing} (перечислены в описи)"
AUDIT_COUNT = "записей: {count}"
AUDIT_SYSTEM = "система"
REMINDERS_COUNT = "напоминаний: {count}"
REMINDERS_MOVED = "  (перенесено с {moved_from}: {why})"
REMINDERS_DAYS_OFF = "Выходные дни в окне:"
REMINDER_WHO = "польз. {user_id}"
REMINDER_KINDS = {
    "deadline": "срок",
    "start": "начало",
    "checkin": "как дела",
    "recurring": "регулярное",
    "overdue": "просрочено",
    "escalation": "координатору",
    "snoozed": "отложенное",
    "seminar": "семинар",
    "seminar_soon": "семинар скоро",
    "digest": "сводка",
    "resume": "после паузы",
    "back": "возвращение",
}
_EFFECTS = {
    "moved": "перенесено",
    "skipped, one summary after": "пропущено, потом одна сводка",
    "skipped, no deputy": "пропущено: заместителя нет",
}


def reminder_time(moment: datetime, zone: str) -> str:
    """ "06.11.2020 09:00 по Екатеринбургу (04:00 UTC)": when a reminder goes, on the clock of
    the person it goes to."""
    from datetime import UTC

    from bot.texts import named_time

    return f"{named_time(moment, zone)} ({moment.astimezone(UTC):%H:%M} UTC)"


def day_off_effect(effect: str) -> str:
    """What a day off does to reminders, in Russian (core says it in English for JSON)."""
    deputy = re.fullmatch(r"to deputy user (\d+)", effect)
    if deputy:
        return f"заместителю, польз. {deputy.group(1)}"
    return _EFFECTS.get(effect, effect)


# --- the import preview (bot/preview.py) ------------------------------------------------

PERIOD_KINDS = {  # core/periods.KINDS
    "date": "дата",
    "deadline": "срок",
    "month": "месяц",
    "range": "промежуток",
    "term": "четверть/полугодие",
    "academic_year": "учебный год",
    "years": "несколько лет",
    "recurring": "регулярно",
    "list": "несколько сроков",
    "relative": "относительный",
    "unknown": "не понят",
}
FIELD_NAMES = {  # core/plan_import._TRACKED
    "title": "название",
    "period_text": "срок в файле",
    "start_date": "начало",
    "due_date": "срок",
    "responsible_text": "ответственные",
    "expected_result": "результат",
    "note": "примечание",
}


# --- schools, people, plans, invitations -------------------------------------------------

SCHOOL_LINE = "школа {id}: {name}"
SCHOOL_ZONE = "школа {id}: {city}"
SCHOOL_MERGED = "школа {id} объединена со школой {into}: перенесено назначений: {moved}"
PERSON_STATES = {
    "inactive": "отключён",
    "blocked": "заблокировал бота",
    "never_started": "не запускал бота",
    "ok": "активен",
}
NOBODY = "никого нет"
PERSON_ACTIVE = {True: "{account}: включён", False: "{account}: отключён"}
ROLES_CHANGED = "{account}: изменено ролей: {count}"
ROLES_MOVED = "{account}: перенесено ролей в школу {school}: {count}"
NO_PLANS = "планов нет"
ARCHIVED = "(в архиве)"
PLAN_ARCHIVED = {True: "план {id}: в архиве", False: "план {id}: возвращён из архива"}
PLAN_SET = "план {id}: {key} = {value}"
PLAN_ATTACHED = "план {id}: школа {school} участвует (новых пунктов: {added})"
NO_HOLIDAYS = "каникул нет"
NO_PAUSES = "пауз нет"
BREAKS_PAST = "(прошли)"
BREAK_KINDS = {"holidays": "каникулы", "pause": "пауза"}
BREAK_ENDED = {"remove": "удалены", "lift": "снята"}
BREAK_ADDED = "{kind} {id}: {first:%d.%m.%Y}–{last:%d.%m.%Y} {title}{where}"
BREAK_SCHOOL = ", школа {school}"
DEADLINE_MOVED = (
    "пункт {id} ({title}): срок {day:%d.%m.%Y} для {where}; перенесено пунктов: {count}"
)
DEADLINE_ALL = "всех школ"
DEADLINE_SCHOOL = "школы {school}"
INVITE_REVOKED = "приглашение {id} отозвано"
INVITE_CREATED = "приглашение {id}: {role}{school}, использований: {uses}, действует до {until}"
INVITE_LINE = "{id}\t{role}\t{school}\t{used}/{uses}\tдо {until}"


def until(moment: datetime, zone: str) -> str:
    """ "05.12.2026 18:00 по Москве": an expiry on the one time rule, its zone named as a city."""
    from bot.texts import named_time

    return named_time(moment, zone)


def plan_line(plan_id: int, title: str, archived: bool) -> str:
    return f"{plan_id}\t{title[:100]}" + (f"\t{ARCHIVED}" if archived else "")


# --- core's errors by key ----------------------------------------------------------------

DOMAIN_ERRORS: dict[str, str] = {
    "school_not_found": "нет школы «{ref}»",
    "seminar_empty_topic": "тема семинара пустая",
    "school_ambiguous": "«{ref}» подходит к нескольким школам: укажите номер (id)",
    "school_id_not_found": "нет школы с номером {id}",
    "school_name_empty": "название школы пустое",
    "school_exists": "школа «{name}» уже есть (номер {id})",
    "school_name_taken": "название «{name}» пустое или уже занято",
    "merge_into_itself": "школу нельзя объединить саму с собой",
    "merge_missing": "обе школы должны существовать и ещё не быть объединены",
    "unknown_zone": (
        "не знаю часовой пояс «{zone}»: напишите город, например Москва, Екатеринбург, Омск"
    ),
    "plan_not_found": "нет плана {id}",
    "plan_ambiguous": "под «{ref}» подходит планов: {count}; укажите номер плана",
    "plan_no_match": "нет плана «{ref}»",
    "school_not_in_plan": "школа {school} не участвует в плане {plan}",
    "plan_no_direction": "в плане {plan} нет направления {code!r}",
    "item_not_found": "в плане {plan} нет пункта {ref!r} (или их несколько)",
    "break_not_found": "нет каникул или паузы с номером {id}",
    "invitation_not_found": "нет приглашения с номером {id}",
    "invitation_uses": "число использований должно быть не меньше 1",
    "invitation_past": "срок действия должен быть в будущем",
    "invitation_needs_school": "приглашению роли «{role}» нужна школа (--school)",
    "setting": "неверное значение настройки {setting}",
    "account_unknown": "нет человека с учётной записью {account}",
    "account_format": "не понимаю «{text}»: нужен номер в Telegram (123) или max:123",
    "person_not_found": "нет человека {id}",
    "deadline": "срок не перенести: {reason}",
    "give_id": "укажите номер записи (его показывает list)",
    "give_days": "укажите дни, например 2020-10-26..2020-11-03",
    "bad_days": "не понимаю дни {value!r}; например 2020-10-26..2020-11-03",
    "bad_date": "даты пишутся так: 2020-11-20, а не {value!r}",
}
# By class when a raise has no key yet: a Russian line rather than an English one.
DOMAIN_CODES = {
    "not_found": "не найдено",
    "invalid_input": "неверные данные",
    "refused": "нельзя",
}


def domain_error(exc: DomainError) -> str:
    """A core error in Russian: by its key and arguments, else by its class."""
    template = DOMAIN_ERRORS.get(exc.text_key or "")
    if template is not None:
        from bot.texts import ROLE_NAMES
        from core.roles import Role

        params = {k: ROLE_NAMES[v] if isinstance(v, Role) else v for k, v in exc.params.items()}
        try:
            return template.format(**params)
        except (KeyError, IndexError):
            pass
    return DOMAIN_CODES.get(exc.code, "ошибка")
