"""MAX's webhook: pushed updates handled before they are acknowledged.

MAX pushes each update to the subscribed URL with ``X-Max-Bot-Api-Secret`` and retries any
answer but 200 (for up to 8 hours, then it drops the subscription). So:

- a push without our secret is refused (401) and nothing is done;
- 200 is answered only once the update was handled **and** the ledger of handled events is
  on disk, so a retry of a handled update (the answer lost on the way) is dropped;
- a transient failure (a locked database, a timeout: the error handler's
  ``TransientFailure``) answers 503 and MAX pushes the update again later; any other failure
  was answered to the person by the error handler and is done (200);
- a body that is not an update MAX could mean, or of a type the bot does not handle, is
  acknowledged (200): pushing it again would not help.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web

from bot.channels.max.front import MaxFrontEnd
from bot.channels.max.updates import parse_update, webhook_secret_ok
from bot.runtime import TransientFailure
from bot.services.updates import UpdateLedger

log = logging.getLogger(__name__)


class MaxWebhook:
    """The aiohttp handler of MAX's pushes; ``register(app, path)`` mounts it."""

    def __init__(self, front: MaxFrontEnd, ledger: UpdateLedger, secret: str) -> None:
        if not secret:
            raise ValueError("a MAX webhook needs a secret")
        self.front = front
        self.ledger = ledger
        self.secret = secret

    def register(self, app: web.Application, path: str) -> None:
        app.router.add_post(path, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        if not webhook_secret_ok(request.headers, self.secret):
            return web.Response(status=401, text="wrong secret")
        try:
            raw = json.loads(await request.read())
        except ValueError:
            log.warning("MAX webhook: a body that is not JSON; acknowledged")
            return web.Response(text="ok")
        update = parse_update(raw)
        if update is None:
            return web.Response(text="ok")
        try:
            await self.front.handle(update, last_attempt=False)
        except TransientFailure as error:
            log.warning("MAX webhook: %s; MAX will push it again", error.__cause__ or error)
            return web.Response(status=503, text="try again")
        except Exception:
            log.exception("MAX webhook: the update failed")  # answered by the error handler
        await self.ledger.flush()
        return web.Response(text="ok")
