"""Tests of the wire clients for messengers other than Telegram."""
