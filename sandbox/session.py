"""The terminal chat: read lines (keyboard or script), act as a person, print what the bot says."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.markup import escape

from bot import texts
from bot.texts import ROLE_NAMES
from messengers import TELEGRAM
from sandbox.cast import MESSENGER_NAMES, emulators_said
from sandbox.chats import ButtonGone, Chat, Event, Shown
from sandbox.commands import HELP, clock_target, parse_line
from sandbox.render import html_to_rich, numbered_buttons
from sandbox.world import PERSONAS, PLAN_ZONE, Persona, PlanRefused, SandboxWorld

STEP = timedelta(hours=1)  # moving the clock fires what falls due on the way, hour by hour
MAX_STEPPED = timedelta(days=62)


class Sandbox:
    """One terminal chat over a SandboxWorld."""

    def __init__(self, world: SandboxWorld, console: Console) -> None:
        self.world = world
        self.console = console
        self.current: Persona = PERSONAS[1]
        self.cursors: dict[str, int] = {}  # persona -> the last event of their chat printed
        self.last_buttons: dict[str, Shown] = {}  # persona -> message with buttons
        self.printed: list[tuple[Persona, Shown]] = []  # [N-1]: message N as shown
        self.zone = ZoneInfo(PLAN_ZONE)

    # --- the loop ---------------------------------------------------------------------------
    async def run(self, lines: AsyncIterator[str], echo: bool) -> None:
        await self.drain_events(quiet=True)  # the onboarding greetings and the plan's import
        self.banner()
        self.opening()
        self.console.print(
            "Готово. Попробуйте: [bold]/my[/] (пункты Алисы), [bold]/clock +1d[/] (завтрашние "
            "напоминания), [bold]/as coordinator[/] и [bold]/status[/]; кнопки — номером "
            "([bold]2[/]) или [bold]/press 3.2[/] (сообщение 3, кнопка 2). Панель в браузере: "
            "[bold]/as coordinator[/], затем [bold]/dashboard[/]."
        )
        async for raw in lines:
            if echo:
                self.console.print(f"[bold]{escape(self.prompt())}[/]{escape(raw)}")
            if not await self.handle(raw):
                break

    def prompt(self) -> str:
        now = self.world.clock.now().astimezone(self.zone)
        return f"{self.current.first_name} {now:%d.%m.%Y %H:%M}> "

    def banner(self) -> None:
        c = self.console
        c.print(
            f"[bold]Песочница Куратора[/] — бот и {emulators_said(self.world.messenger)} "
            "на этом компьютере."
        )
        c.print(f"План: {escape(self.world.plan_title[:100])}")
        for persona in PERSONAS:
            where = ""
            if persona.school is not None:
                where = f", {escape(self.world.schools[persona.school])}"
            messenger = ""
            if len(self.world.lines) > 1:  # say who is where only when it differs
                messenger = f" (в {MESSENGER_NAMES[self.world.where[persona.key]]})"
            c.print(
                f"  [{persona.colour}]{persona.key}[/]: {persona.first_name} {persona.last_name}"
                f"{messenger} — {ROLE_NAMES[persona.role]}{where}"
            )
        c.print("Сейчас говорит " + self.label(self.current) + ". /help — команды песочницы.")

    def opening(self) -> None:
        """How the plan got in: the coordinator's import in chat, or the database resumed."""
        world, coordinator = self.world, PERSONAS[0]
        if world.resumed:
            self.console.print(
                f"План уже в базе {escape(str(world.db_path))}: продолжаю с ней, ничего не "
                "импортирую (обновить план: [bold]/as coordinator[/] и [bold]/file ФАЙЛ[/])."
            )
            return
        self.console.print(
            f"{self.label(coordinator)} импортировала план в чате, как в "
            f"{MESSENGER_NAMES[world.where[coordinator.key]]}: прислала файл, прочла "
            "предпросмотр, нажала «" + escape(texts.IMPORT_CONFIRM) + "»."
        )
        for event in world.import_log:
            self.show(coordinator, event)
        if world.import_log and texts.FIX_SKIP in world.import_log[-1].message.buttons:
            self.console.print(
                "Импорт отметил строки со сроками, которые надо проверить: "
                "[bold]/as coordinator[/], затем дата (например 30.11.2020) или "
                "«" + escape(texts.FIX_SKIP) + "»."
            )

    def label(self, persona: Persona) -> str:
        return f"[bold {persona.colour}]{persona.first_name}[/]"

    async def handle(self, raw: str) -> bool:
        """Act on one line; False to quit."""
        line = parse_line(raw)
        try:
            if line.verb == "quit":
                return False
            if line.verb == "empty":
                return True
            if line.verb == "help":
                self.console.print(escape(HELP))
                await self.say("/help")
            elif line.verb == "as":
                self.switch(line.args[0] if line.args else "")
            elif line.verb == "who":
                self.banner()
            elif line.verb == "clock":
                await self.move_clock(line.args[0] if line.args else "")
            elif line.verb in ("file", "photos"):
                await self.upload(line.args, "document" if line.verb == "file" else "photo")
            elif line.verb == "dashboard":
                await self.dashboard()
            elif line.verb == "press":
                await self.press(line.args[0] if line.args else "")
            elif line.args[0] in self.button_texts():
                await self.press(line.args[0])  # typing a button's text presses it
            else:
                await self.say(line.args[0])
        except (ValueError, OSError, AssertionError) as exc:
            self.console.print(f"[red]{escape(str(exc))}[/]")
        return True

    # --- verbs ------------------------------------------------------------------------------
    def switch(self, name: str) -> None:
        wanted = name.strip().lower()
        for persona in PERSONAS:
            if wanted in (persona.key, persona.first_name.lower()):
                self.current = persona
                self.console.print("Теперь говорит " + self.label(persona) + ".")
                return
        raise ValueError(
            f"нет такого человека: {name!r}; есть: " + ", ".join(p.key for p in PERSONAS)
        )

    @property
    def me(self) -> Chat:
        return self.world.people[self.current.key]

    async def dashboard(self) -> None:
        """The dashboard's local address for the current person (initData in the fragment)."""
        url = await self.world.dashboard_url(self.current.key)
        self.console.print(
            texts.dashboard_sandbox(self.current.first_name, url),
            markup=False,
            soft_wrap=True,
        )

    async def say(self, text: str) -> None:
        await self.me.say(text)
        await self.after_action()

    async def upload(self, paths: tuple[str, ...], kind: str) -> None:
        if not paths:
            raise ValueError("укажите путь к файлу: /file отчёт.pdf")
        files = await asyncio.to_thread(_existing_files, paths)
        await self.me.send_files(files, kind)
        await self.after_action()

    def button_texts(self) -> list[str]:
        message = self.last_buttons.get(self.current.key)
        return message.buttons if message else []

    async def press(self, which: str) -> None:
        persona = self.current
        message = self.last_buttons.get(self.current.key)
        earlier = re.fullmatch(r"(\d+)\.(\d+)", which.strip())
        if earlier:  # "/press 3.2": message 3 as printed, its button 2 (pressed by its reader)
            number = int(earlier.group(1))
            if not 1 <= number <= len(self.printed):
                raise ValueError(f"нет сообщения {number}: напечатано {len(self.printed)}")
            persona, message = self.printed[number - 1]
            which = earlier.group(2)
        if message is None:
            raise ValueError("под последними сообщениями нет кнопок")
        buttons = message.buttons
        if which.isdigit():
            index = int(which) - 1
            if not 0 <= index < len(buttons):
                raise ValueError(f"нет кнопки {which}: их {len(buttons)}")
            text = buttons[index]
        elif which in buttons:
            text = which
        else:
            raise ValueError(f"нет кнопки «{which}»")
        try:
            popup = await self.world.people[persona.key].press(text, message)
        except ButtonGone:  # an edit or a deletion took it since it was printed
            where = f" под сообщением [{earlier.group(1)}]" if earlier else ""
            raise ValueError(
                f"кнопки «{text}»{where} больше нет (сообщение изменено или удалено)"
            ) from None
        await self.after_action()
        if popup:  # say whose screen it is on
            self.console.print(f"  [dim]ⓘ {persona.first_name} видит: {escape(popup)}[/]")

    async def move_clock(self, arg: str) -> None:
        clock = self.world.clock
        target = clock_target(arg, clock.now(), self.zone)
        if target < clock.now():
            raise ValueError("часы идут только вперёд")
        if target - clock.now() <= MAX_STEPPED:
            long_move = target - clock.now() > timedelta(days=1)
            while clock.now() + STEP < target:
                clock.advance(STEP)
                await self.world.app.reminders.tick(force_plan=True)
                local = clock.now().astimezone(self.zone)
                if long_move and local.hour == 0:  # a day passed: what it brought, then the next
                    await self.after_action()
                    self.console.print(f"[dim]⏳ {local:%d.%m.%Y}…[/]")
        clock.set(target)
        await self.world.app.reminders.tick(force_plan=True)
        await self.world.keep_clock()
        local = target.astimezone(self.zone)
        self.console.print(f"[dim]⏱ {local:%d.%m.%Y %H:%M}{texts.zone_label(PLAN_ZONE)}[/]")
        await self.after_action()

    # --- output -----------------------------------------------------------------------------
    async def after_action(self) -> None:
        await self.world.settle()
        await self.drain_events()

    async def drain_events(self, quiet: bool = False) -> None:
        """Print what the bot sent to anyone since last time, in the order it was sent."""
        found: list[tuple[int, int, int, Persona, Event]] = []
        for rank, persona in enumerate(PERSONAS):
            events = await self.world.people[persona.key].log(self.cursors.get(persona.key, 0))
            for event in events:
                self.cursors[persona.key] = event.seq
                found.append((event.message.sent, rank, event.seq, persona, event))
        for _, _, _, persona, event in sorted(found, key=lambda f: f[:3]):
            self._remember(persona, event)
            if not quiet:
                self.show(persona, event)

    def _remember(self, persona: Persona, event: Event) -> None:
        message = event.message
        if event.kind in ("new", "edit") and message.rows:
            self.last_buttons[persona.key] = message
        elif event.kind in ("edit", "delete"):
            held = self.last_buttons.get(persona.key)
            if held is not None and held.id == message.id:  # its buttons are gone:
                del self.last_buttons[persona.key]  # a typed button text is text again

    def show(self, persona: Persona, event: Event) -> None:
        kind, message = event.kind, event.message
        if kind == "delete":
            return
        note = " (изменено)" if kind == "edit" else ""
        self.printed.append((persona, message))
        sent = datetime.fromtimestamp(message.sent, self.zone)
        self.console.print(
            f"── [{len(self.printed)}] {self.label(persona)} ← бот · {sent:%d.%m %H:%M}{note}"
        )
        if message.html:
            self.console.print(html_to_rich(message.html))
        for key, name in message.files:
            saved = self.save(self.world.people[persona.key].file_data(key), name)
            self.console.print(f"📎 [underline]{escape(str(saved))}[/]")
        for row in numbered_buttons(message.rows):
            self.console.print(f"   [bold]{escape(row)}[/]")

    def save(self, data: bytes | None, name: str) -> Path:
        target = self.world.files_dir / Path(name).name
        target.parent.mkdir(parents=True, exist_ok=True)
        if data is not None:
            target.write_bytes(data)
        return target


