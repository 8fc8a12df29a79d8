"""Run the fake MAX Bot API server by hand or as a benchmark's separate process:
``python -m tests.fake_max --port 8082``.

Point the bot at it (MAX_API_URL=http://127.0.0.1:8082, MAX_TOKEN as --token) and play users
with curl:

    curl -d '{"user_ids": [1001]}' http://127.0.0.1:8082/_fake/start     # -> their dialogs
    curl -d '{"user_id": 1001, "text": "/status"}' http://127.0.0.1:8082/_fake/message
    curl 'http://127.0.0.1:8082/_fake/sent?chat_id=9100000001'
    curl 'http://127.0.0.1:8082/_fake/requests?endpoint=POST%20/messages'
    curl http://127.0.0.1:8082/_fake/violations
"""

from __future__ import annotations

import argparse
import asyncio

from tests.fake_api import serve as serve_fake
from tests.fake_max.server import FakeMax


async def serve(host: str, port: int, token: str, username: str, limits: str) -> None:
    fake = FakeMax(token=token, bot_username=username)
    if limits == "off":
        fake.rate_limit(None, None)
    else:
        fake.rate_limit(enforce=limits == "enforce")
    await serve_fake(fake, host, port, "Fake MAX Bot API")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fake_max", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082, help="0 picks a free port")
    parser.add_argument("--token", default="max-test-token", help="the only token accepted")
    parser.add_argument("--bot-username", default="roadmap_test_bot")
    parser.add_argument(
        "--limits",
        choices=("watch", "enforce", "off"),
        default="watch",
        help="MAX's 30/s and 2/s a chat: recorded (watch), answered with 429 (enforce), or off",
    )
    args = parser.parse_args(argv)
    asyncio.run(serve(args.host, args.port, args.token, args.bot_username, args.limits))


if __name__ == "__main__":
    main()
