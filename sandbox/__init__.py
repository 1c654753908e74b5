"""A local stand-in for the Telegram Bot API (aiohttp), with a test-client API and a web chat.
Knows nothing of hitbot: the bot talks to it over HTTP exactly as it would to Telegram."""
