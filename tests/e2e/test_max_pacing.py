"""MAX's client paces every request against the emulator's limits: messages two a second in a
chat, every request (messages, reads) in the bot's budget; a 429 holds the chat back for
retry_after. Time is the test's: the emulator and the pacer read one injected clock."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.pacing import MAX_PACE, RequestPacer
from emulator.max import MaxEmulator, MaxEmulatorServer, MaxRateLimits
from messengers.max.client import MaxClient, MaxRateLimited
from tests.max_harness import MAX_TOKEN, fixed_clock


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def test_every_request_and_each_chat_stay_within_maxs_limits() -> None:
    time = FakeTime()
    limits = MaxRateLimits(requests_per_second=10.0, requests_burst=3)
    emu = MaxEmulator(limits, clock=fixed_clock(), monotonic=time)
    bot = emu.add_bot(MAX_TOKEN)
    chats = [emu.dialog(bot, emu.add_user(f"Куратор {n}")).chat_id for n in range(2)]
    pacer = RequestPacer(
        replace(MAX_PACE, global_per_second=10.0, global_burst=3),
        every_request=True,
        monotonic=time,
        sleep=time.sleep,
    )
    async with MaxEmulatorServer(emu) as server:
        client = MaxClient(MAX_TOKEN, api=server.url, pacer=pacer)
        try:
            for n in range(6):
                await client.send(chats[0], {"text": f"{n}"})
                await client.send(chats[1], {"text": f"{n}"})
                await client.call("GET", "/me")
            assert emu.stats.rate_limited == 0
            # 18 requests at 10/s after a burst of 3 and 6 messages a chat at 2/s after 2.
            # Each chat's six messages: two at once, then one every 0.51 s (2/s with the margin);
            # the eighteen requests alone would need 1.5 s at 10/s after a burst of three.
            assert 2.0 <= time.now <= 2.1

            emu.set_limits(replace(limits, chat_messages_per_second=0.5, chat_burst=1))
            await client.send(chats[0], {"text": "первое"})
            with pytest.raises(MaxRateLimited) as refused:
                await client.send(chats[0], {"text": "второе"})
            blocked_at = time.now
            await client.send(chats[0], {"text": "второе"})  # waits out retry_after first
        finally:
            await client.close()
    assert time.now - blocked_at >= refused.value.retry_after
    assert emu.stats.rate_limited == 1 and emu.stats.early_retries == 0
