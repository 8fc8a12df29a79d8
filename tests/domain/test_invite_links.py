"""Invite links per messenger, and the settings that say which messengers there are."""

from __future__ import annotations

import secrets

import pytest

from bot.config import Settings, SettingsError, load_settings
from bot.domain.channels import MAX, TELEGRAM
from bot.domain.invites import DEEP_LINKS, TOKEN_BYTES, deep_link, invite_link, well_formed


def test_each_messenger_has_its_link() -> None:
    token = "A" * 32
    assert deep_link(TELEGRAM, "roadmap_bot", token) == f"https://t.me/roadmap_bot?start={token}"
    assert deep_link(MAX, "roadmap_bot", token) == f"https://max.ru/roadmap_bot?start={token}"
    assert deep_link(MAX, "@roadmap_bot", token) == f"https://max.ru/roadmap_bot?start={token}"
    assert invite_link("roadmap_bot", token) == deep_link(TELEGRAM, "roadmap_bot", token)


def test_our_tokens_fit_every_messengers_start_parameter() -> None:
    for _ in range(200):
        token = secrets.token_urlsafe(TOKEN_BYTES)
        assert well_formed(token)
        assert len(token) == 32
        for channel in DEEP_LINKS:
            assert deep_link(channel, "b", token).endswith(f"?start={token}")
    assert DEEP_LINKS[TELEGRAM].payload_limit == 64
    assert DEEP_LINKS[MAX].payload_limit == 128  # dev.max.ru/help/deeplinks


@pytest.mark.parametrize(
    ("channel", "token"),
    [(TELEGRAM, "A" * 65), (MAX, "A" * 129), (MAX, "has space"), (TELEGRAM, "a+b"), (MAX, "")],
)
def test_a_payload_no_messenger_would_carry_is_refused(channel: str, token: str) -> None:
    with pytest.raises(ValueError, match="start parameter"):
        deep_link(channel, "b", token)


def test_either_messenger_may_be_configured_without_the_other() -> None:
    assert Settings(_env_file=None).channels == ()
    assert Settings(_env_file=None, bot_token="1:x").channels == (TELEGRAM,)
    assert Settings(_env_file=None, max_token="m").channels == (MAX,)
    assert Settings(_env_file=None, bot_token="1:x", max_token="m").channels == (TELEGRAM, MAX)
    assert Settings(_env_file=None, max_token="  ").channels == ()


def test_max_settings_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MAX_TOKEN", "MAX_API_URL", "MAX_WEBHOOK_URL", "MAX_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.max_api_url == "https://platform-api2.max.ru"
    assert (settings.max_token, settings.max_webhook_url, settings.max_webhook_secret) == (
        None,
        None,
        None,
    )
    monkeypatch.setenv("MAX_WEBHOOK_URL", "https://bot.example.org/max")
    with pytest.raises(SettingsError, match=r"^MAX_WEBHOOK_SECRET: MAX_WEBHOOK_SECRET must be set"):
        load_settings(_env_file=None)
    monkeypatch.setenv("MAX_WEBHOOK_SECRET", "abc")
    with pytest.raises(SettingsError, match=r"^MAX_WEBHOOK_SECRET: use 5-256 characters"):
        load_settings(_env_file=None)
    monkeypatch.setenv("MAX_WEBHOOK_SECRET", "abcde_-12")
    assert load_settings(_env_file=None).max_webhook_url == "https://bot.example.org/max"
    monkeypatch.setenv("MAX_WEBHOOK_URL", "http://bot.example.org/max")
    with pytest.raises(SettingsError, match=r"^MAX_WEBHOOK_URL: MAX only calls https://"):
        load_settings(_env_file=None)
    monkeypatch.setenv("MAX_WEBHOOK_URL", "")
    monkeypatch.setenv("MAX_API_URL", "platform-api2.max.ru")
    with pytest.raises(SettingsError, match=r"^MAX_API_URL: expected an http"):
        load_settings(_env_file=None)
