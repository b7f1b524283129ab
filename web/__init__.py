"""Web surfaces beside the handlers: the coordinator's dashboard (a Telegram Mini App)."""
