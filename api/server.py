"""Serving the API: in this thread until a stop event (the `hitbot api` role), or from a
thread of its own beside other roles (`hitbot run`, tests)."""
from __future__ import annotations

import asyncio
import logging
import threading

from aiohttp import web

from api.app import create_app

log = logging.getLogger(__name__)


async def serve(host: str, port: int, stop_event: threading.Event, *, ready: threading.Event | None = None,
                app_factory=create_app, name: str = "MTurk API", **app_kwargs) -> None:
    """Answer on host:port until stop_event is set (the API, or another app_factory's pages)."""
    runner = web.AppRunner(app_factory(**app_kwargs), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    log.info("%s listening", name, extra={"host": host, "port": port})
    if ready is not None:
        ready.set()
    try:
        while not stop_event.is_set():
            await asyncio.sleep(0.2)
    finally:
        await runner.cleanup()
        log.info("%s stopped", name)


class ApiServer:
    """The API on host:port from its own thread and event loop; `.url` is the endpoint_url."""

    name = "MTurk API"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **app_kwargs) -> None:
        self.host, self.port = host, port
        self.app_kwargs = app_kwargs
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/mturk"

    def start(self) -> "ApiServer":
        self._thread = threading.Thread(target=self._run, name="mturk-api", daemon=True)
        self._thread.start()
        self._ready.wait(15)
        if self._error is not None:
            raise self._error
        if not self._ready.is_set():
            raise RuntimeError("the MTurk API did not start within 15 s")
        return self

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._start())
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._runner.cleanup())
        loop.close()

    def _make_app(self) -> web.Application:
        return create_app(**self.app_kwargs)

    async def _start(self) -> None:
        self._runner = web.AppRunner(self._make_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        log.info("%s listening", self.name, extra={"host": self.host, "port": self.port})

    def stop(self) -> None:
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(15)

    def __enter__(self) -> "ApiServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
