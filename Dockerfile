# roadmap-bot in a container: `docker build -t roadmap-bot .`
#   docker run --rm -v roadmap-data:/app/data --env-file .env roadmap-bot            # the bot
#   docker run --rm -v roadmap-data:/app/data --env-file .env roadmap-bot status     # any command
# With no DATABASE_URL the data is SQLite in /app/data (a volume: keep it). compose.yaml runs
# it at scale: PostgreSQL, two bot processes on webhooks and a proxy in front.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLCONFIGDIR=/tmp/matplotlib

WORKDIR /app

# Every dependency comes as a wheel (no compiler needed). psycopg is PostgreSQL's driver
# (DATABASE_URL=postgresql://…); SQLite needs nothing more.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY schedules ./schedules
RUN pip install . "psycopg[binary]>=3.2,<4"
COPY examples ./examples

# Not root: the bot needs nothing of the system but its data folder.
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home roadmap \
    && mkdir -p /app/data \
    && chown roadmap:roadmap /app/data
USER roadmap
VOLUME ["/app/data"]

# The webhook listener (WEBHOOK_LISTEN, 0.0.0.0:8080 by default); long polling listens nowhere.
EXPOSE 8080
# SIGTERM: the updates in hand are finished, the rest handled after the next start.
STOPSIGNAL SIGTERM
ENTRYPOINT ["roadmap-bot"]
CMD ["run"]
