"""`python -m bot import`: preview, JSON, commit in one transaction, refusals that store nothing."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.settings import Settings
from db.models import Activity, Assignment, Plan, School
from tests.harness import run_cli
from tests.plan_files import seed_docx, seed_path

PLANS = Path(__file__).resolve().parents[1] / "data" / "plans"


async def _plans(session_factory) -> tuple[int, int, int]:
    async with session_factory() as session:
        return tuple(
            [
                int(await session.scalar(select(func.count()).select_from(model)) or 0)
                for model in (Plan, Activity, School)
            ]
        )  # type: ignore[return-value]


async def test_json_dry_run_previews_without_storing(settings: Settings, session_factory) -> None:
    result = await run_cli(settings, "import", str(seed_path("001")), "--json", "--dry-run")
    preview = json.loads(result.stdout)
    assert set(preview) == {
        "changes",
        "plan",
        "directions",
        "stages",
        "schools",
        "sections",
        "activities",
        "seminars",
        "flagged",
    }
    assert preview["plan"]["academic_year"] == 2020
    assert len(preview["activities"]) == 23
    first = preview["activities"][0]
    assert set(first) == {
        "number",
        "title",
        "period_text",
        "period",
        "source",
        "section",
        "responsible",
        "expected_result",
        "stage",
        "direction",
        "level",
        "series",  # an occurrence of an activity with several dates: its row's title
        "occurrence",  # and its own label (None for an activity with one date)
    }
    assert (
        first["period"]["due"] == "2020-11-10"
        and first["responsible"] == "Куратор проекта Охрименко О.Ю."
        and first["source"] == {"column": "Сроки", "text": "до 10.11.2020"}
    )
    assert [f["reasons"] for f in preview["flagged"]] == [["clamped_day"], ["outside_plan"]]
    assert (
        "Издание приказа" in preview["flagged"][0]["row_text"] or preview["flagged"][0]["row_text"]
    )
    assert await _plans(session_factory) == (0, 0, 0)


async def test_import_commits_and_reimport_reports_no_changes(
    settings: Settings, session_factory, tmp_path: Path
) -> None:
    docx_file = tmp_path / "network-plan.docx"
    docx_file.write_bytes(seed_docx("000"))
    first = await run_cli(settings, "import", str(docx_file), "--timezone", "Asia/Yekaterinburg")
    assert "Направлений: 4" in first.stdout and "Семинаров: 14" in first.stdout
    assert "Требуют внимания: 5" in first.stdout and "создан" in first.stdout
    assert await _plans(session_factory) == (1, 19, 35)
    again = await run_cli(settings, "import", str(docx_file))
    assert "обновлён" in again.stdout and "Добавлено: 0, изменено: 0, убрано: 0" in again.stdout
    assert await _plans(session_factory) == (1, 19, 35)


def _nested_archive() -> bytes:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("secret.txt", "x")
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/embeddings/package.zip", inner.getvalue())
    return outer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("truncated.docx", lambda: seed_docx("001")[:3000], "повреждён"),
        ("plan.odt", lambda: b"PK\x03\x04 plan", "тип файла не подходит"),
        ("plan.pdf", lambda: b"%PDF-1.7 plan", "повреждён"),
        ("scan.pdf", lambda: (PLANS / "scanned.pdf").read_bytes(), "это скан"),
        ("locked.pdf", lambda: (PLANS / "locked.pdf").read_bytes(), "только по паролю"),
        ("bomb.pdf", lambda: (PLANS / "bomb.pdf").read_bytes(), "слишком большой объём"),
        ("empty.docx", lambda: b"", "Файл пустой"),
        ("huge.txt", lambda: b"a" * (30 * 1024 * 1024), "больше 20 МБ"),
        ("nested.docx", _nested_archive, "вложенный архив"),
        ("letter.txt", lambda: "Письмо без таблицы".encode(), "не нашлось таблицы плана"),
    ],
)
async def test_malformed_files_get_a_message_and_store_nothing(
    settings: Settings, session_factory, tmp_path: Path, name: str, content, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content())
    result = await run_cli(settings, "import", str(path), check=False)
    assert result.returncode == 1
    assert message in result.stderr
    assert await _plans(session_factory) == (0, 0, 0)


async def test_reimport_keeps_an_attached_school_and_asks_before_removing(
    settings: Settings, session_factory, tmp_path: Path
) -> None:
    """Issue 28: `plan attach` then re-importing the unchanged file keeps school 2's items;
    a file that removes rows says so (with the work they hold) and stores nothing without --yes."""
    plan = tmp_path / "roadmap.txt"
    plan.write_text(seed_path("001").read_text(encoding="utf-8"), encoding="utf-8")
    await run_cli(settings, "import", str(plan))
    await run_cli(settings, "school", "add", "МАОУ «Лицей № 2»")
    attached = await run_cli(settings, "plan", "attach", "1", "--school", "МАОУ «Лицей № 2»")
    assert "(новых пунктов: 23)" in attached.stdout
    again = await run_cli(settings, "import", str(plan))
    assert "Добавлено: 0, изменено: 0, убрано: 0" in again.stdout
    assert (
        "(новых пунктов: 0)"
        in (await run_cli(settings, "plan", "attach", "1", "--school", "МАОУ «Лицей № 2»")).stdout
    )  # still there: nothing to give back
    async with session_factory() as session:
        open_items = await session.scalar(
            select(func.count()).select_from(Assignment).where(Assignment.status == "open")
        )
    assert open_items == 46

    shorter = tmp_path / "roadmap-v2.txt"
    lines = plan.read_text(encoding="utf-8").split("\n")
    shorter.write_text("\n".join(x for x in lines if not x.startswith("9.\t")), encoding="utf-8")
    refused = await run_cli(settings, "import", str(shorter), check=False)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert "исключится: 1" in refused.stdout
    async with session_factory() as session:
        assert not await session.scalar(
            select(func.count()).select_from(Activity).where(Activity.cancelled_at.is_not(None))
        )
    done = await run_cli(settings, "import", str(shorter), "--yes")
    assert "убрано: 1" in done.stdout
