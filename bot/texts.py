"""Every user-facing Russian text in one place (ready for translation). HTML parse mode."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from bot.person_words import by_gender, gender, genitive
from core.activities import ActivityBrief
from core.dto import MembershipInfo, UserContext
from core.import_diff import ImportDiff
from core.item_state import ItemState, State, item_state
from core.periods import MONTH_NAMES, MONTH_NAMES_GENITIVE
from core.roles import RANK, Role
from core.when import local_moment, needs_year
from importer.draft import PlanDraft
from importer.errors import MAX_PDF_PAGES, MAX_ROWS

NO_DIRECTION = "Без направления"
COMMENT_LIMIT = 3000  # a comment in a message: with the rest it stays under Telegram's 4096
CARD_COMMENT = 300  # on a card; longer ones are one tap away (comments_clipped, full_comments)
MESSAGE_LIMIT = 4000  # one message of plain text, a little under Telegram's 4096


def direction_label(code: str, title: str) -> str:
    """ "II. Методическое сопровождение", or the title alone when there is no code."""
    title = escape(clip(title or NO_DIRECTION, 60))
    return f"{escape(code)}. {title}" if code else title


ZONE_LABELS = {
    "Europe/Kaliningrad": "по Калининграду",
    "Europe/Moscow": "по Москве",
    "Europe/Samara": "по Самаре",
    "Asia/Yekaterinburg": "по Екатеринбургу",
    "Asia/Omsk": "по Омску",
    "Asia/Novosibirsk": "по Новосибирску",
    "Asia/Krasnoyarsk": "по Красноярску",
    "Asia/Irkutsk": "по Иркутску",
    "Asia/Yakutsk": "по Якутску",
    "Asia/Vladivostok": "по Владивостоку",
    "Asia/Magadan": "по Магадану",
    "Asia/Kamchatka": "по Камчатке",
}


ZONE_CITIES = {
    "Europe/Kaliningrad": "Калининград",
    "Europe/Moscow": "Москва",
    "Europe/Samara": "Самара",
    "Asia/Yekaterinburg": "Екатеринбург",
    "Asia/Omsk": "Омск",
    "Asia/Novosibirsk": "Новосибирск",
    "Asia/Krasnoyarsk": "Красноярск",
    "Asia/Irkutsk": "Иркутск",
    "Asia/Yakutsk": "Якутск",
    "Asia/Vladivostok": "Владивосток",
    "Asia/Magadan": "Магадан",
    "Asia/Kamchatka": "Камчатка",
}


def zone_city(zone: str | None) -> str:
    """What a person reads for a time zone: its city ("Екатеринбург"), never the IANA name; a
    zone without one, by its offset from UTC ("UTC+3")."""
    if not zone:
        return ""
    if zone in ZONE_CITIES:
        return ZONE_CITIES[zone]
    try:
        offset = datetime.now(ZoneInfo(zone)).utcoffset() or timedelta()
    except (KeyError, ValueError):
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(zone: str | None) -> str:
    """ " по Москве" for a named zone (with its leading space), "" when none is named."""
    if not zone:
        return ""
    return f" {ZONE_LABELS.get(zone, f'по времени {zone_city(zone)}')}"


def document_time(moment: datetime, zone: str) -> str:
    """ "19.11.2026 09:00": a moment as documents and the dashboard show it, on the plan's clock
    (`core.when.local_moment`); the zone is named once beside it (`zoned`)."""
    return f"{local_moment(moment, zone):%d.%m.%Y %H:%M}"


def named_time(moment: datetime, zone: str) -> str:
    """ "19.11.2026 09:00 по Екатеринбургу": one moment on its own, its zone named beside it."""
    return f"{document_time(moment, zone)}{zone_label(zone)}"


def zoned(words: str, zone: str) -> str:
    """ "Отправлено (по Екатеринбургу)": a column or list of times with its zone named."""
    return f"{words} ({zone_label(zone).strip()})" if zone else words


def seminar_when(
    day: date | None, starts_at: datetime | None, zone: str, viewer_zone: str, today: date
) -> str:
    """When a seminar is, as one person reads it: the time where it was set, and theirs when it
    differs ("15 декабря, вт, 15:00 по Екатеринбургу (13:00 по Москве)")."""
    if starts_at is None:
        return day_month(day, today) if day else "дата не назначена"
    there = starts_at.astimezone(ZoneInfo(zone))
    here = starts_at.astimezone(ZoneInfo(viewer_zone))
    text = f"{day_month(there.date(), today)}, {there:%H:%M}"
    if there.utcoffset() == here.utcoffset():
        return text
    other = (
        f"{here:%H:%M}"
        if here.date() == there.date()
        else f"{day_month(here.date(), today)}, {here:%H:%M}"
    )
    return f"{text}{zone_label(zone)} ({other}{zone_label(viewer_zone)})"


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, ending with "…" if cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:  # a word boundary not too far back
        cut = cut[:space]
    return cut.rstrip(" ,.;:—-") + "…"


ROLE_NAMES: dict[Role, str] = {
    Role.ADMIN: "администратор",
    Role.COORDINATOR: "координатор",
    Role.CURATOR: "куратор",
    Role.OBSERVER: "наблюдатель",
}

COMMAND_DESCRIPTIONS: dict[str, str] = {
    "start": "Начать работу",
    "help": "Что умеет бот",
    "me": "Мои школы и роли",
    "schools": "Список школ",
    "upcoming": "Напоминания на неделю",
    "my": "Мои пункты",
    "review": "Ждут проверки",
    "status": "Статус плана",
    "dashboard": "Панель: все школы на одном экране",
    "overdue": "Просрочено по школам",
    "report": "Отчёт: XLSX или Word",
    "evidence": "Архив подтверждающих материалов",
    "calendar": "Сроки и семинары в календарь",
    "seminars": "Семинары",
    "link": "Привязать группу к направлению",
    "unlink": "Отвязать группу",
    "mydata": "Мои данные",
    "settings": "Мои настройки напоминаний",
    "people": "Люди и роли",
    "invite": "Пригласить",
    "invites": "Активные приглашения",
    "plans": "Планы: настройки, каникулы, архив",
    "away": "Меня не будет: отпуск и замещение",
    "forget": "Удалить мои данные",
    "connect": "Связать с Telegram или MAX",
}

START_NO_CODE = (
    "Здравствуйте! Я <b>Куратор</b> — помогаю школам и методистам выполнять план-график "
    "вовремя: напоминаю о сроках и семинарах, принимаю отчёты и показываю общий статус.\n\n"
    "Чтобы присоединиться, откройте ссылку-приглашение, которую вам прислал координатор "
    "или администратор (она выглядит как t.me/…?start=… или max.ru/…?start=…). "
    "Если ссылки нет — попросите её у своего координатора."
)

INVITATION_ERRORS: dict[str, str] = {
    "invitation_unknown": (
        "Эта ссылка-приглашение не найдена. Проверьте, что она скопирована целиком, "
        "или попросите у координатора новую."
    ),
    "invitation_expired": "Срок действия этого приглашения истёк. Попросите у координатора новое.",
    "invitation_revoked": "Это приглашение отозвано. Попросите у координатора новое.",
    "invitation_used_up": (
        "Это приглашение уже использовано. Каждая ссылка работает ограниченное число раз — "
        "попросите у координатора свою."
    ),
    "invitation_already_used": (
        "Вы уже входили по этой ссылке, и эта роль у вас сейчас не действует. "
        "Чтобы вернуться, попросите у координатора новое приглашение."
    ),
    "access_switched_off": (
        "Доступ к боту для вас отключён администратором. Если это ошибка — напишите координатору."
    ),
}

NOT_MEMBER = (
    "Вы пока не подключены ни к одной школе. Откройте ссылку-приглашение от координатора, "
    "чтобы начать."
)
DEACTIVATED = "Ваш доступ к боту отключён. Если это ошибка, обратитесь к координатору."
NO_PERMISSION = "Эта команда вам недоступна."
NOT_IN_SCOPE = "Это вам недоступно: раздел другого плана или школы. Откройте /status заново."
UNKNOWN_COMMAND = "Не знаю такой команды. Список команд — /help."
PLAIN_TEXT_HELP = (
    "Я работаю с командами и кнопками. Ваши пункты плана — /my, все команды — /help. "
    "Вопрос координатору задайте из карточки пункта: кнопка «❓ Нужна помощь»."
)
STRAY_FILE = (
    "Файл пока ни к чему не приложен. Чтобы отчитаться по пункту, откройте /my, выберите "
    "пункт, нажмите «✅ Выполнено» и пришлите файл ещё раз."
)
# The same two answers for those who lead a plan or only watch it: no /my, no reports to hand in.
PLAIN_TEXT_MANAGER = (
    "Я работаю с командами и кнопками. Ход плана — /status, просроченное — /overdue, "
    "на проверке — /review, все команды — /help. На вопрос куратора ответьте кнопкой "
    "«{answer}» под ним."
)
STRAY_FILE_MANAGER = (
    "Файл ни к чему не приложен. Чтобы загрузить план-график, пришлите его документом "
    "(DOCX, XLSX, PDF, CSV или TXT), не фотографией. Все команды — /help."
)
PLAIN_TEXT_OBSERVER = (
    "Я работаю с командами и кнопками. Ход плана — /status, отчёт — /report, все команды — /help."
)
STRAY_FILE_OBSERVER = (
    "Файлы здесь ни к чему не прикладываются: вы наблюдаете за планом. "
    "Ход плана — /status, все команды — /help."
)


def free_text_answer(roles: frozenset[Role], file: bool = False) -> str:
    """What to do with words or a file sent outside any conversation, by what the person does:
    a curator reports, a coordinator leads, an observer watches."""
    if Role.CURATOR in roles:
        return STRAY_FILE if file else PLAIN_TEXT_HELP
    if roles & {Role.COORDINATOR, Role.ADMIN}:
        return STRAY_FILE_MANAGER if file else PLAIN_TEXT_MANAGER.format(answer=BTN_ANSWER)
    return STRAY_FILE_OBSERVER if file else PLAIN_TEXT_OBSERVER


GENERIC_ERROR = "Что-то пошло не так. Попробуйте ещё раз чуть позже."
NO_SCHOOLS = "Школ пока нет."


def role_name(role: Role) -> str:
    return ROLE_NAMES[role]


def _where(m: MembershipInfo) -> str:
    parts = [escape(p) for p in (m.school_name, m.plan_title, m.direction_title) if p]
    return ", ".join(parts) if parts else "все школы"


def greeting(name: str | None, membership: MembershipInfo, already: bool) -> str:
    """Welcome after redeeming an invitation: names the school and the role."""
    hello = f"Здравствуйте, {escape(name)}!" if name else "Здравствуйте!"
    role = role_name(membership.role)
    place = _where(membership)
    if already:
        return f"{hello} Вы уже подключены: <b>{role}</b> — {place}.\n\nСписок команд — /help."
    return (
        f"{hello} Вы подключены как <b>{role}</b>: {place}.\n\n"
        "Я буду напоминать о сроках и семинарах. Список команд — /help."
    )


def membership_lines(context: UserContext) -> str:
    lines = [
        f"• <b>{role_name(m.role)}</b> — {_where(m)}"
        for m in sorted(context.memberships, key=lambda m: RANK[m.role])
    ]
    return "\n".join(lines)


def me(context: UserContext) -> str:
    """/me: the person's roles."""
    if not context.memberships:
        return NOT_MEMBER
    name = escape(context.full_name or "")
    return f"<b>{name}</b>\nВаши роли:\n{membership_lines(context)}"


def help_text(commands: list[str], context: UserContext | None) -> str:
    """/help: commands available to this person, then how to join if they have no role."""
    lines = [f"/{c} — {COMMAND_DESCRIPTIONS[c]}" for c in commands]
    head = "<b>Куратор</b> — напоминания о сроках плана, отчёты и статус.\n\n"
    body = "Команды:\n" + "\n".join(lines)
    if context is None or not context.memberships:
        body += "\n\n" + NOT_MEMBER
    else:
        body += "\n\nВаши роли:\n" + membership_lines(context)
    return head + body + "\n\n" + PRIVACY


def schools_list(
    rows: list[tuple[str, str | None]], total: int | None = None, page: int = 0, pages: int = 1
) -> str:
    """/schools: name and time zone per line; a long list a page at a time."""
    if not rows:
        return NO_SCHOOLS
    lines = [
        f"• {escape(clip(name, 120))}" + (f" ({zone_city(tz)})" if tz else "") for name, tz in rows
    ]
    where = f", стр. {page + 1}/{pages}" if pages > 1 else ""
    return f"<b>Школы ({total if total is not None else len(rows)}{where})</b>\n" + "\n".join(lines)


# --- plan import in chat -----------------------------------------------------------------

IMPORT_FILE_ERRORS: dict[str, str] = {
    "empty": "Файл пустой. Пришлите план-график в DOCX, XLSX, PDF, CSV или TXT.",
    "too_big": "Файл больше 20 МБ — такой бот не может скачать. Сожмите или разделите план.",
    "corrupt": (
        "Файл повреждён или это не настоящий DOCX/XLSX/PDF. Пересохраните его и пришлите снова."
    ),
    "wrong_type": (
        "Этот тип файла не подходит. Пришлите план-график в DOCX, XLSX, PDF, CSV или TXT."
    ),
    "zip_bomb": "Файл распаковывается в слишком большой объём — импорт остановлен.",
    "nested_archive": "Внутри файла есть вложенный архив — такой файл не импортируется.",
    "no_plan": "В файле не нашлось таблицы плана (мероприятия и сроки). Проверьте файл.",
    "too_many_rows": (
        "В таблице файла {rows}, а в одном плане может быть не больше {limit}. "
        "Разделите план на части и пришлите их по одной."
    ),
    "protected": (
        "Файл защищён паролем, бот не может его прочитать. Снимите пароль "
        "(Файл → Сведения → Защита) и пришлите файл снова."
    ),
    "old_format": (
        "Это файл старого формата (.doc или .xls). Откройте его и сохраните как DOCX или XLSX "
        "(Файл → Сохранить как), затем пришлите снова."
    ),
    "too_many_pages": (
        f"В PDF больше {MAX_PDF_PAGES} страниц — столько план не занимает. Пришлите план в DOCX "
        "или XLSX либо разделите PDF на части."
    ),
    "pdf_protected": (
        "PDF открывается только по паролю, бот не может его прочитать. Пришлите PDF без пароля "
        "на открытие или исходный файл плана в DOCX или XLSX."
    ),
    "pdf_scanned": (
        "В этом PDF нет текста — это скан, страницы сохранены картинками, таблицу из них не "
        "прочитать. Пришлите исходный файл плана в DOCX или XLSX (или PDF, сохранённый из Word "
        "или Excel, а не отсканированный)."
    ),
    "pdf_garbage": (
        "Текст в этом PDF не читается: шрифты сохранены без таблицы символов, и вместо букв "
        "получаются коды. Пришлите исходный файл плана в DOCX или XLSX или сохраните PDF из "
        "Word заново (Файл → Сохранить как → PDF)."
    ),
}


