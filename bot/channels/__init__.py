"""The messengers, each behind a transport of its own (``telegram``, ``max``)."""
