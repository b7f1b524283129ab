"""Runtime settings read from the environment and `.env` (pydantic-settings)."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.clock import Clock, clock_with_offset

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///kurator.sqlite3"


class Settings(BaseSettings):
    """All configuration of one Kurator process."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = Field(default=None)
    bot_username: str | None = Field(default=None)
    database_url: str = Field(default=DEFAULT_DATABASE_URL)
    telegram_api_url: str | None = Field(default=None)
    # MAX (docs/max.md): with MAX_TOKEN the same process serves MAX too (long polling); with
    # only MAX_TOKEN it serves MAX alone. MAX_API_URL: the emulator or another API host.
    max_token: SecretStr | None = Field(default=None)
    max_api_url: str | None = Field(default=None)
    max_bot_username: str | None = Field(default=None)  # its deep links https://max.ru/<name>
    max_polling: bool = Field(default=True)  # several processes: only one polls MAX
    max_webhook_url: str | None = Field(default=None)  # public URL; set: MAX posts updates
    max_webhook_secret: SecretStr | None = Field(default=None)  # default: from the MAX token
    default_timezone: str = Field(default="Europe/Moscow")
    log_level: str = Field(default="INFO")
    polling_timeout: int = Field(default=30, ge=0, le=50)
    scheduler_enabled: bool = Field(default=True)
    request_timeout: float = Field(default=30.0, gt=0)
    reminder_tick_seconds: int = Field(default=60, ge=5, le=3600)
    worker_id: str | None = Field(default=None)
    evidence_dir: str = Field(default="evidence")
    # The evidence archive is sent in parts no larger than this (Telegram: 50 MB per file).
    evidence_part_mb: float = Field(default=49.0, gt=0, le=50)
    evidence_max_files: int = Field(default=20, ge=1, le=100)
    done_flow_minutes: int = Field(default=30, ge=1, le=24 * 60)  # an idle done flow ends
    webhook_url: str | None = Field(default=None)  # public URL; set: webhook mode
    webhook_secret: SecretStr | None = Field(default=None)  # default: derived from the token
    webhook_host: str = Field(default="127.0.0.1")  # behind a reverse proxy on the same host
    webhook_port: int = Field(default=8080, ge=0, le=65535)
    # The dashboard (Mini App): its public https address; the bot's web server (WEBHOOK_HOST,
    # WEBHOOK_PORT) serves it at the same path, in polling mode too. Unset: no dashboard.
    webapp_url: str | None = Field(default=None)
    # How old the signed initData a page was opened with may be when the page exchanges it for
    # a session (web/auth.py; the session then lasts an hour idle, twelve at most).
    webapp_auth_max_age_seconds: int = Field(default=3600, ge=60)
    # A .docx whose styles, page setup and text the DOCX report starts from (docs/status.md);
    # unset: the one in reports/templates/.
    report_template: str | None = Field(default=None)
    redis_url: str | None = Field(default=None)  # set: FSM state in Redis, shared by processes
    fsm_ttl_seconds: int = Field(default=14 * 24 * 3600, ge=60)  # an idle conversation expires
    # Telegram messages/s of the bot in all; with REDIS_URL every process shares it (no dividing).
    send_rate: float = Field(default=30.0, gt=0)
    # MAX requests/s of the bot in all (every request counts: sends, edits, answers, polling).
    max_request_rate: float = Field(default=30.0, gt=0)
    outbox_claim_seconds: int = Field(default=300, ge=5)  # a dead worker's claim expires after
    # Chats one process sends to at once, per messenger (PostgreSQL; on SQLite one at a time).
    send_concurrency: int = Field(default=8, ge=1, le=64)
    # Tests and the sandbox only: the processes they start read the moment the test chose.
    clock_offset_seconds: float = Field(default=0.0)
    # Work a person waits for (a report) shows "Готовлю… N%" once it lasts longer than this.
    progress_after_seconds: float = Field(default=2.0, ge=0)
    # A button press not answered by its handler within this many seconds is answered empty
    # at once (Telegram drops answers after ~15 s; the spinner should stop far sooner).
    callback_answer_seconds: float = Field(default=1.0, gt=0, le=10)
    evidence_types: str = Field(
        default="pdf,doc,docx,odt,rtf,txt,xls,xlsx,ods,csv,ppt,pptx,odp,jpg,jpeg,png,heic,webp,mp4,mov"
    )
    # Operations (ops/, docs/operations.md): metrics, JSON logs, the watchdog's alerts.
    metrics_enabled: bool = Field(default=False)  # /metrics for Prometheus, on its own port
    metrics_host: str = Field(default="127.0.0.1")  # another address needs METRICS_TOKEN
    metrics_port: int = Field(default=9464, ge=0, le=65535)  # 0: any free port (tests)
    metrics_token: SecretStr | None = Field(default=None)  # set: Authorization: Bearer TOKEN
    log_format: str = Field(default="text", pattern="^(text|json)$")
    watchdog_enabled: bool = Field(default=True)
    watchdog_seconds: float = Field(default=15.0, gt=0)  # how often the watchdog looks
    alert_outbox_seconds: int = Field(default=600, ge=1)  # the oldest due reminder waits longer
    alert_tick_seconds: int = Field(default=300, ge=1)  # no scheduler tick for this long
    alert_api_seconds: int = Field(default=120, ge=1)  # 429/5xx for this long
    alert_api_quiet_seconds: int = Field(default=60, ge=1)  # no error for this long: over
    alert_heartbeat_seconds: int = Field(default=120, ge=1)  # a process silent this long
    alert_messages_per_hour: int = Field(default=12, ge=1)  # the watchdog's own rate bound

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from exc
        return value

    @field_validator("bot_token", "max_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("webapp_url", mode="before")
    @classmethod
    def _https_webapp(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, str) and not value.startswith("https://"):
            # Telegram opens Mini Apps over https only (a web_app button with http is refused).
            raise ValueError("WEBAPP_URL must start with https:// (Telegram opens only https)")
        return value

    @field_validator("max_webhook_secret", mode="before")
    @classmethod
    def _max_secret_allowed(cls, value: object) -> object:
        if isinstance(value, str) and not re.fullmatch(r"[A-Za-z0-9_-]{5,256}", value):
            # MAX refuses the subscription otherwise; better said at start-up.
            raise ValueError("MAX_WEBHOOK_SECRET: 5 to 256 of A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _metrics_guarded(self) -> Settings:
        loopback = self.metrics_host in ("127.0.0.1", "::1", "localhost")
        if self.metrics_enabled and not loopback and self.metrics_token is None:
            raise ValueError("METRICS_HOST other than localhost needs METRICS_TOKEN")
        return self

    @field_validator("log_level")
    @classmethod
    def _upper_level(cls, value: str) -> str:
        return value.upper()

    def clock(self) -> Clock:
        """The clock this process reads: the system clock unless a test shifted it."""
        return clock_with_offset(self.clock_offset_seconds)

    def webhook_path(self) -> str:
        """The local path the webhook listens on: the path part of WEBHOOK_URL."""
        from urllib.parse import urlparse

        return urlparse(self.webhook_url or "").path or "/telegram"

    def max_webhook_path(self) -> str:
        """The local path MAX's posts arrive at: the path part of MAX_WEBHOOK_URL."""
        from urllib.parse import urlparse

        return urlparse(self.max_webhook_url or "").path or "/max"

    def max_webhook_secret_token(self) -> str:
        """The secret MAX echoes in X-Max-Bot-Api-Secret (stable across processes; MAX allows
        letters, digits, "_" and "-", 5 to 256 of them)."""
        if self.max_webhook_secret is not None:
            return self.max_webhook_secret.get_secret_value()
        import hashlib

        token = self.max_token.get_secret_value() if self.max_token else ""
        return hashlib.sha256(f"kurator-max-webhook:{token}".encode()).hexdigest()

    def webapp_path(self) -> str:
        """The local path the dashboard is served at: the path of WEBAPP_URL, ending in /."""
        from urllib.parse import urlparse

        path = urlparse(self.webapp_url or "").path or "/app/"
        return path if path.endswith("/") else path + "/"

    def webhook_secret_token(self) -> str:
        """The secret Telegram sends with every update (stable across processes)."""
        if self.webhook_secret is not None:
            return self.webhook_secret.get_secret_value()
        import hashlib

        token = self.bot_token.get_secret_value() if self.bot_token else ""
        return hashlib.sha256(f"kurator-webhook:{token}".encode()).hexdigest()
