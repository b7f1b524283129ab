"""What the watchdog alerts on: pure rules over heartbeats and outbox facts (no I/O).

Each rule gives FIRING, CLEAR or HOLD (between the two thresholds: keep what is), so a value
near a threshold cannot make an alert flap, and processes reading the same heartbeats agree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class State(StrEnum):
    FIRING = "firing"
    CLEAR = "clear"
    HOLD = "hold"


@dataclass(frozen=True)
class Thresholds:
    outbox: timedelta = timedelta(minutes=10)  # the oldest due reminder waits longer
    tick: timedelta = timedelta(minutes=5)  # no scheduler tick for this long
    api: timedelta = timedelta(minutes=2)  # 429/5xx/network errors for this long
    api_quiet: timedelta = timedelta(minutes=1)  # no such error for this long: over
    heartbeat: timedelta = timedelta(minutes=2)  # a process silent this long


@dataclass
class Episode:
    """Errors of one messenger's API close together: from `first` to `last`."""

    first: datetime
    last: datetime
    count: int = 1


@dataclass
class ProcessRecord:
    """One process as its heartbeat tells (kept in Redis with several processes)."""

    process: str
    version: str
    started_at: datetime
    heartbeat_at: datetime
    scheduler: bool = False
    last_tick_at: datetime | None = None
    tick_lag_seconds: float = 0.0
    episodes: dict[str, Episode] = field(default_factory=dict)  # messenger -> errors

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("started_at", "heartbeat_at", "last_tick_at"):
            value = getattr(self, key)
            data[key] = value.isoformat() if value is not None else None
        data["episodes"] = {
            m: {"first": e.first.isoformat(), "last": e.last.isoformat(), "count": e.count}
            for m, e in self.episodes.items()
        }
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProcessRecord:
        def moment(value: Any) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return cls(
            process=str(data["process"]),
            version=str(data.get("version", "")),
            started_at=datetime.fromisoformat(data["started_at"]),
            heartbeat_at=datetime.fromisoformat(data["heartbeat_at"]),
            scheduler=bool(data.get("scheduler")),
            last_tick_at=moment(data.get("last_tick_at")),
            tick_lag_seconds=float(data.get("tick_lag_seconds") or 0.0),
            episodes={
                m: Episode(
                    datetime.fromisoformat(e["first"]),
                    datetime.fromisoformat(e["last"]),
                    int(e.get("count", 1)),
                )
                for m, e in (data.get("episodes") or {}).items()
            },
        )


@dataclass(frozen=True)
class Verdict:
    """One alert's state now; `subject` names the process or messenger, `minutes` how long."""

    state: State
    subject: str = ""
    minutes: int = 0


def _level(age: timedelta, limit: timedelta) -> State:
    if age > limit:
        return State.FIRING
    return State.CLEAR if age <= limit / 2 else State.HOLD


def evaluate(
    now: datetime,
    me: str,
    peers: list[ProcessRecord],
    oldest_due_age: timedelta | None,
    database_ok: bool,
    limits: Thresholds,
) -> dict[str, Verdict]:
    """Every alert's verdict; an alert missing from the result (a process gone) is clear."""
    verdicts: dict[str, Verdict] = {
        "database": Verdict(State.CLEAR if database_ok else State.FIRING),
    }
    if oldest_due_age is None:  # the database could not be read: nothing known
        verdicts["outbox"] = Verdict(State.HOLD)
    else:
        verdicts["outbox"] = Verdict(
            _level(oldest_due_age, limits.outbox), minutes=_minutes(oldest_due_age)
        )
    live = [p for p in peers if now - p.heartbeat_at <= limits.heartbeat or p.process == me]
    for peer in peers:
        if peer.process != me:
            age = now - peer.heartbeat_at
            verdicts[f"process:{peer.process}"] = Verdict(
                _level(age, limits.heartbeat), peer.process, _minutes(age)
            )
    for peer in peers:
        if peer.scheduler:
            age = now - (peer.last_tick_at or peer.started_at)
            # A silent process: its own alert says it; its scheduler's stays as it was.
            state = _level(age, limits.tick) if peer in live else State.HOLD
            verdicts[f"scheduler:{peer.process}"] = Verdict(state, peer.process, _minutes(age))
    messengers = {m for p in live for m in p.episodes}
    for messenger in sorted(messengers):
        episodes = [p.episodes[messenger] for p in live if messenger in p.episodes]
        recent = [e for e in episodes if now - e.last <= limits.api_quiet]
        if not recent:
            verdicts[f"api:{messenger}"] = Verdict(State.CLEAR, messenger)
            continue
        # Errors seen over at least `api` (by any process), the last of them recent.
        lasting = max(e.last for e in recent) - min(e.first for e in recent)
        state = State.FIRING if lasting >= limits.api else State.HOLD
        verdicts[f"api:{messenger}"] = Verdict(state, messenger, _minutes(lasting))
    return verdicts


def observe_error(
    episodes: dict[str, Episode], messenger: str, now: datetime, quiet: timedelta
) -> None:
    """An API error: it continues the messenger's episode, or begins one after a quiet spell."""
    episode = episodes.get(messenger)
    if episode is None or now - episode.last > quiet:
        episodes[messenger] = Episode(now, now)
    else:
        episode.last = max(episode.last, now)
        episode.count += 1


def _minutes(age: timedelta) -> int:
    return max(int(age.total_seconds() // 60), 0)
