"""Where processes meet: heartbeats and which alerts are raised (Redis, or this process alone).

Raising an alert is claiming its name (HSETNX) and clearing it is deleting the name (HDEL),
so of several processes that see the same thing exactly one tells the admins, once.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol

from ops.alerts import ProcessRecord

KEY = "kurator:ops"
RECORD_TTL_SECONDS = 24 * 3600  # a process gone for a day is forgotten


class Board(Protocol):
    async def publish(self, record: ProcessRecord) -> None: ...
    async def peers(self) -> list[ProcessRecord]: ...
    async def claim(self, name: str, since: datetime) -> bool: ...
    async def release(self, name: str) -> bool: ...
    async def raised(self) -> dict[str, datetime]: ...
    async def leave(self, process: str) -> None: ...
    async def reachable(self) -> bool | None: ...
    async def close(self) -> None: ...


class LocalBoard:
    """One process: everything in memory."""

    def __init__(self) -> None:
        self.records: dict[str, ProcessRecord] = {}
        self.alerts: dict[str, datetime] = {}

    async def publish(self, record: ProcessRecord) -> None:
        self.records[record.process] = record

    async def peers(self) -> list[ProcessRecord]:
        return list(self.records.values())

    async def claim(self, name: str, since: datetime) -> bool:
        if name in self.alerts:
            return False
        self.alerts[name] = since
        return True

    async def release(self, name: str) -> bool:
        return self.alerts.pop(name, None) is not None

    async def raised(self) -> dict[str, datetime]:
        return dict(self.alerts)

    async def leave(self, process: str) -> None:
        self.records.pop(process, None)

    async def reachable(self) -> bool | None:
        return None  # no Redis configured

    async def close(self) -> None:
        return None


class RedisBoard:
    """Several processes of one bot on one Redis (REDIS_URL)."""

    def __init__(self, url: str, namespace: str = KEY) -> None:
        from redis.asyncio import Redis

        self.redis: Any = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.peers_key = f"{namespace}:processes"
        self.alerts_key = f"{namespace}:alerts"

    async def publish(self, record: ProcessRecord) -> None:
        await self.redis.hset(self.peers_key, record.process, json.dumps(record.to_json()))
        await self.redis.expire(self.peers_key, RECORD_TTL_SECONDS)

    async def peers(self) -> list[ProcessRecord]:
        raw = await self.redis.hgetall(self.peers_key)
        return [ProcessRecord.from_json(json.loads(value)) for value in raw.values()]

    async def claim(self, name: str, since: datetime) -> bool:
        return bool(await self.redis.hsetnx(self.alerts_key, name, since.isoformat()))

    async def release(self, name: str) -> bool:
        return bool(await self.redis.hdel(self.alerts_key, name))

    async def raised(self) -> dict[str, datetime]:
        raw = await self.redis.hgetall(self.alerts_key)
        return {k.decode(): datetime.fromisoformat(v.decode()) for k, v in raw.items()}

    async def leave(self, process: str) -> None:
        await self.redis.hdel(self.peers_key, process)

    async def reachable(self) -> bool | None:
        try:
            return bool(await self.redis.ping())
        except Exception:  # any failure means unreachable; the watchdog logs its own
            return False

    async def close(self) -> None:
        await self.redis.aclose()
