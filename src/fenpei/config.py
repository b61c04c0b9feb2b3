"""The one place fenpei reads its environment: a validated ``Settings``."""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

INSECURE_SECRET = "change-me"


class Mode(StrEnum):
    dev = "dev"
    demo = "demo"
    production = "production"


class Language(StrEnum):
    zh_cn = "zh-CN"
    en = "en"


class StorageKind(StrEnum):
    local = "local"
    s3 = "s3"


class SmtpSecurity(StrEnum):
    none = "none"
    starttls = "starttls"
    ssl = "ssl"


class RobotKind(StrEnum):
    wecom = "wecom"
    dingtalk = "dingtalk"
    feishu = "feishu"
    sms = "sms"


class RobotConfig(BaseModel):
    """One IM robot (a group chat's webhook) or SMS gateway that gets every event, or the
    event types listed in ``events``. ``secret`` signs DingTalk and Feishu requests (and is
    sent to SMS gateways as a bearer token); ``to`` lists SMS phone numbers."""

    name: str = Field(min_length=1, max_length=100)
    kind: RobotKind
    url: str = Field(min_length=1)
    secret: str = ""
    events: list[str] | None = None
    to: list[str] = Field(default_factory=list)


class SyncKind(StrEnum):
    zoho = "zoho"  # Zoho CRM's v8 records API (adapters/crm/zoho.py)
    bridge = "bridge"  # no adapter: records in by signed webhook, assignments out as CSV


class SyncConnection(BaseModel):
    """One CRM to keep in sync (``FENPEI_SYNC_CONNECTIONS``, a JSON list). Credentials live
    here (the environment), never in the database or the logs. ``field_map``: CRM field
    name -> fenpei field (``custom.<key>`` for a custom attribute); unset, the adapter's
    default. ``user_map``: CRM user id or email -> rep name, for owners whose email is not
    a rep's."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: SyncKind
    module: str = Field(default="Leads", min_length=1, max_length=64)
    accounts_url: str = "https://accounts.zoho.com"
    api_url: str = "https://www.zohoapis.com"
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    refresh_token: SecretStr = SecretStr("")
    field_map: dict[str, str] | None = None
    user_map: dict[str, str] = Field(default_factory=dict)
    pull: bool = True
    push: bool = True
    timeout_seconds: float = Field(default=30.0, gt=0)


class Settings(BaseSettings):
    """Everything fenpei can be told from outside, read from ``FENPEI_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="FENPEI_", env_file=None, extra="ignore")

    mode: Mode = Mode.dev
    database_url: str = Field(
        default="sqlite:///fenpei.db",
        description="SQLAlchemy URL; SQLite file in the working directory by default.",
    )
    secret_key: str = INSECURE_SECRET
    time_zone: str = "Asia/Shanghai"
    language: Language = Language.zh_cn
    sql_echo: bool = False
    # Database connections per process (PostgreSQL): kept open, opened beyond that when
    # busy, and how long a request waits for one before it is answered 503 "busy".
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=20, ge=0)
    db_pool_timeout_seconds: float = Field(default=30.0, gt=0)
    # Requests one process works on at once (threads); more wait their turn in order.
    http_threads: int = Field(default=16, ge=1)
    # Failed logins: this many within the window lock the username (and, separately, the
    # client address) for the lockout; a locked key refuses even the right password.
    login_max_failures: int = Field(default=5, ge=1)
    login_failure_window_minutes: int = Field(default=15, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    # Request bodies above these sizes answer 413 before they are read (http/input_guard.py).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    # Where links in emails and IM messages point: the address users open fenpei at.
    base_url: str = "http://127.0.0.1:8000"
    # Email (SMTP): off while smtp_host is empty. security: none, starttls or ssl.
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_security: SmtpSecurity = SmtpSecurity.none
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = "fenpei@localhost"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    # IM robots and SMS gateways, a JSON list: [{"name": "east-sales", "kind": "wecom" |
    # "dingtalk" | "feishu" | "sms", "url": "...", "secret": "...", "events": [...]}].
    robots: list[RobotConfig] = Field(default_factory=list)
    # The worker (dispatcher and scheduled jobs) inside `fenpei serve`: on by default on
    # SQLite, so the demo needs one command; run `fenpei worker` beside PostgreSQL instead.
    worker_in_process: bool | None = None
    worker_poll_seconds: float = Field(default=2.0, gt=0)
    # CRM sync connections, a JSON list of SyncConnection: [{"name": "zoho", "kind": "zoho",
    # "client_id": "...", "client_secret": "...", "refresh_token": "..."}].
    sync_connections: list[SyncConnection] = Field(default_factory=list)
    # Attachments (资料): where files are kept — a folder (local) or S3-compatible object
    # storage (s3, needs the fenpei[s3] extra) — and the largest file one may upload.
    files_dir: Path = Path("fenpei-files")
    storage: StorageKind = StorageKind.local
    s3_endpoint_url: str = ""  # empty: AWS itself; else MinIO, Ceph, OSS, COS …
    s3_bucket: str = ""
    s3_region: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_prefix: str = ""
    attachment_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    # Exports (services/exports): whether reps may export their own customers until an
    # admin chooses on the exports page (the saved choice wins); admins, managers and
    # auditors always may (each export is audited).
    export_by_reps: bool = False
    # Backups (`fenpei backup`, the scheduled "backup" job, /admin/backups): archives in
    # backup_dir, one every backup_every_hours (0: none scheduled); retention keeps the
    # newest backup_keep_daily daily and backup_keep_weekly weekly ones (manual ones stay).
    backup_dir: Path = Path("fenpei-backups")
    backup_every_hours: int = Field(default=24, ge=0, le=24 * 7)
    backup_keep_daily: int = Field(default=7, ge=0)
    backup_keep_weekly: int = Field(default=4, ge=0)
    # A restore refuses archives that unpack to more than this (a decompression bomb).
    backup_max_restore_bytes: int = Field(default=64 * 1024**3, ge=1024)

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("sync_connections")
    @classmethod
    def _unique_sync_names(cls, value: list[SyncConnection]) -> list[SyncConnection]:
        names = [c.name for c in value]
        if twice := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"sync connection names must differ: {', '.join(twice)} twice")
        return value

    @model_validator(mode="after")
    def _refuse_insecure_secret(self) -> Settings:
        secure_enough = self.secret_key != INSECURE_SECRET and len(self.secret_key) >= 32
        if self.mode not in (Mode.dev, Mode.demo) and not secure_enough:
            raise ValueError(
                "FENPEI_SECRET_KEY must be set to a random value of 32+ characters "
                f"when FENPEI_MODE={self.mode.value} (only dev and demo accept the default)"
            )
        return self

    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> Settings:
        if self.storage is StorageKind.s3 and not self.s3_bucket:
            raise ValueError("FENPEI_S3_BUCKET must be set when FENPEI_STORAGE=s3")
        if self.attachment_max_bytes > self.max_upload_bytes:
            raise ValueError(
                "FENPEI_ATTACHMENT_MAX_BYTES must not exceed FENPEI_MAX_UPLOAD_BYTES "
                "(larger request bodies are refused before they are read)"
            )
        return self

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def runs_worker_in_process(self) -> bool:
        return self.is_sqlite if self.worker_in_process is None else self.worker_in_process
