"""Telegram, through aiogram: the outgoing message as aiogram's types, the transport the sender
sends through, and the reply middleware that retries, paces and holds replies.

Nothing is imported here: aiogram takes seconds to import, and `roadmap-bot import` and
`status` never need it."""