def import_file_error(code: str, rows: int | None = None) -> str:
    """Why a plan file was refused, in the words of IMPORT_FILE_ERRORS."""
    word = plural(rows or 0, "строка", "строки", "строк")
    found = f"{rows} {word}" if rows else f"больше {MAX_ROWS} строк"
    return IMPORT_FILE_ERRORS[code].format(rows=found, limit=MAX_ROWS)


IMPORT_READING = "Читаю план…"
IMPORT_CANCELLED = "Импорт отменён. Ничего не сохранено."
IMPORT_CONFIRM = "✅ Импортировать"
IMPORT_CANCEL = "✖️ Отмена"
BUTTON_GONE = "Эта кнопка больше не действует. Откройте раздел заново, например /my."
DONE_STALE = (
    "Эта отметка выполнения уже закрыта (бот перезапускался или прошло много времени). "
    "Откройте пункт в /my и нажмите «✅ Выполнено» ещё раз."
)
IMPORT_STALE = "Этот предпросмотр уже не действует. Пришлите файл ещё раз."
FIX_SKIP = "Пропустить"
FIX_STOP = "Закончить"


def _fix_examples(today: date) -> str:
    """ "20.11.2020 или «ноябрь 2020»": a fix may be in the past, so its examples name the year."""
    day = example_day(today)
    return f"{day:%d.%m.%Y} или «{MONTH_NAMES[day.month - 1]} {day.year}»"


def fix_not_understood(today: date) -> str:
    day = example_day(today)
    return (
        f"Не понял дату. Напишите, например: {_fix_examples(today)}, "
        f"«до {day.day} {MONTH_NAMES_GENITIVE[day.month - 1]}» или «октябрь - ноябрь»."
    )


FIX_DONE = "Готово: все строки просмотрены."
FIX_STOPPED = "Хорошо, остальные строки можно уточнить позже."

IMPORT_REASONS = {
    "needs_date": "срок не указан или не распознан",
    "typo_fixed": "исправлена опечатка",
    "clamped_day": "такого дня нет, взят последний день месяца",
    "ambiguous": "срок понят неоднозначно",
    "outside_plan": "дата вне периода плана",
    "parser_error": "срок не распознан",
}


def _date(value: object) -> str:
    return value.strftime("%d.%m.%Y") if hasattr(value, "strftime") else "—"


# --- plan import: occurrences and PDF pages (issue 29) ---------------------------------------


def pdf_page(page: int | None) -> str:
    """Where in a PDF a flagged row was printed: ", стр. 3" (nothing for other files)."""
    return f", стр. {page}" if page else ""


IMPORT_PROGRESS = "⏳ Читаю файл: страница {done} из {total}…"
IMPORT_PROGRESS_DONE = "✅ Файл прочитан: страниц {total}."


# --- end of the issue 29 block -----------------------------------------------------------------


def _source(source: dict[str, str | None]) -> str:
    """Where a flagged period was read: the column and its text, or that there was none."""
    column, text = source["column"], source["text"]
    if column is None:
        return "в таблице нет колонки сроков"
    where = f"колонка «{escape(clip(column, 40))}»"
    return f"{where}: «{escape(clip(text, 60))}»" if text else f"{where} пуста"


IMPORT_NO_SCHOOLS = " — после импорта выберете, каким школам план"


def import_preview(draft: PlanDraft, diff: ImportDiff | None = None) -> str:
    """Counts, the academic year and the rows that need a look, fitting one message; for a
    plan already stored, what the import would change in it."""
    year = (
        f"{draft.academic_year}/{draft.academic_year + 1}" if draft.academic_year else "не указан"
    )
    lines = [
        f"<b>{escape(clip(draft.title, 300))}</b>",
        f"Учебный год: {year}",
        f"Направлений: {len(draft.directions)}, этапов: {len(draft.stages)}, "
        f"разделов: {len(draft.sections())}",
        f"Мероприятий: {len(draft.activities)}, семинаров: {len(draft.seminars)}",
        f"Школ: {len(draft.schools)}"
        + (IMPORT_NO_SCHOOLS if not draft.schools and not (diff and diff.exists) else ""),
    ]
    flagged = draft.flagged()
    if flagged:
        lines.append(f"\n<b>Требуют внимания: {len(flagged)}</b>")
        for row in flagged[:10]:
            reasons = ", ".join(IMPORT_REASONS.get(r, r) for r in row["reasons"])
            lines.append(
                f"• {escape(clip(row['title'], 80))} — {_source(row['source'])}"
                f"{pdf_page(row.get('page'))}: {reasons}"
            )
        if len(flagged) > 10:
            lines.append(f"… и ещё {len(flagged) - 10}")
    if diff is not None and diff.exists:
        lines.append("\n" + import_diff(diff, limit=5))
        lines.append("\nОбновить план?")
    else:
        lines.append("\nИмпортировать план?")
    return "\n".join(lines)


def import_diff(diff: ImportDiff, limit: int = 10, html: bool = True) -> str:
    """What a re-import would change, totals first: added, changed (old → new date), removed
    with the work each school handed in for them, schools no longer named for a direction."""
    if not diff.exists:
        return ""
    esc = escape if html else (lambda text: text)
    bold = (lambda text: f"<b>{text}</b>") if html else (lambda text: text)
    lines = [
        bold("Что изменится в плане:"),
        f"Добавится: {len(diff.added)}, изменится: {len(diff.changed)}, "
        f"исключится: {len(diff.removed)}.",
    ]
    lines += [f"+ {esc(clip(title, 90))}" for title in diff.added[:limit]]
    lines += _more(len(diff.added), limit)
    for change in diff.changed[:limit]:
        dates = ""
        if change.old_due != change.new_due:
            dates = f": {_short(change.old_due)} → {_short(change.new_due)}"
        lines.append(f"~ {esc(clip(change.title, 90))}{dates}")
    lines += _more(len(diff.changed), limit)
    lines += [f"− {esc(clip(title, 90))}" for title in diff.removed[:limit]]
    lines += _more(len(diff.removed), limit)
    if diff.work:
        items = diff.removed_with_work
        files = sum(w.files for w in diff.work)
        accepted = sum(w.accepted for w in diff.work)
        lines.append(
            bold(
                f"Сданная работа по исключаемым пунктам: {items} "
                f"{plural(items, 'пункт', 'пункта', 'пунктов')}, файлов: {files}, "
                f"принято: {accepted}."
            )
        )
        lines.append("Она не удаляется: пункты уйдут в архив и останутся в отчётах с пометкой.")
        for line in diff.work[:limit]:
            lines.append(
                f"• {esc(clip(line.school, 60))}: {line.items} "
                f"{plural(line.items, 'пункт', 'пункта', 'пунктов')}, файлов {line.files}, "
                f"принято {line.accepted}"
            )
        lines += _more(len(diff.work), limit, "школ")
    if diff.unnamed:
        lines.append(
            bold(f"Школы, которых нет в новом файле (останутся в плане): {len(diff.unnamed)}")
        )
        lines += [f"• {code}: {esc(clip(name, 60))}" for code, name in diff.unnamed[:limit]]
        lines += _more(len(diff.unnamed), limit, "школ")
    return "\n".join(lines)


def _more(total: int, limit: int, what: str = "") -> list[str]:
    return [f"… и ещё {total - limit}{' ' + what if what else ''}"] if total > limit else []


