"""Run the fake Bot API server by hand: ``python -m tests.fake_telegram --port 8081``.

Point the bot at it (TELEGRAM_API_URL=http://127.0.0.1:8081) and play a user with curl:

    curl -d user_id=1001 -d text=/start http://127.0.0.1:8081/_fake/message
    curl 'http://127.0.0.1:8081/_fake/sent?chat_id=1001'
    curl -d user_id=1001 -d message_id=2 -d data=... http://127.0.0.1:8081/_fake/callback
    curl 'http://127.0.0.1:8081/_fake/requests?method=sendMessage'
"""

from __future__ import annotations

import argparse
import asyncio

from tests.fake_api import serve as serve_fake
from tests.fake_telegram.server import FakeTelegram


async def serve(host: str, port: int, token: str | None, username: str) -> None:
    fake = FakeTelegram(valid_token=token, bot_username=username)
    await serve_fake(fake, host, port, "Fake Telegram Bot API")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fake_telegram", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", default=None, help="only this token is authorized")
    parser.add_argument("--bot-username", default="roadmap_test_bot")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.host, args.port, args.token, args.bot_username))


if __name__ == "__main__":
    main()
