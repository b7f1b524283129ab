"""The interpreted plan before it is stored: what a preview shows and an import writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core.periods import Period


def source(column: str | None, text: str) -> dict[str, str | None]:
    """Where a period was read: the column's header (None when the table has no period column)
    and the cell's text."""
    return {"column": column, "text": text}


@dataclass
class DraftSchool:
    key: str
    name: str


@dataclass
class DraftDirection:
    code: str
    title: str = ""
    coordinators: str = ""
    curator: str = ""
    school_keys: list[str] = field(default_factory=list)


@dataclass
class DraftStage:
    title: str
    period_text: str | None
    period: Period | None
    source_column: str | None = "строка этапа"


@dataclass
class DraftActivity:
    title: str
    period_text: str
    period: Period
    number: str | None = None
    responsible: str | None = None
    expected_result: str | None = None
    result_form: str | None = None
    participants: str | None = None
    indicators: str | None = None
    note: str | None = None  # the plan's "Примечание" column
    stage: str | None = None
    direction: str | None = None
    level: str | None = None  # "municipal" | "school"
    section: str | None = None
    row_text: str = ""
    source_column: str | None = None  # the header of the cell the period was read from
    # One occurrence of an activity with several dates (importer.occurrences): the row's own
    # title, shared by its occurrences, and this one's label ("входная диагностика", "октябрь").
    series: str | None = None
    occurrence: str | None = None
    page: int | None = None  # the PDF page the row was printed on

    @property
    def needs_date(self) -> bool:
        return "needs_date" in self.period.flags or (
            self.period.due is None and self.period.kind != "recurring"
        )


@dataclass
class DraftSeminar:
    topic: str
    date_text: str
    period: Period
    audience: str | None = None
    direction: str | None = None
    row_text: str = ""
    source_column: str | None = None


@dataclass
class PlanDraft:
    """A whole plan as understood from a document."""

    title: str
    academic_year: int | None
    year_from: int | None
    year_to: int | None
    directions: list[DraftDirection] = field(default_factory=list)
    stages: list[DraftStage] = field(default_factory=list)
    activities: list[DraftActivity] = field(default_factory=list)
    seminars: list[DraftSeminar] = field(default_factory=list)
    schools: list[DraftSchool] = field(default_factory=list)
    single_school: str | None = None  # key of the school whose own plan this is
    title_as_written: str | None = None  # the document's title, where `title` was cleaned

    def sections(self) -> list[str]:
        """The plan's sections in document order."""
        return list(dict.fromkeys(a.section for a in self.activities if a.section))

    def span(self) -> tuple[date, date] | None:
        """The plan's own period: one academic year, or the calendar years it names."""
        if self.academic_year is not None and self.year_to in (None, self.academic_year + 1):
            return date(self.academic_year, 9, 1), date(self.academic_year + 1, 8, 31)
        if self.year_from is not None and self.year_to is not None:
            return date(self.year_from, 1, 1), date(self.year_to, 12, 31)
        return None

    def flagged(self) -> list[dict[str, Any]]:
        """Rows a person must look at: unreadable or missing dates, repaired typos, guesses."""
        notable = {"needs_date", "typo_fixed", "clamped_day", "ambiguous", "parser_error"}
        span = self.span()
        rows = []
        for index, activity in enumerate(self.activities):
            reasons = sorted(set(activity.period.flags) & notable)
            if activity.needs_date and "needs_date" not in reasons:
                reasons.append("needs_date")
            period = activity.period
            if (
                span
                and period.due
                and (period.due < span[0] or (period.start or period.due) > span[1])
            ):
                reasons.append("outside_plan")
            if reasons:
                rows.append(
                    {
                        "activity": index,
                        "number": activity.number,
                        "title": activity.title,
                        "period_text": activity.period_text,
                        "reasons": reasons,
                        "source": source(activity.source_column, activity.period_text),
                        "row_text": activity.row_text,
                        **({"page": activity.page} if activity.page is not None else {}),
                    }
                )
        for index, seminar in enumerate(self.seminars):
            if seminar.period.start is None:
                rows.append(
                    {
                        "seminar": index,
                        "title": seminar.topic,
                        "period_text": seminar.date_text,
                        "reasons": ["needs_date"],
                        "source": source(seminar.source_column, seminar.date_text),
                        "row_text": seminar.row_text,
                    }
                )
        return rows

    def to_json(self) -> dict[str, Any]:
        """The preview as one JSON document (the `import --json` contract)."""
        return {
            "plan": {
                "title": self.title,
                "academic_year": self.academic_year,
                "year_from": self.year_from,
                "year_to": self.year_to,
            },
            "directions": [
                {
                    "code": d.code,
                    "title": d.title,
                    "coordinators": d.coordinators,
                    "curator": d.curator,
                    "schools": d.school_keys,
                }
                for d in self.directions
            ],
            "stages": [
                {
                    "title": s.title,
                    "period_text": s.period_text,
                    "period": s.period.to_json() if s.period else None,
                    "source": source(s.source_column, s.period_text or ""),
                }
                for s in self.stages
            ],
            "schools": [{"key": s.key, "name": s.name} for s in self.schools],
            "sections": self.sections(),
            "activities": [
                {
                    "number": a.number,
                    "title": a.title,
                    "period_text": a.period_text,
                    "period": a.period.to_json(),
                    "source": source(a.source_column, a.period_text),
                    "section": a.section,
                    "responsible": a.responsible,
                    "expected_result": a.expected_result,
                    "stage": a.stage,
                    "direction": a.direction,
                    "level": a.level,
                    "series": a.series,
                    "occurrence": a.occurrence,
                }
                for a in self.activities
            ],
            "seminars": [
                {
                    "topic": s.topic,
                    "date_text": s.date_text,
                    "period": s.period.to_json(),
                    "source": source(s.source_column, s.date_text),
                    "audience": s.audience,
                    "direction": s.direction,
                }
                for s in self.seminars
            ],
            "flagged": self.flagged(),
        }
