"""Plain-text (Russian, as a methodologist reads it) and JSON renderings of an import preview
and report for the CLI."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from bot.cli_texts import FIELD_NAMES, PERIOD_KINDS
from bot.texts import IMPORT_REASONS
from core.plan_import import ImportReport
from importer.draft import PlanDraft


def text_preview(draft: PlanDraft) -> str:
    """What the file contains, each flagged row with its text."""
    year = f"{draft.academic_year}/{draft.academic_year + 1}" if draft.academic_year else "не понят"
    lines = [
        f"План: {draft.title}",
        f"Учебный год: {year}",
        f"Направлений: {len(draft.directions)}"
        + "".join(
            f"\n  {d.code}: {d.title[:80]} (школ: {len(d.school_keys)})" for d in draft.directions
        ),
        f"Этапов: {len(draft.stages)}" + "".join(f"\n  {s.title[:90]}" for s in draft.stages),
        f"Мероприятий: {len(draft.activities)}",
        f"Семинаров: {len(draft.seminars)}",
        f"Школ: {len(draft.schools)}",
    ]
    for activity in draft.activities:
        period = activity.period
        when = (
            f"{_day(period.start)} – {_day(period.due)}"
            if period.due or period.start
            else "без даты"
        )
        number, title, text = activity.number or "-", activity.title[:70], activity.period_text[:30]
        kind = PERIOD_KINDS.get(period.kind, period.kind)
        lines.append(f"  {number:>3} {title:70} | {text:30} -> {kind}, {when}")
    flagged = draft.flagged()
    lines.append(f"Требуют внимания: {len(flagged)}")
    for row in flagged:
        reasons = ", ".join(IMPORT_REASONS.get(r, r) for r in row["reasons"])
        period_text = row["period_text"] or "(пусто)"
        column = row["source"]["column"] or "(нет колонки сроков)"
        page = f" (стр. {row['page']})" if row.get("page") else ""
        lines.append(f"  [{reasons}] {row['title'][:80]} | {column[:40]}: {period_text}{page}")
        lines.append(f"      строка: {row['row_text'][:160]}")
    return "\n".join(lines)


def _day(day: date | None) -> str:
    return f"{day:%d.%m.%Y}" if day else "…"


def report_json(report: ImportReport) -> dict[str, Any]:
    return asdict(report)


def report_text(report: ImportReport) -> str:
    """What the import stored."""
    verb = "создан" if report.created else "обновлён"
    lines = [f"План {report.plan_id} {verb}."]
    if not report.created:
        added, changed, removed = len(report.added), len(report.changed), len(report.removed)
        lines.append(f"Добавлено: {added}, изменено: {changed}, убрано: {removed}")
        lines += [f"  + {title[:90]}" for title in report.added]
        lines += [
            f"  ~ {c['title'][:90]}: {', '.join(FIELD_NAMES.get(f, f) for f in c['fields'])}"
            for c in report.changed
        ]
        lines += [f"  - {title[:90]}" for title in report.removed]
        for kept in report.kept_deadlines:
            where = kept["school"] or "все школы"
            lines.append(
                f"  ! оставлен срок {kept['kept']} ({where}), в файле {kept['file']}: "
                f"{kept['title'][:70]}"
            )
        if report.kept_work:
            lines.append(
                f"Сохранены сданные и принятые пункты убранных мероприятий: {report.kept_work}."
            )
    return "\n".join(lines)
