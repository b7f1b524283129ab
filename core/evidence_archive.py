"""What an evidence archive holds: the accepted submissions' files of a plan, a school or an
item, each with where it goes in the archive and whether its copy exists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.dto import UserContext
from core.filenames import evidence_name, name_key, safe_name
from core.report_data import removed_title, report_scope
from core.scope import visible
from core.states import SubmissionStatus
from core.status import DEPARTMENT
from db.models import Activity, Assignment, EvidenceFile, School, Submission, User

# In UTF-16 units, as Windows counts its 260-unit paths (the folder unpacked into counts too).
SCHOOL_CHARS, ITEM_CHARS, FILE_CHARS = 60, 50, 100


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


def _unique(folder: str, name: str, file_id: int, taken: set[str]) -> str:
    """`name`, or `<id>_name` if a file in the folder already has it where case does not count
    (Windows, macOS): two files of one name are both kept."""
    candidate, tries = name, 1
    while name_key(f"{folder}/{candidate}") in taken:
        tries += 1
        prefix = f"{file_id}_" if tries == 2 else f"{file_id}-{tries}_"
        candidate = safe_name(prefix + name, max_chars=FILE_CHARS)
    taken.add(name_key(f"{folder}/{candidate}"))
    return candidate


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
    # Evidence: what the person's report covers, less what observers may not see.
    scope = (await report_scope(session, user, plan_id, school_id)).evidence_only()
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
            Activity.cancelled_at,
        )
        .select_from(EvidenceFile)
        .join(Submission, Submission.id == EvidenceFile.submission_id)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .join(Activity, Activity.id == Assignment.activity_id)
        .outerjoin(School, School.id == Assignment.school_id)
        .outerjoin(User, User.id == Submission.user_id)
        .where(
            Activity.plan_id == plan_id,
            # Accepted work of a row a later version of the plan removed stays, marked.
            Submission.status == SubmissionStatus.ACCEPTED,
            visible(scope, Activity.plan_id, Activity.direction_id, Assignment.school_id),
        )
        .order_by(School.name, Activity.position, Submission.id, EvidenceFile.id)
    )
    if school_id is not None:
        query = query.where(Assignment.school_id == school_id)
    if number is not None:
        query = query.where(Activity.number == number)
    entries: list[EvidenceEntry] = []
    taken: set[str] = set()
    nameless: dict[tuple[str, str], int] = {}  # photos and voices numbered in their folder
    for (
        school, item_number, title, position, file_id, name, kind, stored, missing_at, error,
        person, forgotten, sent, accepted, comment, cancelled,
    ) in await session.execute(query):  # fmt: skip
        title = removed_title(title, cancelled)
        folder = safe_name(school or DEPARTMENT, max_chars=SCHOOL_CHARS) + "/"
        folder += safe_name(f"{item_number or position + 1} {title}", max_chars=ITEM_CHARS)
        count = nameless[(folder, kind)] = nameless.get((folder, kind), 0) + int(not name)
        who = person if forgotten is None else None
        own = evidence_name(name, kind, count, who)
        file_name = _unique(folder, safe_name(own, max_chars=FILE_CHARS), file_id, taken)
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
