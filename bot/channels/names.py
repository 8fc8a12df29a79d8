"""The bot's own name in each messenger it is configured for, asked of the messenger itself:
Telegram's getMe, MAX's GET /me. Their libraries are imported only when asked (slow imports;
`roadmap-bot status` never needs them)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.config import Settings
from bot.domain.channels import MAX, TELEGRAM
from bot.services.invites import BotNames, ChannelSilent

NAME_TIMEOUT = 20.0  # seconds for one call, as every Bot API call (bot/app.py, API_TIMEOUT)


def bot_names(settings: Settings) -> BotNames:
    """Names for the messengers whose token is set."""
    resolvers: dict[str, Callable[[], Awaitable[str]]] = {}
    if settings.bot_token is not None:

        async def telegram() -> str:
            return await telegram_name(settings)

        resolvers[TELEGRAM] = telegram
    if settings.max_token is not None:

        async def max_() -> str:
            return await max_name(settings)

        resolvers[MAX] = max_
    return BotNames(resolvers)


async def telegram_name(settings: Settings) -> str:
    from aiogram.exceptions import TelegramAPIError, TelegramNetworkError

    from bot.app import build_bot

    bot = build_bot(settings)
    try:
        return (await bot.me()).username or ""
    except (TelegramNetworkError, TelegramAPIError) as error:
        raise ChannelSilent(TELEGRAM, error.message) from error
    finally:
        await bot.session.close()


async def max_name(settings: Settings) -> str:
    from bot.channels.max import MaxApi, MaxProblem

    assert settings.max_token is not None
    try:
        async with MaxApi(
            settings.max_token.get_secret_value(),
            base_url=settings.max_api_url,
            request_timeout=NAME_TIMEOUT,
        ) as api:
            me = await api.me()
    except MaxProblem as error:
        raise ChannelSilent(MAX, error.reason) from error
    return me.username or ""
