"""The MTurk-compatible requester API: AWS JSON 1.1 over HTTP with SigV4, answered by core.

aiohttp serves it: the bot's webhook and the sandbox already run on aiohttp, it is async (a
slow database call holds a thread from the pool, not the event loop), and it costs no new
dependency. api/ imports core and never bot/ or jobs/; hitbot/ mounts it."""
