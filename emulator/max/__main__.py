"""`python -m emulator.max --port 8082 --token TOKEN`: the MAX emulator alone, until Ctrl+C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from emulator.max.server import MaxEmulatorServer
from emulator.max.state import MaxEmulator


async def _serve(port: int, token: str, username: str) -> None:
    emu = MaxEmulator()
    emu.add_bot(token, username)
    async with MaxEmulatorServer(emu, port=port) as server:
        print(f"MAX emulator at {server.url} (bot token {token!r}); Ctrl+C stops it", flush=True)
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m emulator.max", description=__doc__)
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--token", default="max-test-token")
    parser.add_argument("--username", default="kurator_test_bot")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port, args.token, args.username))


if __name__ == "__main__":
    main()
