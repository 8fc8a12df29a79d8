"""Where the MAX client connects, from the environment or ``.env``: ``MAX_TOKEN``,
``MAX_API_URL`` (the platform's current host by default), ``MAX_WEBHOOK_URL`` and
``MAX_WEBHOOK_SECRET`` (webhook mode; long polling without them). Kept apart from
``bot.config`` until the bot runs on MAX."""

from __future__ import annotations

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.channels.max.api import DEFAULT_BASE_URL


class MaxSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MAX_", env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    token: SecretStr | None = None
    api_url: str = DEFAULT_BASE_URL
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"expected an http(s):// URL, got {value!r}")
        return value.rstrip("/")
