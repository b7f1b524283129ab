"""Plain-text and JSON renderings of an import preview and report for the CLI."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from core.plan_import import ImportReport
from importer.draft import PlanDraft


def text_preview(draft: PlanDraft) -> str:
    """What the file contains, each flagged row with its text."""
    year = f"{draft.academic_year}/{draft.academic_year + 1}" if draft.academic_year else "unknown"
    lines = [
        f"Plan: {draft.title}",
        f"Academic year: {year}",
        f"Directions: {len(draft.directions)}"
        + "".join(
            f"\n  {d.code}: {d.title[:80]} ({len(d.school_keys)} schools)" for d in draft.directions
        ),
        f"Stages: {len(draft.stages)}" + "".join(f"\n  {s.title[:90]}" for s in draft.stages),
        f"Activities: {len(draft.activities)}",
        f"Seminars: {len(draft.seminars)}",
        f"Schools: {len(draft.schools)}",
    ]
    for activity in draft.activities:
        period = activity.period
        when = (
            f"{period.start or '…'} – {period.due or '…'}"
            if period.due or period.start
            else "no date"
        )
        number, title, text = activity.number or "-", activity.title[:70], activity.period_text[:30]
        lines.append(f"  {number:>3} {title:70} | {text:30} -> {period.kind}, {when}")
    flagged = draft.flagged()
    lines.append(f"Flagged: {len(flagged)}")
    for row in flagged:
        reasons, period_text = ", ".join(row["reasons"]), row["period_text"] or "(empty)"
        column = row["source"]["column"] or "(no period column)"
        page = f" (page {row['page']})" if row.get("page") else ""
        lines.append(f"  [{reasons}] {row['title'][:80]} | {column[:40]}: {period_text}{page}")
        lines.append(f"      row: {row['row_text'][:160]}")
    return "\n".join(lines)


def report_json(report: ImportReport) -> dict[str, Any]:
    return asdict(report)


def report_text(report: ImportReport) -> str:
    """What the import stored."""
    verb = "created" if report.created else "updated"
    lines = [f"Plan {report.plan_id} {verb}."]
    if not report.created:
        added, changed, removed = len(report.added), len(report.changed), len(report.removed)
        lines.append(f"Added: {added}, changed: {changed}, removed: {removed}")
        lines += [f"  + {title[:90]}" for title in report.added]
        lines += [f"  ~ {c['title'][:90]}: {', '.join(c['fields'])}" for c in report.changed]
        lines += [f"  - {title[:90]}" for title in report.removed]
        for kept in report.kept_deadlines:
            where = kept["school"] or "all schools"
            lines.append(
                f"  ! kept due date {kept['kept']} ({where}), the file says {kept['file']}: "
                f"{kept['title'][:70]}"
            )
        if report.kept_work:
            lines.append(
                f"Kept {report.kept_work} submitted/accepted assignment(s) of removed activities."
            )
    return "\n".join(lines)
