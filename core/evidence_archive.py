"""What an evidence archive holds: the accepted submissions' files of a plan, a school or an
item, each with where it goes in the archive and whether its copy exists."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.dto import UserContext
from core.errors import NotFound
from core.permissions import may_report
from core.states import SubmissionStatus
from core.status import DEPARTMENT
from db.models import Activity, Assignment, EvidenceFile, Plan, School, Submission, User

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


@dataclass(frozen=True)
class EvidenceEntry:
    """One file of an accepted submission."""

    school: str
    number: str | None
    activity: str
    file_name: str
    stored_path: str | None
    missing_reason: str | None  # the copy was given up, and why
    submitted_by: str | None
    submitted_at: datetime
    accepted_at: datetime | None
    comment: str | None
    folder: str  # "СОШ № 21/2 Издание приказа"

    @property
    def archive_path(self) -> str:
        return f"{self.folder}/{self.file_name}"


def safe_part(text: str, limit: int = 60) -> str:
    """A folder or file name that every unzip tool accepts (no slashes, no control chars)."""
    cleaned = _UNSAFE.sub("_", text).strip(" .") or "_"
    return cleaned[:limit].rstrip(" .")


async def evidence_entries(
    session: AsyncSession,
    user: UserContext | None,
    plan_id: int,
    school_id: int | None = None,
    number: str | None = None,
) -> list[EvidenceEntry]:
    """The accepted evidence of the plan (a school's, an item's), folders by school and item.

    `user` None: the command line (an operator with the database); otherwise the person must
    be one who may have the plan's (or the school's) report."""
    plan = await session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"no plan {plan_id}")
    if user is not None and not may_report(user, plan_id, school_id):
        raise NotFound("not in scope")
    query = (
        select(
            School.name,
            Activity.number,
            Activity.title,
            Activity.position,
            EvidenceFile.id,
            EvidenceFile.file_name,
            EvidenceFile.kind,
            EvidenceFile.stored_path,
            EvidenceFile.copy_missing_at,
            EvidenceFile.copy_error,
            User.full_name,
            User.forgotten_at,
            Submission.created_at,
            Submission.reviewed_at,
            Submission.comment,
        )
        .select_from(EvidenceFile)
        .join(Submission, Submission.id == EvidenceFile.submission_id)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .join(Activity, Activity.id == Assignment.activity_id)
        .outerjoin(School, School.id == Assignment.school_id)
        .outerjoin(User, User.id == Submission.user_id)
        .where(
            Activity.plan_id == plan_id,
            Activity.cancelled_at.is_(None),
            Submission.status == SubmissionStatus.ACCEPTED,
        )
        .order_by(School.name, Activity.position, Submission.id, EvidenceFile.id)
    )
    if school_id is not None:
        query = query.where(Assignment.school_id == school_id)
    if number is not None:
        query = query.where(Activity.number == number)
    entries: list[EvidenceEntry] = []
    taken: set[str] = set()
    for (
        school, item_number, title, position, file_id, name, kind, stored, missing_at, error,
        person, forgotten, sent, accepted, comment,
    ) in await session.execute(query):  # fmt: skip
        folder = f"{safe_part(school or DEPARTMENT)}/" + safe_part(
            f"{item_number or position + 1} {title}", 50
        )
        file_name = safe_part(name or f"{kind}_{file_id}", 100)
        while f"{folder}/{file_name}" in taken:  # two files of one name: keep both
            file_name = f"{file_id}_{file_name}"
        taken.add(f"{folder}/{file_name}")
        reason = None
        if missing_at is not None:
            reason = f"копия не сохранена: {error or 'Telegram не отдал файл'}"
        elif stored is None:
            reason = "копия ещё не сделана (бот скачивает файлы после отправки)"
        entries.append(
            EvidenceEntry(
                school=school or DEPARTMENT,
                number=item_number,
                activity=title,
                file_name=file_name,
                stored_path=stored,
                missing_reason=reason,
                submitted_by=person if forgotten is None else None,
                submitted_at=sent,
                accepted_at=accepted,
                comment=comment,
                folder=folder,
            )
        )
    return entries
