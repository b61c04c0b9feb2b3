"""The one place fenpei reads its environment: a validated ``Settings``."""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

INSECURE_SECRET = "change-me"


class Mode(StrEnum):
    dev = "dev"
    demo = "demo"
    production = "production"


class Language(StrEnum):
    zh_cn = "zh-CN"
    en = "en"


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
    # Failed logins: this many within the window lock the username (and, separately, the
    # client address) for the lockout; a locked key refuses even the right password.
    login_max_failures: int = Field(default=5, ge=1)
    login_failure_window_minutes: int = Field(default=15, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    # Request bodies above these sizes answer 413 before they are read (http/input_guard.py).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
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

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