def _existing_files(paths: tuple[str, ...]) -> list[Path]:
    files = [Path(p).expanduser() for p in paths]
    for file in files:
        if not file.is_file():
            raise ValueError(f"нет файла {file}")
    return files


async def script_lines(path: Path) -> AsyncIterator[str]:
    text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    for line in text.splitlines():
        yield line


async def stdin_lines(stream: TextIO) -> AsyncIterator[str]:
    while True:
        line = await asyncio.to_thread(stream.readline)
        if not line:
            return
        yield line.rstrip("\n")


async def prompt_lines(sandbox: Sandbox) -> AsyncIterator[str]:
    """Line editing and history in a real terminal."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.patch_stdout import patch_stdout

    session: PromptSession[str] = PromptSession()
    while True:
        try:
            with patch_stdout():
                line = await session.prompt_async(sandbox.prompt())
        except EOFError:
            return
        except KeyboardInterrupt:
            continue
        yield line


async def run_sandbox(
    plan: Path,
    db_path: Path,
    files_dir: Path,
    start: datetime,
    script: Path | None,
    messenger: str = TELEGRAM,
) -> int:
    """Build the world, chat until the input ends, tear down; the database stays on disk."""
    interactive = script is None and sys.stdin.isatty() and sys.stdout.isatty()
    console = Console(highlight=False, soft_wrap=True, emoji=False)
    world = SandboxWorld(plan, db_path, files_dir, start, messenger)
    try:
        await world.start()
    except PlanRefused as exc:
        await world.stop()
        console.print(f"Файл плана {escape(plan.name)} не импортирован:\n{escape(str(exc))}")
        return 1
    sandbox = Sandbox(world, console)
    try:
        if script is not None:
            await sandbox.run(script_lines(script), echo=True)
        elif interactive:
            await sandbox.run(prompt_lines(sandbox), echo=False)
        else:
            await sandbox.run(stdin_lines(sys.stdin), echo=True)
    finally:
        await world.stop()
    console.print(f"База песочницы: {escape(str(db_path))}")
    console.print(f"Файлы: {escape(str(files_dir))}")
    return 0
