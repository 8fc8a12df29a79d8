"""Where the MAX client connects, from the environment (``MAX_BOT_TOKEN``, ``MAX_API_URL``)
or ``.env``; kept apart from ``bot.config`` until the bot runs on MAX."""

from __future__ import annotations

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.channels.max.api import DEFAULT_BASE_URL


class MaxSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MAX_", env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    bot_token: SecretStr | None = None
    api_url: str = DEFAULT_BASE_URL

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"expected an http(s):// URL, got {value!r}")
        return value.rstrip("/")
