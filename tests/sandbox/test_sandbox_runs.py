"""`python -m bot sandbox`: a scripted story with a transcript, and the chat in a real terminal."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from tests.harness import ROOT

STORY = """\
# A curator is reminded, reports with a file; the coordinator accepts; the status changes.
/as curator1
/clock 2020-11-09 09:00
✅ Выполнено
/file {evidence}
Приказ подписан
✅ Отправить
/as coordinator
/status
/review
1
✅ Принять
/status
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "TELEGRAM_"))
    }
    env["TMPDIR"] = str(tmp_path)  # the sandbox keeps its database in a fresh temporary folder
    return env


def _blocks(transcript: str) -> list[tuple[str, str]]:
    """(header, body) of every printed line group: prompts and bot messages."""
    parts = re.split(r"^(── .+|\S+ \d\d\.\d\d\.\d{4} \d\d:\d\d> .*)$", transcript, flags=re.M)
    return [(parts[i], parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


# What the sandbox says of each --messenger; with both, Алиса reports in MAX and Ольга reviews
# in Telegram: the story crosses messengers.
BANNERS = {
    "telegram": "бот и эмулятор Telegram на этом компьютере",
    "max": "бот и эмулятор MAX на этом компьютере",
    "both": "curator1: Алиса Кураторова (в MAX)",
}


@pytest.mark.parametrize("messenger", list(BANNERS))
def test_the_main_story_runs_from_a_script(tmp_path: Path, messenger: str) -> None:
    evidence = tmp_path / "приказ.txt"
    evidence.write_text("Приказ № 344 от 09.11.2020", encoding="utf-8")
    script = tmp_path / "story.txt"
    script.write_text(STORY.format(evidence=evidence), encoding="utf-8")
    db = tmp_path / "sandbox.sqlite3"
    command = ["sandbox", "--messenger", messenger, "--script", str(script), "--db", str(db)]
    done = subprocess.run(
        [sys.executable, "-m", "bot", *command],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "\x1b[" not in out  # not a terminal: plain text
    assert out.splitlines()[0].startswith("Запускаю песочницу…")  # at once, before the world
    assert BANNERS[messenger] in out and "Traceback" not in done.stderr
    assert "Готово. Попробуйте:" in out and "/press 3.2" in out and "/dashboard" in out
    blocks = _blocks(out)
    heads = [h for h, _ in blocks]

    def after(prompt: str) -> list[tuple[str, str]]:
        start = next(i for i, h in enumerate(heads) if h.endswith("> " + prompt))
        end = next((i for i in range(start + 1, len(heads)) if "> " in heads[i]), len(heads))
        return blocks[start + 1 : end]

    # The clock moves a week: Alice is reminded of the deadline on 10 November.
    moved = after("/clock 2020-11-09 09:00")
    assert "⏳ 03.11.2020…" in out and "⏳ 08.11.2020…" in out  # a long move shows its days
    # Numbered as printed, each with its local send time, in the order they were sent.
    stamps = [re.search(r"── \[(\d+)\] \S+ ← бот · (\d\d)\.11 (\d\d):(\d\d)", h) for h, _ in moved]
    assert all(stamps) and len(stamps) >= 2
    times = [tuple(int(g) for g in m.groups()[1:]) for m in stamps if m]
    assert times == sorted(times)
    reminders = [b for h, b in moved if "Алиса ← бот" in h]
    assert any(
        "Напоминание о сроке" in b and "Издание приказа" in b and "завтра" in b for b in reminders
    )
    # Done with a file: she presses the button under the reminder, attaches, sends.
    assert "Отмечаем выполнение: Издание приказа" in after("✅ Выполнено")[0][1]
    assert "Файлов: 1" in after(f"/file {evidence}")[0][1]
    sent = after("✅ Отправить")
    assert any("Ольга ← бот" in h and "На проверку" in b for h, b in sent)
    assert any("Алиса ← бот" in h and "Отправлено на проверку" in b for h, b in sent)
    # The coordinator sees it in /review, opens it, accepts; Alice hears of it.
    before = after("/status")[0][1]
    assert "Ждут проверки: 1" in after("/review")[0][1]
    card = after("1")
    assert any("Комментарий: Приказ подписан" in b for _, b in card)
    assert any("приказ.txt" in b for _, b in card)  # the evidence file, saved for the terminal
    accepted = after("✅ Принять")
    assert any("Алиса ← бот" in h and "✅ Принято: Издание приказа" in b for h, b in accepted)
    assert "ⓘ Ольга видит: Принято, куратор получил уведомление." in out  # whose pop-up
    status_blocks = [i for i, h in enumerate(heads) if h.endswith("> /status")]
    final = blocks[status_blocks[-1] + 1][1]
    assert re.search(r"Всего 46: ✅ 0 ", before) and re.search(r"Всего 46: ✅ 1 ", final)
    assert f"База песочницы: {db}" in out and db.exists()
    if messenger != "telegram":
        return  # the command line reads the database alike whichever messenger filled it

    # The command line on the sandbox's database takes the sandbox's clock (9 November 2020).
    env = {**_env(tmp_path), "DATABASE_URL": f"sqlite+aiosqlite:///{db}"}
    report = tmp_path / "report.docx"
    made = subprocess.run(
        [sys.executable, "-m", "bot", "report", "1", "--out", str(report)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    assert "База песочницы: время песочницы 09.11.2020 " in made.stderr
    from docx import Document

    assert "Дата отчёта: 09.11.2020" in [p.text for p in Document(str(report)).paragraphs]


HOLIDAYS = """\
# The coordinator sets autumn holidays; the clock runs through them and 4 November.
/as coordinator
/plans
1
🏖 Каникулы
➕ Добавить каникулы
03.11–06.11 осенние
/as curator1
/away 09.11–10.11
Ольга Методистова
/clock 2020-11-12 09:00
"""


def test_an_unknown_messenger_is_refused_in_russian(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", "--messenger", "viber"],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert "Нет такого мессенджера: «viber». Можно: telegram (по умолчанию), max или both" in (
        done.stderr
    )


def test_the_sandbox_runs_through_holidays_and_an_absence(tmp_path: Path) -> None:
    script = tmp_path / "holidays.txt"
    script.write_text(HOLIDAYS, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", "--script", str(script)],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Каникулы «осенние»: 3 ноября, вт – 6 ноября, пт" in out
    assert "Отмечено: вас нет 9 ноября, пн – 10 ноября, вт. Замещает: Ольга Методистова." in out
    heads = [h for h, _ in _blocks(out)]
    days = {int(m[1]) for h in heads if (m := re.search(r"← бот · (\d\d)\.11 ", h))}
    # Nothing in the holidays (3-6 November) nor on the weekend (7-8 November).
    assert not days & {3, 4, 5, 6, 7, 8}, sorted(days)
    blocks = _blocks(out)
    assert any("Ольга ← бот" in h and "За коллегу: Алиса Кураторова" in b for h, b in blocks)
    assert any("Алиса ← бот" in h and "С возвращением" in b for h, b in blocks)


def test_the_terminal_chat_in_a_real_terminal(tmp_path: Path) -> None:
    env = {**_env(tmp_path), "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bot", "sandbox"],
        cwd=str(ROOT),
        env=env,
        encoding="utf-8",
        timeout=120,
        dimensions=(40, 120),
    )
    try:
        child.expect("Алиса 02.11.2020 09:00>")
        assert re.search(r"\x1b\[[0-9;]*m", child.before), "no colours in a terminal"
        child.sendline("/my")
        child.expect("Все открытые: 23")
        child.expect(r"\[6\] ▶️")
        child.expect("Алиса 02.11.2020 09:00>")
        child.sendline("6")  # the button ▶️ by its number: the same message turns the page
        child.expect(r"изменено")
        child.expect(r"стр\. 2/5")
        child.expect("Алиса 02.11.2020 09:00>")
        child.sendline("/as coordinator")
        child.expect(r"Теперь говорит [^\n]*?Ольга")  # not greedy: the prompt follows
        child.expect("Ольга 02.11.2020 09:00>")
        child.sendeof()
        child.expect("База песочницы: (.+sandbox.sqlite3)")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