def _short(day: date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else "без даты"


IMPORT_CLI_ASK = "Из плана исключаются пункты (их сданная работа сохранится). Продолжить? [да/нет] "
IMPORT_CLI_NOT_CONFIRMED = (
    "Ничего не сохранено: новый файл исключает пункты или не называет школы направления. "
    "Проверьте изменения выше и повторите команду с --yes."
)


def detach_result(
    school: str,
    cancelled: int,
    kept: int,
    done: bool,
    *,
    direction: str | None = None,
    chat: bool = False,
) -> str:
    """What taking a plan (one direction of it) from a school does (or did) to its items:
    plain text for the CLI, HTML for the chat."""
    school = escape(clip(school, 80)) if chat else school
    where = f"направлении {direction}" if direction else "плане"
    whence = f"направления {direction}" if direction else "плана"
    lines = [
        f"Школа «{school}» больше не участвует в {where}."
        if done
        else f"Если отключить школу «{school}» от {whence}:",
        f"открытых пунктов {'снято' if done else 'снимется'}: {cancelled};",
        f"пунктов со сданной работой — в архив, остаются в отчётах: {kept}.",
    ]
    if not done:
        lines.append("Отключить?" if chat else "Чтобы отключить, повторите с --yes.")
    return "\n".join(lines)


def import_not_yours(title: str) -> str:
    return (
        f"План «{escape(clip(title, 200))}» уже есть в Куратор, и обновить его может только "
        "координатор всего этого плана или администратор."
    )


def import_done(
    created: bool,
    counts: dict[str, int],
    added: int,
    changed: int,
    removed: int,
    flagged: int,
    kept: list[dict[str, Any]] | None = None,
) -> str:
    head = "План импортирован." if created else "План обновлён."
    activities, seminars, schools = counts["activities"], counts["seminars"], counts["schools"]
    lines = [f"✅ {head} Мероприятий: {activities}, семинаров: {seminars}, школ: {schools}."]
    if not created:
        lines.append(f"Добавлено: {added}, изменено: {changed}, снято: {removed}.")
    if kept:
        lines.append(f"Перенесённые сроки сохранены ({len(kept)}), в новом файле другие даты:")
        for row in kept[:10]:
            where = escape(row["school"]) if row["school"] else "все школы"
            in_file = _date(date.fromisoformat(row["file"])) if row["file"] else "без срока"
            lines.append(
                f"• {escape(clip(row['title'], 80))} — {where}: "
                f"{_date(date.fromisoformat(row['kept']))} (в файле {in_file})"
            )
        if len(kept) > 10:
            lines.append(f"• … и ещё {len(kept) - 10}")
    if flagged:
        lines.append(f"Осталось уточнить сроки: {flagged}. Покажу их по одному.")
    return "\n".join(lines)


def fix_prompt(index: int, total: int, brief: ActivityBrief, today: date) -> str:
    """One flagged row: what it says and what to send."""
    reasons = (
        ", ".join(IMPORT_REASONS.get(f, f) for f in brief.flags if f in IMPORT_REASONS)
        or IMPORT_REASONS["needs_date"]
    )
    number = f"№ {escape(brief.number)} " if brief.number else ""
    understood = f"{_date(brief.start)} – {_date(brief.due)}" if brief.due else "нет даты"
    return (
        f"Строка {index} из {total}: {number}<b>{escape(clip(brief.title, 300))}</b>\n"
        f"Срок в плане: «{escape(brief.period_text or '—')}» ({reasons}).\n"
        f"Сейчас понято: {understood}.\n\n"
        f"Пришлите срок (например {_fix_examples(today)}) или нажмите «Пропустить»."
    )


def fix_saved(due: object) -> str:
    return f"Срок сохранён: до {_date(due)}."


# --- reminders ----------------------------------------------------------------------------

_WEEKDAYS = ["пн", "вт", "ср", "чт", "пт", "сб", "вс"]

BTN_DONE = "✅ Выполнено"
BTN_TOMORROW = "⏰ Напомнить завтра"
BTN_HELP = "❓ Нужна помощь"
BTN_YES = "Буду"
BTN_NO = "Не смогу"
REMINDER_ACTION_SOON = (
    "Спасибо! Отметка выполнения и отчёты появятся в ближайшем обновлении бота. "
    "Пока сообщите координатору обычным способом."
)
RSVP_THANKS = {"yes": "Отметил: вы будете.", "no": "Отметил: вы не сможете."}


def plural(n: int, one: str, few: str, many: str) -> str:
    """Russian plural: 1 день, 2 дня, 5 дней, 21 день."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def day_month(day: date, today: date) -> str:
    """'10 ноября, вт'; with its year outside the school year of `today` (core.when.needs_year,
    the one rule for every date shown): '30 ноября 2019, сб'."""
    year = f" {day.year}" if needs_year(day, today) else ""
    return f"{day.day} {MONTH_NAMES_GENITIVE[day.month - 1]}{year}, {_WEEKDAYS[day.weekday()]}"


def short_date(day: date, today: date) -> str:
    """'30.11', or '30.11.2019' outside the school year of `today` (the rule of day_month)."""
    return f"{day:%d.%m.%Y}" if needs_year(day, today) else f"{day:%d.%m}"


def full_date(day: date) -> str:
    """'30 ноября 2021, вт': a date offered for confirmation names its year whatever the rule."""
    return f"{day.day} {MONTH_NAMES_GENITIVE[day.month - 1]} {day.year}, {_WEEKDAYS[day.weekday()]}"


def full_span(first: date, last: date) -> str:
    """ "16 ноября 2021, вт – 27 ноября 2021, сб" (one day: one date), each with its year."""
    return full_date(first) if first == last else f"{full_date(first)} – {full_date(last)}"


def _words(day: date, today: date) -> str:
    """'20 ноября' as one types it (with its year outside the school year of `today`)."""
    year = f" {day.year}" if needs_year(day, today) else ""
    return f"{day.day} {MONTH_NAMES_GENITIVE[day.month - 1]}{year}"


def example_day(today: date) -> date:
    """The day the examples in a question name: by the clock, a little over two weeks ahead."""
    return today + timedelta(days=18)


def _example_span(today: date) -> tuple[str, str]:
    """ "20.11–01.12" and "с 20 ноября по 1 декабря": an absence or holidays to type."""
    first = example_day(today)
    last = first + timedelta(days=11)
    words = (
        f"с {first.day} по {_words(last, today)}"
        if (first.month, first.year) == (last.month, last.year)
        else f"с {_words(first, today)} по {_words(last, today)}"
    )
    return f"{short_date(first, today)}–{short_date(last, today)}", words


def date_past(typed: str, later: str | None, ask: str, several: bool = False) -> str:
    """A typed date already past: refused at once and the question asked again; the same date of
    a later year is offered to confirm (a button), never taken silently."""
    head = f"Эти даты уже прошли: {typed}." if several else f"Эта дата уже прошла: {typed}."
    offer = f"\nЕсли имели в виду {later} — нажмите кнопку ниже." if later else ""
    return f"⚠️ {head}{offer}\n\n{ask}"


LATER_GONE = "Этот вопрос уже закрыт — кнопка больше не действует."


def btn_later(later: str) -> str:
    """The button that confirms the later year's date."""
    return f"📅 {later}"


def days_left(n: int) -> str:
    if n == 0:
        return "сегодня"
    if n == 1:
        return "завтра"
    if n < 0:
        return f"просрочено на {-n} {plural(-n, 'день', 'дня', 'дней')}"
    return f"через {n} {plural(n, 'день', 'дня', 'дней')}"


DAY_OFF = {"holiday": "праздничный день", "weekend": "выходной день", "holidays": "каникулы"}


def _when(payload: dict[str, Any], today: date) -> str:
    due = payload.get("due")
    if not due:
        return "срок не указан"
    day = date.fromisoformat(due)
    off = DAY_OFF.get(str(payload.get("due_off")))
    if off and payload.get("hand_in_by"):
        by = date.fromisoformat(payload["hand_in_by"])
        left = days_left((by - today).days)
        return f"срок — {day_month(day, today)}, {off}: сдайте до {day_month(by, today)} — {left}"
    note = f" ({off})" if off else ""
    return f"до {day_month(day, today)}{note} — {days_left((day - today).days)}"


def acting_for(payload: dict[str, Any], today: date) -> str | None:
    """ "👥 За коллегу: Алиса Кураторова (нет до 14 ноября)" on what a deputy receives."""
    if not payload.get("for_user_id"):
        return None
    until = payload.get("away_until")
    back = f" (нет до {day_month(date.fromisoformat(until), today)} включительно)" if until else ""
    return f"👥 За коллегу: {escape(payload.get('for_name') or 'коллега')}{back}"


_HEADS = {
    "deadline": "⏰ Напоминание о сроке",
    "snoozed": "⏰ Напоминаю, как договорились",
    "start": "▶️ Начинается период работы",
    "checkin": "🔎 Середина срока: как продвигается?",
    "recurring": "🔁 Регулярное мероприятие",
    "overdue": "⚠️ Срок прошёл",
}


def reminder(items: list[dict[str, Any]], today: date) -> str:
    """One or several reminders for one person at one moment."""
    if len(items) == 1:
        item = items[0]
        lines = [
            f"<b>{_HEADS.get(item['kind'], _HEADS['deadline'])}</b>",
            escape(item["title"]),
            _when(item, today),
        ]
        if acting_for(item, today):
            lines.insert(1, acting_for(item, today) or "")
        if item.get("occurrence"):
            lines.append(f"Ближайшее: {day_month(date.fromisoformat(item['occurrence']), today)}")
        if item.get("expected_result"):
            lines.append(f"Что приложить: <i>{escape(item['expected_result'])}</i>")
        if item.get("plan"):
            lines.append(f"План: {escape(clip(item['plan'], 120))}")
        return "\n".join(lines)
    lines = [f"<b>⏰ Напоминания ({len(items)})</b>"]
    plans = {item.get("plan") for item in items}
    for index, item in enumerate(items, 1):
        lines.append(f"{index}. {escape(clip(item['title'], 200))}\n   {_when(item, today)}")
        if acting_for(item, today):
            lines.append(f"   {acting_for(item, today)}")
        if item.get("expected_result"):
            lines.append(f"   Что приложить: <i>{escape(clip(item['expected_result'], 150))}</i>")
        if len(plans) > 1 and item.get("plan"):
            lines.append(f"   План: {escape(clip(item['plan'], 80))}")
    if len(plans) == 1 and items[0].get("plan"):
        lines.append(f"\nПлан: {escape(clip(items[0]['plan'], 120))}")
    return "\n".join(lines)


def escalation(items: list[dict[str, Any]], today: date) -> str:
    """To a coordinator: items overdue for several days."""
    lines = [f"<b>⚠️ Просрочено ({len(items)})</b>"]
    if acting_for(items[0], today):
        lines.append(acting_for(items[0], today) or "")
    for item in items:
        school = f" — {escape(item['school'])}" if item.get("school") else ""
        who = _curators(item.get("curators") or [])
        lines.append(f"• {escape(clip(item['title'], 200))}{school}\n  {_when(item, today)}{who}")
    return "\n".join(lines)


def _curators(names: list[str]) -> str:
    """ " · куратор: Алиса Кураторова" (or "кураторы: …"), "" when nobody is linked."""
    if not names:
        return ""
    label = "куратор" if len(names) == 1 else "кураторы"
    return f" · {label}: {escape(clip(', '.join(names), 120))}"


def seminar(
    view: Any, when: str, soon: bool, days: int | None = 1, acting: str | None = None
) -> str:
    """A seminar reminder: when (in the reader's zone too), what, where, and their answer.
    `days` until it: the eve's reminder comes earlier when the eve is a day off."""
    if soon:
        head = "Скоро семинар"
    elif days is None or days == 1:
        head = "Завтра семинар"
    elif days == 0:
        head = "Сегодня семинар"
    else:
        head = f"Семинар {days_left(days)}"
    lines = [f"<b>📅 {head}</b>: {escape(when)}", escape(clip(view.topic, 600))]
    if acting:
        lines.insert(1, acting)
    if view.place:
        lines.append(f"Где: {escape(clip(view.place, 300))}")
    return "\n".join(lines) + "\n\n" + rsvp_line(view.answer)


RSVP_QUESTION = "Придёте?"
RSVP_ANSWERED = {"yes": "Ваш ответ: буду ✅", "no": "Ваш ответ: не смогу"}


def rsvp_line(answer: Any) -> str:
    """ "Придёте?" until the person answers; then their answer (the buttons change it)."""
    return RSVP_QUESTION if answer is None else RSVP_ANSWERED[getattr(answer, "value", answer)]


def with_answer(html: str, answer: str) -> str:
    """A seminar message as sent, its question (or earlier answer) replaced by `answer`."""
    head, _, last = html.rpartition("\n\n")
    if last == RSVP_QUESTION or last in RSVP_ANSWERED.values():
        html = head
    return f"{html}\n\n{RSVP_ANSWERED[answer]}"


def digest(name: str | None, rows: list[tuple[str, date | None]], overdue: int, today: date) -> str:
    """Monday digest: this week's items and how many are overdue."""
    hello = f"Доброе утро, {escape(name)}!" if name else "Доброе утро!"
    if not rows:
        tail = f"\n⚠️ Просрочено: {overdue}" if overdue else ""
        return f"{hello}\nНа этой неделе сроков нет.{tail}"
    lines = [f"{hello}\n<b>Сроки на этой неделе ({len(rows)})</b>"]
    lines += [
        f"• {escape(clip(title, 150))} — до {day_month(due, today)}" for title, due in rows if due
    ]
    if overdue:
        lines.append(f"\n⚠️ Просрочено: {overdue}")
    return "\n".join(lines)


def coordinator_digest(name: str | None, weeks: list[Any]) -> str:
    """Monday digest of a coordinator: per plan, this week's deadlines, done, overdue, behind."""
    hello = f"Доброе утро, {escape(name)}!" if name else "Доброе утро!"
    if not weeks:
        return f"{hello}\nНа этой неделе сроков нет, просрочек нет."
    blocks = [hello]
    for week in weeks:
        lines = [f"<b>{escape(clip(week.title, 150))}</b>"]
        if week.due:
            lines.append(f"Сроки на этой неделе: {week.due}, выполнено {week.done}")
        else:
            lines.append("На этой неделе сроков нет")
        if week.overdue:
            behind = ", ".join(escape(clip(n, 40)) for n in week.behind)
            lines.append(f"⚠️ Просрочено: {week.overdue}" + (f" — {behind}" if behind else ""))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def blocked_notice(name: str | None, school: str | None) -> str:
    who = escape(name or "Участник")
    where = f" ({escape(school)})" if school else ""
    blocked = by_gender(name, "заблокировал бота", "заблокировала бота", "")
    if not blocked:  # a name that does not say the gender: worded without a gendered verb
        return f"🚫 {who}{where}: бот заблокирован, напоминания больше не доходят."
    return f"🚫 {who}{where} {blocked} и больше не получает напоминаний."


_KIND_NAMES = {
    "deadline": "срок",
    "start": "начало",
    "checkin": "середина срока",
    "recurring": "регулярное",
    "overdue": "просрочка",
    "escalation": "эскалация",
    "snoozed": "отложенное",
    "seminar": "семинар",
    "seminar_soon": "семинар",
}


def upcoming(rows: list[tuple[date, str, str]], days: int, today: date) -> str:
    """/upcoming: reminders of the next days by local day, kind and item."""
    if not rows:
        return f"В ближайшие {days} {plural(days, 'день', 'дня', 'дней')} напоминаний нет."
    lines = [f"<b>Напоминания на {days} {plural(days, 'день', 'дня', 'дней')}: {len(rows)}</b>"]
    per_day: dict[date, list[tuple[str, str]]] = {}
    for day, kind, title in rows:
        per_day.setdefault(day, []).append((kind, title))
    for day, items in per_day.items():
        lines.append(f"\n<b>{day_month(day, today)}</b> — {len(items)}")
        lines += [
            f"• {_KIND_NAMES.get(kind, kind)}: {escape(clip(title, 90))}"
            for kind, title in items[:UPCOMING_PER_DAY]
        ]
        if len(items) > UPCOMING_PER_DAY:  # the count above must match what is listed
            lines.append(f"… и ещё {len(items) - UPCOMING_PER_DAY}")
    return "\n".join(lines)


UPCOMING_PER_DAY = 5


# --- my items, done flow, review -----------------------------------------------------------

STATUS_NAMES = {
    "open": "открыт",
    "returned": "возвращён на доработку",
    "submitted": "на проверке",
    "accepted": "принят",
    "cancelled": "снят",
}
# Where an item stands (core/item_state.py): the same words in chat, the dashboard and reports.
STATE_WORDS = {
    State.NOT_DUE: "срок не наступил",
    State.OPEN: "в работе",
    State.OVERDUE: "не выполнено, просрочено на {days} дн.",
    State.RETURNED: "возвращено на доработку",
    State.RETURNED_OVERDUE: "возвращено на доработку, просрочено на {days} дн.",
    State.SUBMITTED_ON_TIME: "на проверке, {handed}",
    State.SUBMITTED_LATE: "на проверке, {handed}",
    State.ACCEPTED_ON_TIME: "принято, {handed}",
    State.ACCEPTED_LATE: "принято, {handed}",
    State.CANCELLED: "снято",
}
DUE_TODAY = "срок сегодня"
HANDED_ON_TIME = "сдано в срок"
HANDED_LATE = "сдано с опозданием на {days} дн."
# The short name of each matrix letter (core/matrix.py): the dashboard's legend, XLSX cells.
LETTER_NAMES = {
    "n": "открыто",  # /status's "⏳ открыто"
    "s": "на проверке",
    "a": "принято",
    "r": "возвращено",
    "o": "просрочено",
    "-": "не относится",
}


def state_words(state: ItemState) -> str:
    """ "принято, сдано в срок", "срок не наступил", "не выполнено, просрочено на 3 дн."."""
    if state.state == State.NOT_DUE and state.days == 0:
        return DUE_TODAY
    return STATE_WORDS[state.state].format(days=state.days, handed=handed_in_note(state))


def handed_in_note(state: ItemState) -> str:
    """ "сдано в срок" or "сдано с опозданием на N дн." of handed-in work."""
    return HANDED_LATE.format(days=state.days) if state.late else HANDED_ON_TIME


def due_note(state: ItemState) -> str:
    """What follows an item's date: when it was handed in, or how long is left or late."""
    if state.handed_in:
        return handed_in_note(state)
    if state.overdue:
        return days_left(-state.days)
    if state.state in (State.NOT_DUE, State.RETURNED):
        return days_left(state.days)
    return ""


VIEW_NAMES = {
    "open": "Все открытые",
    "overdue": "Просроченные",
    "week": "На неделе",
    "done": "Выполненные",
}
WORK_ERRORS = {
    "not_found": "Пункт не найден.",
    "forbidden": "Нет доступа к этому пункту.",
    "wrong_state": "Сейчас это сделать нельзя: пункт {status}.",
    "stale": "Кнопка устарела: пункт уже {status}.",
    "undo_expired": "Отменить уже нельзя: прошло больше 10 минут.",
    "review_undo_expired": "Отменить решение уже нельзя: прошло больше суток.",
    "too_late": "Перенести напоминание можно только до срока.",
    "own_work": "Свою отправку не проверяют: её примет или вернёт другой координатор плана.",
}
BTN_SEND = "✅ Отправить"
BTN_CANCEL = "✖️ Отмена"
BTN_UNDO = "↩️ Отменить отправку"
BTN_ACCEPT = "✅ Принять"
BTN_RETURN = "↩️ Вернуть"
BTN_UNDO_REVIEW = "↩️ Отменить решение"
REVIEW_UNDONE = "Решение отменено: пункт снова на проверке, куратор получил уведомление."
BTN_IN_3_DAYS = "⏰ Через 3 дня"
DONE_CANCELLED = "Отметка отменена, пункт остаётся открытым."
DONE_EMPTY = "Пришлите файл или напишите комментарий — без этого отправлять нечего."
FILE_TOO_BIG = "Файл «{name}» больше 20 МБ — бот не сможет его скачать. Сожмите или разделите его."
FILE_FORBIDDEN = "Файл «{name}» такого типа не принимается (разрешены: {allowed})."
TOO_MANY_FILES = "Не больше {limit} файлов в одной отметке."
UNDONE = "Отправка отменена, пункт снова открыт."


def withdrawn(sent_html: str) -> str:
    """The "sent for review" message after the curator took it back (its first line kept)."""
    first = sent_html.split("\n", 1)[0].replace("✅ Отправлено на проверку", "↩️ Отправка отменена")
    return f"{first}\nПункт снова открыт — отметьте его, когда будете готовы."


RETURN_ASK = "Напишите, что нужно исправить — комментарий получит куратор."
NO_REVIEW = "Нет отметок, ожидающих проверки."
HELP_ASK = "Напишите вопрос координатору одним сообщением."
HELP_REPLY_ASK = "Напишите ответ координатору одним сообщением."
HELP_SENT = "Вопрос отправлен координатору. Ответ придёт сюда."
HELP_ANSWER_ASK = "Напишите ответ куратору одним сообщением."
HELP_ANSWERED = "Ответ отправлен куратору."
BTN_ANSWER = "💬 Ответить"
NO_ITEMS = {
    "open": "Открытых пунктов нет 🎉",
    "overdue": "Просроченных пунктов нет.",
    "week": "На этой неделе сроков нет.",
    "done": "Выполненных пунктов пока нет.",
}


def work_error(code: str, status: str | None = None) -> str:
    return WORK_ERRORS[code].format(status=STATUS_NAMES.get(status or "", status or ""))


def work_error_of(exc: Any) -> str:
    """The message for a core.work.WorkError, naming the item's current state."""
    return work_error(exc.code, exc.status.value if exc.status else None)


def my_items(
    view: str,
    rows: list[tuple[str, date | None, ItemState, str | None, str | None]],
    page: int,
    pages: int,
    total: int,
    today: date,
) -> str:
    """/my: a page of items with due dates; overdue ones marked, handed-in ones say whether
    in time, a deputy's say for whom."""
    if not rows:
        return NO_ITEMS.get(view, NO_ITEMS["open"])
    lines = [
        f"<b>{VIEW_NAMES[view]}: {total}</b>" + (f" (стр. {page + 1}/{pages})" if pages > 1 else "")
    ]
    for index, (title, due, state, section, for_name) in enumerate(rows, 1 + page * 5):
        mark = "⚠️ " if state.overdue else ""
        when = f"до {day_month(due, today)}" if due else "срок не указан"
        if state.handed_in:
            when += f" — {handed_in_note(state)}"
        returned = state.state in (State.RETURNED, State.RETURNED_OVERDUE)
        extra = " ↩️" if returned else ""
        where = f" · {escape(clip(section, 50))}" if section else ""
        colleague = f"\n   👥 за коллегу: {escape(clip(for_name, 60))}" if for_name else ""
        lines.append(
            f"{index}. {mark}{escape(clip(title, 120))}{extra}\n   {when}{where}{colleague}"
        )
    return "\n".join(lines)


def comments_clipped(card: Any) -> bool:
    """True if the card cut a comment, so it offers the full text."""
    return any(len(c or "") > CARD_COMMENT for c in (card.last_comment, card.review_comment))


def full_comments(card: Any) -> list[str]:
    """The item's comments in full, as messages each within Telegram's limit."""
    parts: list[str] = []
    for label, comment in (
        ("💬 Комментарий куратора", card.last_comment),
        ("💬 Ответ координатора", card.review_comment),
    ):
        if comment:
            chunks = split_text(comment, MESSAGE_LIMIT - 300)
            for index, chunk in enumerate(chunks, 1):
                page = f" ({index}/{len(chunks)})" if len(chunks) > 1 else ""
                parts.append(
                    f"<b>{label}{page}</b>: {escape(clip(card.title, 150))}\n\n{escape(chunk)}"
                )
    return parts or [NO_COMMENTS]


NO_COMMENTS = "Комментариев нет."


def split_text(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at paragraph, line or word ends."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def item_card(card: Any, today: date) -> str:
    """The full card of one item (`today`: the item's local date)."""
    lines = [f"<b>{escape(card.title)}</b>", f"Статус: {STATUS_NAMES[card.status.value]}"]
    if card.due:
        at = f", {card.due_time}{zone_label(card.due_zone)}" if card.due_time else ""
        note = due_note(item_state(card.status, card.due, card.handed_in, today))
        lines.append(f"Срок: до {day_month(card.due, today)}{at}" + (f" — {note}" if note else ""))
        if card.plan_due:
            lines.append(f"По плану было: {day_month(card.plan_due, today)} (срок перенесён)")
    if card.period_note:
        lines.append(f"К сроку: {escape(clip(card.period_note, 200))}")
    if card.period_text:
        start = f"{card.start:%d.%m.%Y} – " if card.start and card.start != card.due else ""
        understood = f"{start}{card.due:%d.%m.%Y}" if card.due else "не распознан"
        lines.append(f"В плане: «{escape(card.period_text)}» ({understood})")
    for label, value in (
        ("План", card.plan),
        ("Направление", card.direction),
        ("Раздел", card.section),
        ("Этап", card.stage),
        ("Школа", card.school),
        ("Ответственные", card.responsible),
        ("Ожидаемый результат", card.expected_result),
        ("Примечание", card.note),
    ):
        if value:
            lines.append(f"{label}: {escape(clip(str(value), 300))}")
    if card.files:
        more = f" и ещё {len(card.files) - 10}" if len(card.files) > 10 else ""
        lines.append("Файлы: " + ", ".join(escape(clip(f, 60)) for f in card.files[:10]) + more)
    if card.missing_copies:
        lines.append(
            "⚠️ Telegram больше не отдаёт файлы, копии не сохранены: "
            + ", ".join(escape(clip(f, 60)) for f in card.missing_copies[:10])
        )
    if card.last_comment:
        lines.append(f"Комментарий: {escape(clip(card.last_comment, CARD_COMMENT))}")
    if card.review_comment:
        lines.append(
            f"Ответ координатора: <i>{escape(clip(card.review_comment, CARD_COMMENT))}</i>"
        )
    return "\n".join(lines)


def done_start(title: str, expected: str | None) -> str:
    hint = f"\nПо плану ожидается: <i>{escape(expected)}</i>" if expected else ""
    return (
        f"Отмечаем выполнение: <b>{escape(clip(title, 200))}</b>{hint}\n\n"
        "Пришлите файлы (документы, фото, альбом) и/или напишите комментарий, "
        "затем нажмите «Отправить»."
    )


def done_collected(title: str, files: int, has_comment: bool) -> str:
    """The running tally of a done flow, naming the item (not "Принято": nobody accepted yet)."""
    parts = [f"Файлов: {files}"]
    if has_comment:
        parts.append("комментарий есть")
    return (
        f"📎 Добавлено к «{escape(clip(title, 120))}».\n"
        + ", ".join(parts)
        + ".\nМожно добавить ещё или нажать «✅ Отправить»."
    )


def done_interrupted(title: str, files: int) -> str:
    """A command arrived in the middle of a done flow: the flow ends, visibly."""
    return f"⏸ Отметка «{escape(clip(title, 120))}» прервана.{_done_left(files)}"


def done_expired(title: str, files: int, minutes: int) -> str:
    """A done flow idle for too long ends itself, so a later file is never attached to it."""
    return (
        f"⏸ Отметка «{escape(clip(title, 120))}» закрыта: {minutes} мин. не было новых файлов."
        f"{_done_left(files)}"
    )


def _done_left(files: int) -> str:
    lost = f" Присланные файлы ({files}) не отправлены." if files else ""
    return f"{lost} Чтобы продолжить, откройте пункт в /my и нажмите «✅ Выполнено»."


def submitted(title: str) -> str:
    return (
        f"✅ Отправлено на проверку: {escape(clip(title, 200))}\nОтменить можно в течение 10 минут."
    )


def review_request(
    title: str,
    school: str | None,
    comment: str | None,
    files: int,
    person: str | None = None,
    by_reviewer: bool = False,
    *,
    for_name: str | None = None,
    resubmitted: bool = False,
    return_comment: str | None = None,
) -> str:
    """A review request: what, whose, who sent it (a deputy: for whom), and, when it comes back
    after a return, that it does and what was asked."""
    again = " (повторно, после доработки)" if resubmitted else ""
    lines = [f"<b>📥 На проверку{again}</b>: {escape(clip(title, 200))}"]
    if resubmitted and return_comment:
        lines.append(f"При возврате просили: «{escape(clip(return_comment, 300))}»")
    if school:
        lines.append(f"Школа: {escape(school)}")
    if person:
        sent = by_gender(person, "Отправил", "Отправила", "Кто отправил")
        colleague = f" (за коллегу: {escape(clip(for_name, 100))})" if for_name else ""
        lines.append(f"{sent}: {escape(clip(person, 100))}{colleague}")
    if by_reviewer:
        lines.append(
            by_gender(
                person,
                "Отправил координатор плана: свою работу он не проверяет, решение за вами.",
                "Отправила координатор плана: свою работу она не проверяет, решение за вами.",
                "Отправлено координатором плана: свою работу координатор не проверяет, решение "
                "за вами.",
            )
        )
    if comment:
        lines.append(f"Комментарий: {escape(clip(comment, 500))}")
    lines.append(f"Файлов: {files}")
    return "\n".join(lines)


BTN_OPEN_ITEM = "📄 Открыть пункт"
BTN_RESEND = "✅ Исправить и отправить"
BTN_FULL_COMMENTS = "💬 Комментарии полностью"


def review_undone(title: str) -> str:
    """To the curator: a coordinator took back their accept or return."""
    return (
        f"↩️ Координатор отменил решение по «{escape(clip(title, 200))}»: пункт снова на проверке."
    )


def reviewed(title: str, accepted: bool, comment: str | None) -> str:
    if accepted:
        return f"✅ Принято: {escape(clip(title, 200))}"
    note = f"\nКомментарий: <i>{escape(clip(comment, COMMENT_LIMIT))}</i>" if comment else ""
    return f"↩️ Возвращено на доработку: {escape(clip(title, 200))}{note}"


def review_withdrawn(title: str, school: str | None) -> str:
    where = f" ({escape(school)})" if school else ""
    return (
        f"↩️ Куратор отозвал отправку{where}: {escape(clip(title, 200))}\n"
        "Проверять пока нечего — пришлю, когда отправят снова."
    )


def review_done(accepted: bool) -> str:
    return (
        "Принято, куратор получил уведомление."
        if accepted
        else "Возвращено, куратор получил комментарий."
    )


def snoozed(moment: datetime, today: date) -> str:
    return f"Хорошо, напомню {day_month(moment.date(), today)} в {moment:%H:%M}."


def review_list(rows: list[tuple[int, str, str | None]]) -> str:
    if not rows:
        return NO_REVIEW
    lines = [f"<b>Ждут проверки: {len(rows)}</b>"]
    lines += [
        f"{i}. {escape(clip(t, 120))}" + (f" — {escape(s)}" if s else "")
        for i, (_, t, s) in enumerate(rows, 1)
    ]
    return "\n".join(lines)


def help_question(
    title: str, school: str | None, question: str, earlier_answer: str | None = None
) -> str:
    where = f" ({escape(school)})" if school else ""
    head = "❓ Куратор отвечает" if earlier_answer else "❓ Вопрос куратора"
    quoted = (
        f"Вы писали: <i>«{escape(clip(earlier_answer, 500))}»</i>\n\n" if earlier_answer else ""
    )
    return (
        f"<b>{head}{where}</b>\n{escape(clip(title, 200))}\n\n"
        f"{quoted}«{escape(clip(question, 1500))}»"
    )


def help_answer(title: str, answer: str) -> str:
    return (
        f"<b>💬 Ответ координатора</b>\n{escape(clip(title, 200))}\n\n"
        f"«{escape(clip(answer, 1500))}»"
    )


# --- status --------------------------------------------------------------------------------

NO_STATUS = "Нет планов, которые вам видны."
CHART_UNAVAILABLE = "Этот план вам не виден."


CHART_FILE = "Ход выполнения"  # the chart's name: then the plan and the day


def chart_caption(title: str, counts: Any) -> str:
    return f"<b>{escape(clip(title, 300))}</b>\nВсего {counts.total}: {_counts(counts)}"


def _counts(c: Any) -> str:
    return (
        f"✅ {c.accepted} ({c.share(c.accepted)}%) · 📥 {c.submitted} · ⏳ {c.open} · ⚠️ {c.overdue}"
    )


def status(plans: list[Any]) -> str:
    """/status: per plan the totals, per direction the share done, the schools most behind."""
    if not plans:
        return NO_STATUS
    blocks = []
    for plan in plans:
        lines = [
            f"<b>{escape(clip(plan.title, 150))}</b>",
            f"Всего {plan.counts.total}: {_counts(plan.counts)}",
        ]
        groups = [(escape(clip(x.title, 80)), x.counts) for x in plan.sections] or [
            (direction_label(d.code, d.title), d.counts) for d in plan.directions
        ]
        for label, c in groups:
            lines.append(
                f"{label} — ✅ {c.accepted}/{c.total} ({c.share(c.accepted)}%), ⚠️ {c.overdue}"
            )
        if plan.behind:
            names = ", ".join(
                f"{escape(clip(s.name, 40))} (⚠️ {s.counts.overdue})" for s in plan.behind
            )
            lines.append(f"Отстают: {names}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n\n✅ принято · 📥 на проверке · ⏳ открыто · ⚠️ просрочено"


def status_buttons(
    title: str, directions: list[tuple[int | None, str]], groups: str | None, several: bool
) -> list[tuple[int | None, str]]:
    """/status drill-down labels of a plan: its directions' codes ("I", "II"), or, for a plan
    without directions, "🏫 Школы" with what the plan is split into ("все этапы", "все
    разделы"); the plan's short name first when /status shows several plans."""
    named = f"{clip(title, 20)}: " if several else ""
    directed = any(d is not None and code for d, code in directions)
    labels: list[tuple[int | None, str]] = []
    for direction_id, code in directions:
        if direction_id is not None and code:
            labels.append((direction_id, f"{named}{code}"))
        elif directed:  # a plan's work outside its directions
            labels.append((direction_id, f"{named}{NO_DIRECTION}"))
        else:
            kind = f" — все {groups}" if groups else ""
            schools = f"{named}школы" if named else "Школы"
            labels.append((direction_id, f"🏫 {schools}{kind}"))
    return labels


def status_direction(title: str, schools: list[Any]) -> str:
    lines = [f"<b>{escape(clip(title, 150))}</b>"]
    for index, s in enumerate(schools, 1):
        lines.append(f"{index}. {escape(clip(s.name, 60))} — {_counts(s.counts)}")
    return "\n".join(lines) if schools else f"{lines[0]}\nПунктов нет."


def status_school(name: str, items: list[tuple[int, str, ItemState]]) -> str:
    """A school's items in a direction, each with where it stands."""
    lines = [f"<b>{escape(clip(name, 150))}</b>"]
    for index, (_, title, state) in enumerate(items, 1):
        late = "⚠️ " if state.overdue else ""
        lines.append(f"{index}. {late}{escape(clip(title, 90))} — {state_words(state)}")
    return "\n".join(lines)


def overdue_by_school(rows: list[Any]) -> str:
    """/overdue: per school, its curators and its overdue items."""
    if not rows:
        return "Просроченных пунктов нет."
    lines = ["<b>Просрочено по школам</b>"]
    for index, row in enumerate(rows, 1):
        school, titles = row.name, row.titles
        head = f"\n{index}. <b>{escape(clip(school, 80))}</b> — {len(titles)}"
        lines.append(head + _curators(row.curators))
        lines += [f"• {escape(clip(t, 90))}" for t in titles[:5]]
        if len(titles) > 5:
            lines.append(f"… и ещё {len(titles) - 5}")
    return "\n".join(lines)


OVERDUE_NUDGE_HINT = "\n\n🔔 N — напомнить кураторам школы N (не чаще раза в день)."
NUDGE_REFUSED = {
    "nothing": "У этой школы нет просроченных пунктов в ваших планах.",
    "today": "Этой школе сегодня уже напоминали. Завтра можно снова.",
    "nobody": "У школы нет кураторов, которым бот может написать.",
}


def nudged(count: int) -> str:
    return (
        f"🔔 Напоминание отправлено: {count} {plural(count, 'куратору', 'кураторам', 'кураторам')}."
    )


def overdue_nudge(by: str | None, items: list[tuple[str, date | None]], today: date) -> str:
    """What the school's curators get: who asks, and the overdue items as they are now."""
    who = f"Координатор {escape(clip(by, 80))}" if by else "Координатор"
    lines = [f"🔔 <b>{who} напоминает о просроченных пунктах ({len(items)})</b>"]
    for title, due in items[:10]:
        late = (
            f" — до {day_month(due, today)}, просрочено на {(today - due).days} дн." if due else ""
        )
        lines.append(f"• {escape(clip(title, 150))}{late}")
    if len(items) > 10:
        lines.append(f"… и ещё {len(items) - 10}")
    lines.append("\nОткройте /my → ⚠️ Просрочено, чтобы отметить выполнение.")
    return "\n".join(lines)


def report_caption(kind: str, title: str, school: str | None = None) -> str:
    """Which report this is, of which plan (and school): two variants never look alike."""
    head = f"{REPORT_FILE[kind]} ({'таблица XLSX' if kind == 'xlsx' else 'Word'})"
    of_school = f"\n🏫 {escape(clip(school, 200))}" if school else ""
    return f"📊 <b>{head}</b>\n{escape(clip(title, 700))}{of_school}"


def report_progress(title: str, percent: int) -> str:
    return f"⏳ Готовлю отчёт «{escape(clip(title, 200))}»… {percent}%"


def report_waiting(title: str) -> str:
    """A big report waiting while others are made (reports/build.BIG_AT_ONCE)."""
    return (
        f"⏳ Отчёт «{escape(clip(title, 200))}» в очереди: сейчас готовятся другие большие "
        "отчёты. Начну, как только освободится место."
    )


REPORT_BUTTONS = {
    "xlsx": "📊 Таблица XLSX",
    "docx": "📄 Word: по школам",
    "docx_all": "📄 Word: сводный по мероприятиям",
}
# The first words of a report's file name and caption ("Отчёт по школам — <план> — 01.12.2020").
REPORT_FILE = {
    "xlsx": "Отчёт по плану",
    "docx": "Отчёт по школам",
    "docx_all": "Сводный отчёт по мероприятиям",
    "school": "Отчёт школы",
}
REPORT_KIND = {
    "xlsx": "таблица",
    "docx": "Word по школам",
    "docx_all": "Word сводный",
    "school": "Word по школе",
}


def report_choose(title: str) -> str:
    return f"📊 Отчёт по плану «{escape(clip(title, 300))}»: в каком виде?"


def report_school_button(name: str) -> str:
    return f"📄 Word: {clip(name, 40)}"


CALENDAR_NAME = "Куратор: сроки и семинары"
CALENDAR_FILE = "Куратор — сроки и семинары"  # the .ics file's name
BTN_CALENDAR_RENEW = "🔄 Новая ссылка"
BTN_CALENDAR_OFF = "🚫 Отключить подписку"
CALENDAR_OFF = (
    "Подписка отключена: календари по старой ссылке больше не обновятся. /calendar — новая ссылка."
)
CALENDAR_NO_FEED = "Подписка по ссылке недоступна: у бота нет публичного адреса."


def calendar_caption(events: int, url: str | None) -> str:
    """The .ics file's caption: what it holds, and the subscription address if there is one."""
    head = (
        f"📅 Ваши сроки и семинары: событий {events}. Откройте файл, чтобы добавить их в календарь."
    )
    if url is None:
        return head + "\nФайл — снимок на сегодня; за изменениями пришлите /calendar снова."
    return (
        f"{head}\n\nПодписка (календарь будет обновляться сам): <code>{escape(url)}</code>\n"
        "Ссылка личная — не пересылайте её. Если она попала к чужим, нажмите «🔄 Новая ссылка»."
    )


def calendar_renewed(url: str) -> str:
    return (
        f"Новая ссылка для подписки: <code>{escape(url)}</code>\n"
        "Старая больше не работает — замените её в календаре."
    )


EVIDENCE_NO_SCHOOL = "Такая школа не найдена. Напишите часть названия или номер: /evidence СОШ 21"


def evidence_none(title: str) -> str:
    return f"🗂 «{escape(clip(title, 300))}»: принятых материалов пока нет."


def evidence_progress(title: str, percent: int) -> str:
    return f"⏳ Собираю материалы «{escape(clip(title, 200))}»… {percent}%"


EVIDENCE_FILE = "Материалы"  # the archive's name: then the plan and the day


def evidence_caption(title: str, part: int, parts: int, files: int, missing: int) -> str:
    """The caption of an archive part: which part, how many files, what is missing."""
    head = f"🗂 Материалы: {escape(clip(title, 600))}"
    if parts > 1:
        head += f" — часть {part} из {parts}"
    if part == 1:
        head += f"\nФайлов: {files}; опись — в файле «опись.csv»."
        if missing:
            head += f"\n⚠️ Без копии: {missing} — они перечислены в описи."
    return head


REPORT_FAILED = "Не удалось подготовить отчёт. Попробуйте ещё раз чуть позже."


# --- seminars ------------------------------------------------------------------------------

BTN_SEMINAR_NEW = "➕ Новый семинар"
BTN_WHOLE_PLAN = "Все школы плана"
BTN_SEMINAR_CREATE = "✅ Создать и разослать"
BTN_EDIT_TOPIC = "✏️ Тема"
BTN_EDIT_WHEN = "🕒 Дата и время"
BTN_EDIT_PLACE = "📍 Место"
BTN_SEMINAR_CANCEL = "🚫 Отменить семинар"
BTN_SEMINAR_CANCEL_YES = "Да, отменить"
BTN_BACK = "⬅️ Назад"
BTN_SKIP = "Пропустить"
NO_SEMINARS = "Предстоящих семинаров нет."
SEMINAR_NO_PLANS = "Нет планов, где вы координатор. Сначала импортируйте план."
SEMINAR_ASK_AUDIENCE = "Для кого семинар? Выберите направление или все школы плана."
SEMINAR_ASK_TOPIC = "Тема семинара? Напишите одним сообщением."


def seminar_ask_when(zone: str, today: date) -> str:
    """The date-and-time question (examples by the clock), saying in which zone the time is read."""
    day = example_day(today)
    return (
        f"Когда? Напишите дату и время, например: <code>{short_date(day, today)} 14:00</code>, "
        f"<code>{_words(day, today)} в 10:00</code> или <code>завтра 15:30</code>.\n"
        f"Время — {zone_label(zone).strip()} (часовой пояс плана)."
    )


SEMINAR_ASK_PLACE = "Где? Адрес, кабинет или ссылка на видеовстречу. Или нажмите «Пропустить»."
SEMINAR_EMPTY_TOPIC = "Тема не может быть пустой. Напишите тему семинара."
SEMINAR_GONE = "Семинар не найден или вне ваших планов."
SEMINAR_IS_CANCELLED = "Семинар отменён — изменить его уже нельзя."
SEMINAR_DISCARDED = "Хорошо, семинар не создан."
SEMINAR_UNCHANGED = "Ничего не изменилось."
SEMINAR_CANCEL_CONFIRM = "Отменить семинар? Участники получат сообщение об отмене."
RSVP_NOT_INVITED = "Этот семинар не для вашей школы — ответ не записан."
RSVP_CANCELLED = "Семинар отменён."


def when_unclear(today: date) -> str:
    day = example_day(today)
    return (
        f"Не понял дату. Напишите, например: <code>{short_date(day, today)} 14:00</code> "
        f"или <code>{_words(day, today)} в 10:00</code>."
    )


def when_text(day: date | None, at: Any, today: date) -> str:
    """'15 декабря, вт, 14:00'; 'дата не назначена' when unknown."""
    if day is None:
        return "дата не назначена"
    return f"{day_month(day, today)}, {at:%H:%M}" if at is not None else day_month(day, today)


def seminar_list(rows: list[tuple[str, str]]) -> str:
    """/seminars: one line per seminar (when, topic)."""
    if not rows:
        return NO_SEMINARS + "\n\nСоздайте семинар кнопкой ниже."
    lines = [
        f"{i}. {escape(when)} — {escape(clip(topic, 120))}"
        for i, (when, topic) in enumerate(rows, 1)
    ]
    return f"<b>Семинары ({len(rows)})</b>\n" + "\n".join(lines)


def seminar_draft(plan: str, audience: str, topic: str, when: str, place: str | None) -> str:
    return (
        "<b>Новый семинар</b>\n"
        f"Тема: {escape(topic)}\nКогда: {escape(when)}\n"
        f"Где: {escape(place) if place else 'не указано'}\n"
        f"План: {escape(clip(plan, 150))}\nДля кого: {escape(audience)}\n\nРазослать приглашение?"
    )


def _addressees(count: int) -> str:
    return f"{count} {plural(count, 'адресат', 'адресата', 'адресатов')}"


def seminar_created(count: int) -> str:
    return f"Семинар создан. Приглашение получат {_addressees(count)}."


def seminar_changed(count: int) -> str:
    return f"Сохранено. Об изменении узнают {_addressees(count)}."


def seminar_cancelled(count: int) -> str:
    return f"Семинар отменён. Сообщение об отмене получат {_addressees(count)}."


BTN_HOLIDAYS_OFF = "🏖 В каникулы: не напоминать"
BTN_HOLIDAYS_ON = "🏖 В каникулы: напоминать"


def seminar_card(card: Any, when: str) -> str:
    """A coordinator's view of one seminar, answers included."""
    head = "🚫 <b>Отменён</b>\n" if card.cancelled else ""
    lines = [
        f"{head}<b>{escape(clip(card.topic, 500))}</b>",
        f"Когда: {escape(when)}",
        f"Где: {escape(card.place) if card.place else 'не указано'}",
        f"План: {escape(clip(card.plan_title, 150))}",
        f"Для кого: {escape(card.audience)}",
        "В каникулы: " + ("напоминать" if card.in_holidays else "не напоминать"),
        "",
        f"✅ Будут ({len(card.yes)}): " + (escape(", ".join(card.yes)) or "—"),
        f"❌ Не смогут ({len(card.no)}): " + (escape(", ".join(card.no)) or "—"),
    ]
    silent = max(card.invited - len(card.yes) - len(card.no), 0)
    lines.append(f"… ещё не ответили: {silent}")
    return "\n".join(lines)


def seminar_news(view: Any, event: str, when: str) -> str:
    """An announcement to participants: new seminar, changes, cancellation."""
    head = {
        "new": "📣 <b>Приглашение на семинар</b>",
        "changed": "✏️ <b>Изменения в семинаре</b>",
        "cancelled": "🚫 <b>Семинар отменён</b>",
    }[event]
    lines = [head, escape(clip(view.topic, 600)), f"Когда: {escape(when)}"]
    if view.place:
        lines.append(f"Где: {escape(clip(view.place, 300))}")
    text = "\n".join(lines)
    return text if event == "cancelled" else f"{text}\n\n{rsvp_line(view.answer)}"


# --- group chats ---------------------------------------------------------------------------

GROUP_HELLO = (
    "Здравствуйте! Я <b>Куратор</b>. Сюда я могу присылать анонсы семинаров и сводку по "
    "понедельникам — только общие цифры направления, без данных отдельных школ.\n"
    "Координатор, отправьте /link, чтобы выбрать направление."
)
GROUP_HELP = (
    "<b>Куратор в группе</b>\n/status — общие цифры привязанных направлений\n"
    "/link — привязать группу к направлению (координатор)\n/unlink — отвязать (координатор)\n"
    "Личные пункты, отчёты и проверка — в личном чате со мной."
)
GROUP_ONLY_COORDINATORS = "Привязывать группу могут только координаторы плана."
GROUP_NOT_LINKED = "Группа ещё не привязана к направлению. Координатор: отправьте /link."
GROUP_CHOOSE = "К какому направлению привязать эту группу?"
GROUP_UNLINKED = "Группа отвязана: анонсов и сводок сюда больше не будет."


def group_linked(label: str) -> str:
    return (
        f"Группа привязана: <b>{escape(clip(label, 200))}</b>.\n"
        "Сюда будут приходить анонсы семинаров и сводка по понедельникам."
    )


def group_status(plans: list[Any]) -> str:
    """Totals per linked direction; no school is named."""
    if not plans:
        return GROUP_NOT_LINKED
    blocks = []
    for plan in plans:
        lines = [f"<b>{escape(clip(plan.title, 150))}</b>"]
        for d in plan.directions:
            c = d.counts
            lines.append(
                f"{direction_label(d.code, d.title)}\n"
                f"✅ {c.accepted} · 📥 {c.submitted} · ⏳ {c.open} · ⚠️ {c.overdue} "
                f"из {c.total} ({c.share(c.accepted)}% принято)"
            )
        blocks.append("\n".join(lines))
    return "📊 <b>Сводка</b>\n\n" + "\n\n".join(blocks)


# --- personal data -------------------------------------------------------------------------

PRIVACY = (
    "🔒 Бот хранит ваше имя и id в мессенджере (Telegram, MAX), роли, отметки о выполнении "
    "с файлами и ответы на приглашения. /mydata — прислать всё это файлом, /forget — удалить "
    "ваши данные."
)
MYDATA_NONE = "Бот ничего о вас не хранит."
MYDATA_FILE = "Куратор — мои данные"  # the JSON file's name, then the day
MYDATA_CAPTION = "Всё, что Куратор хранит о вас (JSON). Файлы отчётов — у координатора плана."
FORGET_CONFIRM = (
    "Удалить ваши данные? Имя, id в мессенджерах, роли, настройки и ответы на приглашения будут "
    "удалены; отметки о выполнении останутся в истории плана как «удалённый пользователь». "
    "Вернуться можно только по новому приглашению."
)
BTN_FORGET_YES = "Да, удалить"
FORGET_DONE = "Ваши данные удалены. Спасибо, что работали с Куратором."
FORGET_KEPT = "Хорошо, ничего не удалено."


# --- settings --------------------------------------------------------------------------------

SETTING_LABELS = {
    "timezone": "🌍 Часовой пояс",
    "lead_days": "⏰ За сколько дней",
    "quiet": "🌙 Тихие часы",
    "digest": "📬 Сводка по понедельникам",
    "hour": "🕘 Час напоминаний",
    "overdue_days": "⏳ После срока (дни)",
    "escalate_after_days": "⚠️ Эскалация через (дней)",
    "digest_weekday": "📅 День сводки",
    "deadlines_move": "🎌 Срок в выходной — сдать раньше",
}
SETTING_PROMPTS = {
    "timezone": "Ваш часовой пояс: напишите город (Челябинск, Москва, Новосибирск).",
    "lead_days": "За сколько дней до срока напоминать? Через запятую, например: 7, 3, 1, 0.",
    "quiet": "Тихие часы — когда не писать. Например: 21:00-08:00, или «нет».",
    "digest": "Присылать сводку по понедельникам? да / нет.",
    "hour": "В котором часу присылать напоминания (местное время)? Например: 9.",
    "overdue_days": (
        "Через сколько дней после срока напомнить о просрочке? Через запятую, например: 1, 3, 7 "
        "(дальше — только в еженедельной сводке), или «нет»."
    ),
    "escalate_after_days": "Через сколько дней просрочки сообщать координатору? От 1 до 30.",
    "digest_weekday": "В какой день недели сводка? пн, вт, ср, чт, пт, сб, вс.",
    "deadlines_move": (
        "Если срок выпадает на выходной или праздник, просить сдать в последний рабочий день "
        "до него? да / нет (нет: срок остаётся, в напоминании отмечено, что это выходной)."
    ),
}
SETTING_ERRORS = {
    "timezone": "Не знаю такого города. Напишите ближайший крупный: Москва, Екатеринбург, Омск.",
    "lead_days": "Нужны числа дней от 0 до 60 через запятую, например: 7, 3, 1, 0.",
    "quiet": "Напишите интервал вида 21:00-08:00 или «нет».",
    "digest": "Ответьте «да» или «нет».",
    "hour": "Нужен час от 0 до 23.",
    "overdue_days": "Нужны числа дней от 1 до 60 через запятую, например: 1, 3, 7, или «нет».",
    "escalate_after_days": "Нужно число дней от 1 до 30.",
    "digest_weekday": "Напишите день недели: пн, вт, ср, чт, пт, сб или вс.",
}
SETTING_SAVED = "Сохранено. Новые настройки действуют для напоминаний, которые ещё не отправлены."
NO_PLANS = "Нет планов, которыми вы управляете."
PLAN_GONE = "План не найден или вне ваших планов."
BTN_ARCHIVE = "🗄 В архив"
BTN_UNARCHIVE = "♻️ Вернуть из архива"


def settings_view(title: str, values: dict[str, str]) -> str:
    lines = [f"<b>{escape(clip(title, 150))}</b>"]
    for key, value in values.items():
        shown = zone_city(value) if key == "timezone" else value
        lines.append(f"{SETTING_LABELS[key]}: {escape(shown or 'по школе/плану')}")
    return "\n".join(lines)


def plan_list(rows: list[tuple[str, bool]]) -> str:
    if not rows:
        return NO_PLANS
    lines = [
        f"{i}. {escape(clip(title, 120))}" + (" (в архиве)" if archived else "")
        for i, (title, archived) in enumerate(rows, 1)
    ]
    return "<b>Планы</b>\n" + "\n".join(lines)


def plan_card(title: str, archived: bool, values: dict[str, str]) -> str:
    head = "🗄 В архиве: напоминаний нет, в статусе не показывается.\n" if archived else ""
    return head + settings_view(title, values)


# --- schools of a plan (/plans → 🏫 Школы, after an import) ------------------------------------

BTN_PLAN_SCHOOLS = "🏫 Школы"
BTN_FIND_SCHOOL = "🔎 Найти"
BTN_NEW_SCHOOL = "➕ Новая школа"
BTN_PREVIOUS = "◀️"
BTN_NEXT = "▶️"
BTN_DIRECTIONS = "⬅️ Направления"
BTN_FULL_LIST = "📋 Весь список"
BTN_DETACH = "Да, отключить"
BTN_SCHOOLS_BACK = "⬅️ Назад"
SCHOOL_FIND_ASK = "Напишите часть названия или номер школы, например: <code>СОШ 21</code>."
SCHOOL_NEW_ASK = (
    "Напишите полное название школы одним сообщением, например: <code>МБОУ «СОШ № 5»</code>."
)
SCHOOL_NAME_BAD = "Название пустое или длиннее 200 знаков. Нажмите «➕ Новая школа» ещё раз."
SCHOOL_GONE = "Школа не найдена: откройте список заново."
SCHOOLS_NONE_YET = (
    "В плане пока нет школ: все его пункты — у управления образования. Выберите школы:"
)


def _plan_head(title: str, direction: str | None, direction_title: str | None) -> str:
    head = f"🏫 <b>Школы плана</b> «{escape(clip(title, 60))}»"
    if direction:
        head += f"\nНаправление {escape(direction)}: {escape(clip(direction_title or '', 50))}"
    return head


def plan_directions(plan: Any, head: str | None = None) -> str:
    """The directions of a plan to choose from, each with how many schools take part."""
    lines = [head] if head else []
    lines += [_plan_head(plan.title, None, None), "Выберите направление:"]
    lines += [
        f"{escape(d.code)}. {escape(clip(d.title, 50))} — "
        f"{d.schools} {plural(d.schools, 'школа', 'школы', 'школ')}"
        for d in plan.lines
    ]
    return "\n".join(lines)


def plan_schools(page: Any, head: str | None = None) -> str:
    """A page of schools (or a search's matches) with ✅ at those taking part, short enough for
    a phone whatever the region's size."""
    lines = [head, ""] if head else []
    lines.append(_plan_head(page.title, page.direction, page.direction_title))
    if page.query is not None:
        query = f"🔎 «{escape(clip(page.query, 40))}»"
        if not page.total:
            lines.append(f"{query}: не нашлось. Проверьте название или добавьте новую школу.")
            return "\n".join(lines)
        more = (
            f", показаны первые {len(page.lines)} — уточните"
            if page.total > len(page.lines)
            else ""
        )
        lines.append(f"{query}: найдено {page.total}{more}")
    else:
        lines.append(
            f"Участвуют: {page.taking_part} из {page.total}"
            + (f" · стр. {page.page + 1} из {page.pages}" if page.pages > 1 else "")
        )
    lines.append("Номер — подключить школу или отключить (✅ — участвует).")
    for index, line in enumerate(page.lines, 1):
        mark = "✅ " if line.taking_part else ""
        lines.append(f"{index}. {mark}{escape(clip(line.name, 60))}")
    return "\n".join(lines)


def school_attached(change: Any) -> str:
    """What attaching (or adding) a school did."""
    where = f"направлении {escape(change.direction)}" if change.direction else "плане"
    name = escape(clip(change.school, 80))
    if not change.changed:
        return f"Школа «{name}» уже участвует в {where}."
    head = (
        f"Новая школа «{name}» добавлена и участвует"
        if change.created
        else f"Школа «{name}» участвует"
    )
    return f"✅ {head} в {where}: её пунктов — {change.opened}."


# --- history ---------------------------------------------------------------------------------

BTN_HISTORY = "🕓 История"
# What a history line says someone did: his words, hers, and words without a gender for a name
# that does not tell it ("Xyz: отправлено на проверку").
ACTION_NAMES = {
    "assignment.submit": (
        "отправил на проверку", "отправила на проверку", "отправлено на проверку",
    ),
    "assignment.undo": ("отменил отправку", "отменила отправку", "отправка отменена"),
    "assignment.accept": ("принял", "приняла", "принято"),
    "assignment.return": ("вернул на доработку", "вернула на доработку", "возвращено на доработку"),
    "assignment.snooze": ("отложил напоминание", "отложила напоминание", "напоминание отложено"),
    "help.ask": ("задал вопрос", "задала вопрос", "вопрос задан"),
    "help.answer": ("ответил на вопрос", "ответила на вопрос", "дан ответ на вопрос"),
    "activity.set_period": ("изменил срок", "изменила срок", "срок изменён"),
    "deadline.request": (
        "попросил перенести срок", "попросила перенести срок", "просьба перенести срок",
    ),
    "deadline.approve": (
        "перенёс срок по просьбе", "перенесла срок по просьбе", "срок перенесён по просьбе",
    ),
    "deadline.decline": ("отклонил перенос срока", "отклонила перенос срока", "перенос отклонён"),
    "deadline.move": ("перенёс срок", "перенесла срок", "срок перенесён"),
}  # fmt: skip


def did(name: str | None, action: str) -> tuple[str, str]:
    """What `name` did, in their gender ("", "приняла"); for a name that does not tell it, a
    colon after the name and words without a gender (":", "принято"); the bot's, masculine."""
    forms = ACTION_NAMES.get(action, (action,) * 3)
    if not name:
        return "", forms[0]
    if gender(name) is None:
        return ":", forms[2]
    return "", by_gender(name, *forms)


def history(title: str, lines: list[Any], zone: Any, today: date) -> str:
    """/history of an item: when, who, what."""
    head = f"<b>🕓 История: {escape(clip(title, 150))}</b>"
    if not lines:
        return head + "\nПока ничего не происходило."
    head += f"\n<i>Время {zone_label(zone.key).strip()}</i>"
    return head + "\n" + "\n".join(history_line(line, zone, today, escape) for line in lines[-30:])


def history_line(line: Any, zone: Any, today: date, quote: Any = str) -> str:
    """One audit line: "01.12 10:00 — Иван Петров принял: «…»" (`quote` escapes names and
    comments for HTML; the dashboard passes plain text); a past school year's with its year."""
    after = line.after or {}
    who = quote(line.actor_name or "бот")
    if after.get("for_name"):
        who += f" (за коллегу: {quote(after['for_name'])})"
    mark, what = did(line.actor_name, line.action)
    who += mark
    if after.get("due"):
        what += f" на {date.fromisoformat(after['due']):%d.%m.%Y}"
    comment = after.get("comment") or after.get("question") or after.get("reason")
    tail = f": «{quote(clip(str(comment), 100))}»" if comment else ""
    at = local_moment(line.at, zone)
    return f"{short_date(at.date(), today)} {at:%H:%M} — {who} {what}{tail}"


# --- people and invitations ----------------------------------------------------------------------

NO_PEOPLE = "Никого не нашлось."
PERSON_GONE = "Человек не найден или вне ваших планов."
BTN_ROLE = "🔁 Сменить роль"
BTN_MOVE = "🏫 Перевести"
BTN_DEACTIVATE = "🚫 Отключить"
BTN_ACTIVATE = "✅ Включить"
BTN_REVOKE_ROLES = "✖️ Убрать роли"
CHOOSE_ROLE = "Какую роль дать?"
CHOOSE_SCHOOL = "В какую школу?"
NOT_YOURSELF = "Себя отключить нельзя."
INVITE_CHOOSE_ROLE = "Кого пригласить?"
INVITE_USAGE = (
    "Срок и число людей можно указать: <code>/invite 30d 10</code> — 30 дней, 10 человек "
    "(срок: 12h, 14d, 2w; до 90 дней; людей до 500)."
)
INVITE_CHOOSE_SCHOOL = "В какую школу?"
NO_INVITES = "Активных приглашений нет."
INVITE_GONE = "Приглашение не найдено или вне ваших планов."
INVITE_REVOKED = "Приглашение отозвано."


def people_list(rows: list[Any], today: date) -> str:
    if not rows:
        return NO_PEOPLE
    lines = [f"{i}. {_person_line(p, today)}" for i, p in enumerate(rows, 1)]
    return f"<b>Люди ({len(rows)})</b>\n" + "\n".join(lines)


def _person_state(p: Any, today: date) -> str:
    if getattr(p, "away_until", None):
        return f" 🏖 {away_note(p.away_until, p.deputy, today)}" + _person_state(
            replace(p, away_until=None), today
        )
    if not p.active:
        return " 🚫 отключён"
    if p.blocked:
        return " ⛔ заблокировал бота"
    if not p.started:
        return " ⏳ не запускал бота"
    return ""


def _person_line(p: Any, today: date) -> str:
    roles = (
        ", ".join(ROLE_NAMES[r.role] + (f" ({r.school})" if r.school else "") for r in p.roles)
        or "без роли"
    )
    return f"{escape(p.name)} — {escape(roles)}{_person_state(p, today)}"


def person_card(p: Any, today: date) -> str:
    handle = f" @{escape(p.username)}" if p.username else ""
    return f"<b>{escape(p.name)}</b>{handle}\n{_person_line(p, today)}"


def person_changed(count: int) -> str:
    return "Готово." if count else "Ничего не изменилось."


INVITATION_FILE = "Приглашение"  # the QR code's name: then the role and the school


def invitation_created(link: str, role: str, school: str | None, days: int, uses: int) -> str:
    where = f", {escape(school)}" if school else ""
    who = (
        "на одного человека"
        if uses == 1
        else f"до {uses} {plural(uses, 'человека', 'человек', 'человек')}"
    )
    return (
        f"<b>Приглашение: {escape(role)}{where}</b>\n{escape(link)}\n"
        f"Действует {days} {plural(days, 'день', 'дня', 'дней')}, {who}. "
        "Ссылка показана один раз — перешлите её или распечатайте QR-код."
    )


def invites_list(rows: list[Any]) -> str:
    if not rows:
        return NO_INVITES
    lines = [
        f"{i}. {ROLE_NAMES[r.role]}"
        + (f", {escape(r.school_name)}" if r.school_name else "")
        + f" — использовано {r.uses}/{r.max_uses}, до {r.expires_at:%d.%m.%Y}"
        for i, r in enumerate(rows, 1)
    ]
    return "<b>Активные приглашения</b>\n" + "\n".join(lines)


# --- Time off: pauses, school holidays, absences ---------------------------------------------


def span(first: date, last: date, today: date) -> str:
    """ "26 октября – 3 ноября" (one day: "4 ноября")."""
    if first == last:
        return day_month(first, today)
    return f"{day_month(first, today)} – {day_month(last, today)}"


def pause_over(
    title: str,
    first: date,
    last: date,
    rows: list[tuple[str, date | None]],
    overdue: int,
    today: date,
) -> str:
    """The one summary after a pause: what is due now, instead of everything missed."""
    lines = [
        f"<b>▶️ Пауза закончилась</b> ({escape(clip(title, 120))}, {span(first, last, today)})",
        "Напоминания снова идут. Что сейчас в работе:",
    ]
    for title_, due in rows:
        when = (
            f"до {day_month(due, today)} — {days_left((due - today).days)}"
            if due
            else "срок не указан"
        )
        lines.append(f"• {escape(clip(title_, 150))} — {when}")
    if not rows:
        lines.append("• открытых пунктов нет")
    if overdue:
        lines.append(f"\nПросрочено: {overdue}. Список: /my")
    return "\n".join(lines)


def welcome_back(
    first: date, last: date, events: list[str], overdue: int, open_count: int, today: date
) -> str:
    """The one summary to someone back from time off."""
    lines = [f"<b>👋 С возвращением!</b> Вас не было {span(first, last, today)}."]
    if events:
        lines.append("За это время:")
        lines += [f"• {escape(clip(e, 200))}" for e in events]
    else:
        lines.append("За это время по вашим пунктам ничего не менялось.")
    lines.append(f"\nОткрытых пунктов: {open_count}, из них просрочено: {overdue}. Список: /my")
    return "\n".join(lines)


def _d(day: date | None, today: date) -> str:
    return day_month(day, today) if day else "без срока"


BTN_MOVE_DEADLINE = "📅 Перенести срок"
BTN_THIS_SCHOOL = "Только эта школа"
BTN_ALL_SCHOOLS = "Все школы"
BTN_APPROVE_DATE = "✅ Перенести на {day}"
BTN_OTHER_DATE = "📅 Другая дата"
BTN_DECLINE = "✖️ Отклонить"


def deadline_ask_date(today: date) -> str:
    day = example_day(today)
    return (
        "На какую дату перенести срок? Например: "
        f"<code>{short_date(day, today)}</code> или <code>{_words(day, today)}</code>."
    )


DEADLINE_ASK_SCOPE = "Перенести срок только для этой школы или для всех школ плана?"
DEADLINE_ASK_REASON = "Почему нужен перенос? Одно сообщение — его увидит координатор."
DEADLINE_ASK_NOTE = "Причина переноса (увидят кураторы)? Или «-», если без причины."


def deadline_bad_date(today: date) -> str:
    day = example_day(today)
    return (
        "Не понял дату. Напишите одну дату, например "
        f"<code>{short_date(day, today)}</code> или <code>{day:%d.%m.%Y}</code>."
    )


DEADLINE_ERRORS = {
    "not_found": "Пункт не найден.",
    "forbidden": "Это не ваш пункт.",
    "wrong_state": "Срок можно перенести только у открытого пункта.",
    "decided": "По этой просьбе уже решили.",
    "same_date": "Срок уже такой.",
    "past": "Эта дата уже прошла.",
}


def deadline_sent(wanted: date, today: date) -> str:
    return f"Просьба перенести срок на {day_month(wanted, today)} отправлена координатору."


def deadline_request(info: Any, today: date) -> str:
    """To coordinators: a curator asks for more time."""
    lines = [
        "<b>📅 Просьба перенести срок</b>",
        escape(clip(info.title, 200)),
        f"Школа: {escape(info.school or 'управление')}",
        f"Сейчас: {_d(info.old_due, today)} → просят: <b>{day_month(info.wanted_due, today)}</b>",
    ]
    if info.requested_by:
        lines.append(f"Просит: {escape(info.requested_by)}")
    if info.reason:
        lines.append(f"Причина: <i>{escape(clip(info.reason, 500))}</i>")
    if info.status != "requested":
        lines.append(deadline_decided_line(info, today))
    return "\n".join(lines)


def deadline_decided_line(info: Any, today: date) -> str:
    if info.status == "approved":
        return f"✅ Перенесено на {day_month(info.new_due, today)}"
    return "✖️ Отклонено"


def deadline_result(info: Any, today: date) -> str:
    """To the school's curators: the request's answer."""
    if info.status == "approved":
        head = f"<b>✅ Срок перенесён</b> на {day_month(info.new_due, today)}"
        if info.new_due != info.wanted_due:
            head += f" (просили {day_month(info.wanted_due, today)})"
    else:
        head = f"<b>✖️ Перенос срока отклонён</b>: срок остаётся {_d(info.old_due, today)}"
    return f"{head}\n{escape(clip(info.title, 200))}"


def deadline_moved(info: Any, today: date, count: int | None = None) -> str:
    """To curators (and as the coordinator's confirmation): a due date moved."""
    where = "для всех школ" if info.school is None else f"для школы {escape(info.school)}"
    new = day_month(info.new_due, today)
    lines = [
        f"<b>📅 Срок перенесён</b> {where}: {_d(info.old_due, today)} → <b>{new}</b>",
        escape(clip(info.title, 200)),
    ]
    if info.reason:
        lines.append(f"Причина: <i>{escape(clip(info.reason, 500))}</i>")
    if count is not None:
        lines.append(f"Пунктов изменено: {count}. Кураторам отправлено уведомление.")
    return "\n".join(lines)


# --- away and deputies ---------------------------------------------------------------------------

BTN_IM_BACK = "👋 Я вернулся"
BTN_NO_DEPUTY = "Без замещающего"
BTN_PICK_DEPUTY = "👥 Назначить замещающего"


def away_ask(today: date) -> str:
    numbers, words = _example_span(today)
    return (
        f"Когда вас не будет? Напишите даты, например <code>{numbers}</code> или "
        f"<code>{words}</code>. Пока вас нет, напоминания получит замещающий."
    )


def away_bad_dates(today: date) -> str:
    numbers, _ = _example_span(today)
    return (
        f"Не понял даты. Пример: <code>{numbers}</code> (не дольше года, конец не раньше "
        f"начала).\n\n{away_ask(today)}"
    )


AWAY_CHOOSE_DEPUTY = (
    "Кто вас замещает? Он будет получать ваши напоминания и сможет отмечать пункты."
)
AWAY_NOBODY_TO_PICK = (
    "Замещающего выбрать не из кого: в вашей школе больше никого нет. Координатор получит "
    "сообщение."
)
AWAY_BACK_DONE = "С возвращением! Напоминания снова приходят вам."
AWAY_NOT_AWAY = "Сейчас у вас нет отсутствия."
AWAY_DEPUTY_BAD = (
    "Нельзя назначить этого человека замещающим: у него нет такой же или старшей роли "
    "в том же плане (и направлении), что у отсутствующего."
)
AWAY_GONE = "Отсутствие уже закончилось."


def away_refused(reason: str, detail: str | None) -> str:
    """Why a coordinator may not name the deputy of someone away."""
    if reason == "deputy_set":
        who = f" ({escape(detail)})" if detail else ""
        return (
            f"Нельзя назначить замещающего: его уже выбрали{who}. "
            "Изменить выбор может сам сотрудник или администратор."
        )
    return "Нельзя назначить замещающего: вы не координируете план и направление этого сотрудника."


def away_set(first: date, last: date, deputy: str | None, today: date) -> str:
    who = f"Замещает: {escape(deputy)}." if deputy else "Замещающего нет."
    return (
        f"Отмечено: вас нет {span(first, last, today)}. {who}\n"
        f"Вернулись раньше — нажмите «{BTN_IM_BACK}»."
    )


def away_ask_deputy(first: date, last: date, today: date) -> str:
    return f"Отмечено: вас нет {span(first, last, today)}.\n\n{AWAY_CHOOSE_DEPUTY}"


def away_status(first: date, last: date, deputy: str | None, today: date) -> str:
    who = f", замещает {escape(deputy)}" if deputy else ", замещающего нет"
    return f"Вас нет {span(first, last, today)}{who}."


def away_block(rows: list[Any], today: date) -> str:
    """Under /status: who is away today and who stands in."""
    if not rows:
        return ""
    lines = ["\n\n<b>🏖 Нет на месте</b>"]
    for row in rows[:20]:
        school = f" ({escape(row.school)})" if row.school else ""
        lines.append(f"• {escape(row.name)}{school} — {away_note(row.last, row.deputy, today)}")
    return "\n".join(lines)


def away_someone(name: str, first: date, last: date, deputy: str | None, today: date) -> str:
    who = f"замещает {escape(deputy)}" if deputy else "замещающего нет"
    return f"{escape(name)}: нет {span(first, last, today)}, {who}."


def away_note(last: date, deputy: str | None, today: date) -> str:
    """On /status and /people: "в отпуске до 27 ноября, замещает Борис"."""
    who = f", замещает {escape(deputy)}" if deputy else ", замещающего нет"
    return f"нет до {day_month(last, today)} включительно{who}"


def deputy_chosen(name: str, first: date, last: date, today: date) -> str:
    return (
        f"<b>👥 Вы замещаете: {escape(name)}</b> ({span(first, last, today)}).\n"
        + by_gender(name, "Его напоминания", "Её напоминания", "Напоминания коллеги")
        + " придут вам с пометкой «За коллегу»; пункты можно отмечать "
        "выполненными как обычно — в истории будет видно, что это сделали вы за коллегу."
    )


def away_uncovered(name: str, first: date, last: date, today: date) -> str:
    return (
        f"<b>⚠️ Школа без связи</b>: {escape(name)} — нет {span(first, last, today)}, "
        "замещающего нет, других кураторов в школе нет. Назначьте замещающего, иначе "
        "напоминания этой школы никто не получит."
    )


MAX_JOINED_LINES = 30  # a quarter hour of a region's onboarding stays one readable message


def _school_and_plan(school: str | None, plan: str | None) -> str:
    return ", ".join(escape(part) for part in (school, plan and f"«{plan}»") if part)


def _joined_line(view: Any) -> str:
    where = _school_and_plan(view.school, view.plan)
    return f"{escape(view.name or 'Новый участник')} — {ROLE_NAMES[view.role]}" + (
        f", {where}" if where else ""
    )


def members_joined(views: list[Any]) -> str:
    """To coordinators and the inviter: who joined by invitations (a quarter hour's, in one)."""
    if len(views) == 1:
        view = views[0]
        verb = by_gender(view.name, "присоединился", "присоединилась", "присоединяется")
        where = _school_and_plan(view.school, view.plan)
        name = escape(view.name or "Новый участник")
        return (
            f"<b>👋 {name}</b> {verb} по приглашению: {ROLE_NAMES[view.role]}"
            + (f", {where}" if where else "")
            + "."
        )
    lines = [f"• {_joined_line(view)}" for view in views[:MAX_JOINED_LINES]]
    if len(views) > MAX_JOINED_LINES:
        lines.append(f"…и ещё {len(views) - MAX_JOINED_LINES} — все в /people.")
    return f"<b>👋 По приглашениям присоединились ({len(views)}):</b>\n" + "\n".join(lines)


def member_left(view: Any) -> str:
    """To coordinators: a member removed their data with /forget (not named: they asked so)."""
    where = _school_and_plan(view.school, view.plan)
    text = (
        f"<b>🚪 {ROLE_NAMES[view.role].capitalize()} удалил свои данные</b> (/forget)"
        + (f": {where}" if where else "")
        + ". Напоминания ему больше не приходят."
    )
    if view.role is Role.CURATOR and view.school and view.curators_left == 0:
        text += " В школе не осталось кураторов: пригласите нового — /invite."
    return text


def back_events(events: list[Any]) -> list[str]:
    """Lines of what was done while someone was away."""
    out = []
    for e in events:
        who = e.who or "бот"
        if e.for_name:
            who += " (за вас)"
        mark, what = did(e.who, e.action)
        out.append(f"{who}{mark} {what}: «{e.title}»")
    return out


# --- holidays and pauses -------------------------------------------------------------------------

BTN_HOLIDAYS = "🏖 Каникулы"
BTN_PAUSE = "⏸ Пауза"
BTN_ADD_HOLIDAYS = "➕ Добавить каникулы"
BTN_ADD_PAUSE = "⏸ Поставить на паузу"
BTN_LIFT = "✖️ {n}"
_SEASONS = ["зимние"] * 2 + ["весенние"] * 3 + ["летние"] * 3 + ["осенние"] * 3 + ["зимние"]


def _holidays_example(today: date) -> str:
    """ "20.11–01.12 осенние": dates by the clock, named for their season."""
    numbers, _ = _example_span(today)
    return f"{numbers} {_SEASONS[example_day(today).month - 1]}"


def holidays_ask(today: date) -> str:
    return (
        f"Напишите даты и название, например: <code>{_holidays_example(today)}</code>. Во время "
        "каникул напоминания не приходят; сроки, попадающие на каникулы, напоминаются до их начала."
    )


def pause_ask(today: date) -> str:
    day = short_date(example_day(today), today)
    return (
        f"Напишите, до какого дня пауза и почему, например: <code>по {day} карантин</code>. "
        "Пока план на паузе, напоминаний нет; после — одна сводка."
    )


def break_bad(today: date) -> str:
    return f"Не понял даты. Пример: <code>{_holidays_example(today)}</code>."


def breaks_list(plan: str, rows: list[Any], today: date) -> str:
    """/plans → Каникулы: the plan's holidays and pauses, numbered."""
    lines = [f"<b>🏖 Каникулы и паузы</b>: {escape(clip(plan, 120))}"]
    if not rows:
        lines.append("Пока нет. Добавьте каникулы — в эти дни напоминания не придут.")
    for index, row in enumerate(rows, 1):
        kind = "каникулы" if row.kind == "holidays" else "пауза"
        where = f", {escape(row.school)}" if row.school else ""
        lines.append(
            f"{index}. {kind} «{escape(row.title)}»: {span(row.first, row.last, today)}{where}"
        )
    return "\n".join(lines)


def break_added(row: Any, today: date) -> str:
    kind = "Каникулы" if row.kind == "holidays" else "Пауза"
    return (
        f"{kind} «{escape(row.title)}»: {span(row.first, row.last, today)}. Напоминания учтут это."
    )


def break_lifted(row: Any) -> str:
    if row.kind == "pause":
        return "Пауза снята. Кураторы получат одну сводку того, что к сроку."
    return f"Каникулы «{escape(row.title)}» удалены."


# --- dashboard (Mini App) ------------------------------------------------------------------------

BTN_DASHBOARD = "📊 Открыть панель"
MENU_DASHBOARD = "Панель"
DASHBOARD_OFF = (
    "Панель в Telegram не включена. Администратору: задайте WEBAPP_URL — публичный https-адрес, "
    "по которому веб-сервер бота доступен снаружи (см. docs/dashboard.md), и перезапустите бота."
)
DASHBOARD_OPEN = "📊 Все школы и пункты плана на одном экране — откройте панель:"


def dashboard_sandbox(name: str, url: str) -> str:
    """ "📊 Панель для Ольги …": the name in the genitive."""
    return f"📊 Панель для {genitive(name)} (действует, пока работает песочница):\n{url}"


# The page's own words, sent to it with the page (one home for every Russian text).
DASHBOARD_PAGE = {
    "title": "Kurator — панель",
    "plan": "План",
    "all_directions": "Все направления",
    "any_status": "Любой статус",
    "overdue_only": "Только просроченные",
    "search": "Поиск школы",
    "school": "Школа",
    "total": "Итого",
    "done_of": "принято",
    "more": "Показать ещё",
    "schools_shown": "Школ: {shown} из {total}",
    "nothing": "Ничего не найдено — измените фильтры.",
    "no_plans": "Вам пока не открыт ни один план.",
    "loading": "Загрузка…",
    "close": "Закрыть",
    "due": "Срок",
    "plan_due": "по плану",
    "history": "История",
    "times": "время",
    "no_history": "Пока ничего не происходило.",
    "evidence": "Подтверждающие материалы",
    "comment": "Комментарий",
    "review_comment": "Комментарий проверяющего",
    "sent_by": "Кто отправил",
    "missing_copy": "копия не сохранена",
    "accept": "✅ Принять",
    "return": "↩️ Вернуть",
    "return_comment": "Что нужно исправить (получит куратор)",
    "return_needs_comment": "Напишите, что нужно исправить, — без комментария вернуть нельзя.",
    "accepted": "Принято. Куратор получил уведомление.",
    "returned": "Возвращено на доработку. Куратор получил уведомление.",
    "unauthorized": (
        "Не удалось подтвердить, кто вы. Откройте панель заново кнопкой «📊 Открыть панель» "
        "в чате с ботом."
    ),
    "session_expired": (
        "Панель была открыта больше часа без дела или дольше рабочего дня. Откройте её заново "
        "кнопкой «📊 Открыть панель» в чате с ботом."
    ),
    "error": "Не получилось: {message}",
    "offline": "Нет связи с ботом. Попробуйте ещё раз.",
    **{f"legend_{letter}": name for letter, name in LETTER_NAMES.items()},
}
DASHBOARD_ERRORS = {
    "unauthorized": DASHBOARD_PAGE["unauthorized"],
    "session_expired": DASHBOARD_PAGE["session_expired"],
    "bad_request": "Неверный запрос.",
    "bad_number": "Неверный запрос: «{name}» — не целое число от {low} до {high}.",
    "no_person": "Вы ещё не подключены к боту: откройте чат с ботом и нажмите /start.",
    "link_expired": "Ссылка на файл устарела: откройте карточку заново.",
    "file_gone": "Файл недоступен: копия не сохранена, а Telegram его больше не отдаёт.",
}


# --- Operations: the watchdog's alerts and /health (ops/, docs/operations.md) ---------------

COMMAND_DESCRIPTIONS["health"] = "Состояние доставки"  # admins' menu (bot/menus.py)
_OPS_WHAT = {
    "outbox": "напоминания задерживаются",
    "scheduler": "планировщик не срабатывает",
    "api": "мессенджер отвечает ошибками (429/5xx)",
    "process": "процесс бота молчит",
    "database": "база данных недоступна",
}
_OPS_KIND = {
    "reminder": "напоминания",
    "overdue": "просрочки",
    "escalation": "эскалации",
    "digest": "сводки",
}
_OPS_REASON = {
    "blocked": "заблокировали бота",
    "not_found": "чат не найден",
    "bad_request": "отказ Telegram (bad request)",
    "rate_limited": "лимит запросов (429)",
    "server": "ошибка сервера (5xx)",
    "network": "сеть",
    "other": "другое",
}


def _ops_minutes(minutes: int) -> str:
    return f"{minutes} {plural(minutes, 'минуту', 'минуты', 'минут')}"


def ops_alert(name: str, subject: str, minutes: int) -> str:
    """The watchdog's alert (plain text: no markup to break)."""
    kind = name.partition(":")[0]
    if kind == "outbox":
        return (
            "⚠️ Напоминания задерживаются: самое старое ждёт отправки "
            f"{_ops_minutes(minutes)}. Подробности: /health"
        )
    if kind == "scheduler":
        return (
            f"⚠️ Планировщик процесса {subject} не срабатывал {_ops_minutes(minutes)}: "
            "напоминания не готовятся. Подробности: /health"
        )
    if kind == "api":
        return (
            f"⚠️ {subject}: мессенджер отвечает ошибками (429/5xx или нет связи) уже "
            f"{_ops_minutes(minutes)}. Сообщения ждут и уйдут, когда он ответит. "
            "Подробности: /health"
        )
    if kind == "process":
        return (
            f"⚠️ Процесс {subject} не подаёт признаков жизни {_ops_minutes(minutes)}. "
            "Подробности: /health"
        )
    return "⚠️ База данных недоступна: бот не может ни принять ответы, ни отправить напоминания."


def ops_cleared(name: str, subject: str, lasted: int) -> str:
    """The all-clear after an alert."""
    what = _OPS_WHAT.get(name.partition(":")[0], name)
    about = f" ({subject})" if subject else ""
    return f"✅ Снова в порядке: {what}{about} — больше нет. Длилось {_ops_minutes(lasted)}."


def _ops_counts(counts: dict[str, int], names: dict[str, str]) -> str:
    if not counts:
        return "нет"
    return ", ".join(f"{names.get(k, k)} — {v}" for k, v in sorted(counts.items()))


def _ops_age(now: Any, moment: Any) -> str:
    if moment is None:
        return "ещё не было"
    seconds = max(int((now - moment).total_seconds()), 0)
    if seconds < 120:
        return f"{seconds} с назад"
    return f"{_ops_minutes(seconds // 60)} назад"


def ops_health(facts: Any, status: Any, now: Any) -> str:
    """/health: delivery, failures, unreachable people, the processes (HTML)."""
    outbox = facts.outbox
    lines = ["<b>Состояние доставки</b>", ""]
    for record in status.processes:
        tick = _ops_age(now, record.last_tick_at) if record.scheduler else "выключен"
        uptime = _ops_minutes(max(int((now - record.started_at).total_seconds() // 60), 0))
        heard = _ops_age(now, record.heartbeat_at)
        lines.append(
            f"• {escape(record.process)}: версия {escape(record.version)}, работает "
            f"{uptime}, отклик {heard}; планировщик: {tick}"
        )
        for messenger, episode in sorted(record.episodes.items()):
            lines.append(
                f"  {messenger}: ошибки 429/5xx — {episode.count}, последняя "
                f"{_ops_age(now, episode.last)}"
            )
    lines.append(
        "База данных: доступна. Redis: "
        + {None: "не используется", True: "доступен", False: "НЕДОСТУПЕН"}[status.redis]
    )
    lines.append("")
    oldest = outbox.oldest_due_age(now)
    lines.append(f"К отправке сейчас: {_ops_counts(outbox.due, _OPS_KIND)}")
    if outbox.oldest_due_at is not None:
        lines.append(f"Самое старое ждёт {_ops_minutes(int(oldest.total_seconds() // 60))}")
    lines.append(f"Запланировано: {_ops_counts(outbox.waiting, _OPS_KIND)}")
    lines.append(f"Отправлено за час: {facts.sent_last_hour}")
    lines.append(f"Не доставлено за сутки: {_ops_counts(facts.failures_last_day, _OPS_REASON)}")
    lines.append(f"Повторы за сутки: {_ops_counts(facts.retries_last_day, _OPS_REASON)}")
    lines.append(f"Копии файлов в очереди: {outbox.evidence_backlog}")
    if status.raised:
        lines.append("")
        lines.append("Тревоги: " + ", ".join(escape(n) for n in sorted(status.raised)))
    if facts.unreachable:
        lines.append("")
        lines.append(
            "<b>Бот не может написать</b> (заблокировали / не нажали «Старт» / "
            "приглашения не использованы):"
        )
        for school in facts.unreachable:
            lines.append(
                f"• {escape(school.name)}: {school.blocked} / {school.not_started} / "
                f"{school.unused_invitations}"
            )
        lines.append("Отправить приглашение заново: /invites")
    return "\n".join(lines)


# --- One person in two messengers (handlers/accounts.py, docs/max.md) ---
COMMAND_DESCRIPTIONS["connect"] = "Связать Telegram и MAX"
MESSENGER_NAMES = {"telegram": "Telegram", "max": "MAX"}
CONNECT_NEEDS_PERSON = (
    "Связать учётные записи может только участник: сначала войдите по приглашению координатора."
)
CONNECT_ERRORS = {
    "unknown": "Такой код не найден. Получите новый командой /connect в другом мессенджере.",
    "expired": "Срок кода истёк (он действует 30 минут). Получите новый командой /connect.",
    "used": "Этот код уже использован. Получите новый командой /connect.",
    "taken": (
        "Эта учётная запись уже принадлежит другому участнику Куратора. Если это ошибка, "
        "обратитесь к администратору."
    ),
    "other_account": (
        "К вашему профилю уже привязана другая учётная запись в этом мессенджере. "
        "Чтобы заменить её, обратитесь к администратору."
    ),
}
BTN_MESSENGER = "🔔 Напоминания в {name}"
BTN_MESSENGER_CHOSEN = "✅ Напоминания в {name}"


def connect_code(code: str, links: list[tuple[str, str]]) -> str:
    """How to link the account in the other messenger: its deep links, or the code to send."""
    lines = [
        "Чтобы пользоваться Куратором и в другом мессенджере как один и тот же человек:",
    ]
    for name, url in links:
        lines.append(f"• {escape(name)}: откройте ссылку {escape(url)}")
    lines.append(f"Или отправьте там боту Куратора команду <code>/connect {escape(code)}</code>")
    lines.append("Код действует 30 минут и подходит один раз. Никому его не пересылайте.")
    return "\n".join(lines)


def connected(messengers: tuple[str, ...], reminders_to: str, already: bool) -> str:
    """The accounts are linked: where the person is now and where reminders go."""
    names = ", ".join(MESSENGER_NAMES.get(m, m) for m in messengers)
    head = (
        "Эта учётная запись уже связана с вашим профилем."
        if already
        else "Готово: учётные записи связаны."
    )
    return (
        f"{head}\nВы в Кураторе: {names}.\n"
        f"Напоминания и уведомления приходят в {MESSENGER_NAMES.get(reminders_to, reminders_to)} "
        "— только туда, без повторов. Выбрать другой мессенджер:"
    )


def messenger_chosen(name: str) -> str:
    return f"Теперь напоминания и уведомления приходят в {MESSENGER_NAMES.get(name, name)}."


def invitation_also(messenger: str, link: str) -> str:
    """The same invitation's link in the other messenger."""
    return f"\nВ {escape(messenger)}: {escape(link)}"
