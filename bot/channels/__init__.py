"""Messengers other than Telegram, each behind a wire client of its own (``max``)."""
