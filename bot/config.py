"""Settings from the environment and a `.env` file, each explained in config.example.env."""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain.channels import MAX, TELEGRAM, channel_user

Language = Literal["ru", "en"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
# MAX's API host now (bot/channels/max/api.py, DEFAULT_BASE_URL: the same, kept there so that
# reading the settings does not import the MAX client).
MAX_API_URL = "https://platform-api2.max.ru"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    bot_token: SecretStr | None = None
    database_url: str = "sqlite:///data/roadmap.db"
    database_lock_wait: float = Field(default=10, ge=0, le=600)
    timezone: str = "Europe/Moscow"
    # (channel, user id there): `123` is a Telegram user, `max:456` a MAX one.
    admin_ids: Annotated[tuple[tuple[str, str], ...], NoDecode] = ()
    telegram_api_url: str = "https://api.telegram.org"
    language: Language = "ru"
    log_level: LogLevel = "INFO"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0:8080"
    invite_ttl_days: int = Field(default=14, ge=1, le=365)
    reminder_hour: int = Field(default=10, ge=0, le=23)
    summary_weekday: int = Field(default=0, ge=0, le=6)  # 0 Monday … 6 Sunday
    summary_hour: int = Field(default=9, ge=0, le=23)
    quiet_hours: str = "21-8"
    work_calendar: Literal["ru", "none"] = "ru"
    holidays: Annotated[tuple[date, ...], NoDecode] = ()
    workdays: Annotated[tuple[date, ...], NoDecode] = ()
    send_per_second: float = Field(default=25, gt=0, le=1000)
    send_per_chat_per_second: float = Field(default=1, gt=0, le=30)
    send_per_group_per_minute: float = Field(default=20, gt=0, le=60)
    # Seconds between a standing-by process's tries for the lead (bot/leadership.py): how soon
    # another process plans and sends after the leader died.
    leader_retry: float = Field(default=2, gt=0, le=60)
    # MAX (max.ru): the bot speaks there too when MAX_TOKEN is set.
    max_token: SecretStr | None = None
    max_api_url: str = MAX_API_URL
    max_webhook_url: str | None = None
    max_webhook_secret: SecretStr | None = None

    @field_validator("bot_token", "max_token", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_url", "max_webhook_url", mode="before")
    @classmethod
    def _blank_url_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_url")
    @classmethod
    def _https_webhook(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError(f"Telegram only calls https:// webhooks, got {value!r}")
        return value

    @field_validator("max_webhook_url")
    @classmethod
    def _https_max_webhook(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError(f"MAX only calls https:// webhooks, got {value!r}")
        return value

    @field_validator("max_webhook_secret", mode="before")
    @classmethod
    def _max_secret_alphabet(cls, value: object) -> object:
        if isinstance(value, str):
            if not value.strip():
                return None
            if not re.fullmatch(r"[A-Za-z0-9_-]{5,256}", value):
                raise ValueError("use 5-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _secret_alphabet(cls, value: object) -> object:
        if isinstance(value, str):
            if not value.strip():
                return None
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value):
                raise ValueError("use 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("webhook_listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"expected HOST:PORT such as 0.0.0.0:8080, got {value!r}")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET must be set when WEBHOOK_URL is")
        if self.max_webhook_url and self.max_webhook_secret is None:
            raise ValueError("MAX_WEBHOOK_SECRET must be set when MAX_WEBHOOK_URL is")
        return self

    @property
    def channels(self) -> tuple[str, ...]:
        """The messengers the bot speaks in: those whose token is set, Telegram first."""
        tokens = ((TELEGRAM, self.bot_token), (MAX, self.max_token))
        return tuple(channel for channel, token in tokens if token is not None)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/Moscow)"
            ) from None
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        start, _, end = value.partition("-")
        if not (start.strip().isdigit() and end.strip().isdigit()):
            raise ValueError(f"expected START-END hours such as 21-8, got {value!r}")
        if not (0 <= int(start) <= 23 and 0 <= int(end) <= 23):
            raise ValueError(f"hours are 0 to 23, got {value!r}")
        return f"{int(start)}-{int(end)}"

    @field_validator("holidays", "workdays", mode="before")
    @classmethod
    def _holiday_list(cls, value: object) -> object:
        if isinstance(value, str):
            days = []
            for part in value.replace(";", ",").split(","):
                if part.strip():
                    try:
                        days.append(date.fromisoformat(part.strip()))
                    except ValueError:
                        raise ValueError(
                            f"expected YYYY-MM-DD dates, got {part.strip()!r}"
                        ) from None
            return tuple(days)
        return value

    @property
    def quiet(self) -> tuple[int, int]:
        start, _, end = self.quiet_hours.partition("-")
        return int(start), int(end)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts: list[object] = list(value.replace(";", ",").split(","))
        elif isinstance(value, list | tuple | set | frozenset):
            parts = list(value)
        else:
            return value
        try:
            return tuple(channel_user(part) for part in parts if str(part).strip())
        except ValueError:
            raise ValueError(
                "expected comma-separated user ids: Telegram's as they are (123456789), "
                f"MAX's as max:123456789; got {value!r}"
            ) from None

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError(f"expected a sqlite:/// or postgresql:// URL, got {value!r}")
        return value

    @field_validator("telegram_api_url", "max_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"expected an http(s):// URL, got {value!r}")
        return value.rstrip("/")

    @field_validator("language", "log_level", "work_calendar", mode="before")
    @classmethod
    def _case_insensitive(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("language", "work_calendar", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]


class SettingsError(Exception):
    """A setting with a bad value; `str()` is one line naming the variable."""


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into one line a person can act on."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        # A rule between settings has no place: its message begins with the one to set.
        variable = str(first["loc"][0]).upper() if first["loc"] else message.split()[0]
        raise SettingsError(f"{variable}: {message}") from None
