"""Web tasks: HTMLQuestion and ExternalQuestion HITs done on a task page (a Telegram Mini App)."""
