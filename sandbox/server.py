"""The emulator's aiohttp application, and a runner that serves it from a background
thread (for `hitbot sandbox` and end-to-end tests). Given a state directory, the emulator's
people, chats and files outlive it (sandbox.store); otherwise they live in memory."""
from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from aiohttp import web

from sandbox import botapi, client
from sandbox.keys import PAY_WAIT_S, PRESS_WAIT_S, WORLD
from sandbox.state import FloodControl, World
from sandbox.store import ChatStore
from sandbox.webhook import WebhookSender

STATIC = Path(__file__).parent / "static"
# Another application served beside the emulator, under its own path prefix (e.g. "/mturk"):
# made by a function called in the emulator's event loop. The emulator knows nothing of it.
AppFactory = Callable[[], web.Application]
SHUTDOWN_TIMEOUT_S = 1.0  # a request still running this long after stop() is cancelled

log = logging.getLogger(__name__)


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


def create_app(*, flood_control: bool = True, world: World | None = None, press_wait_s: float = client.DEFAULT_PRESS_WAIT_S,
               pay_wait_s: float = client.DEFAULT_PAY_WAIT_S, state_dir: Path | str | None = None,
               mounts: Mapping[str, AppFactory] | None = None) -> web.Application:
    """The whole emulator: Bot API, test-client API, files and the web chat. With `state_dir`,
    what the world held when it last stopped is loaded, and every change is saved there.
    `mounts` adds other applications as sub-applications under their prefixes."""
    app = web.Application(middlewares=[client.client_errors], client_max_size=client.MAX_UPLOAD_BYTES + 1024 * 1024)
    world = app[WORLD] = world or World(FloodControl(enabled=flood_control))
    if state_dir is not None:
        ChatStore(state_dir).load_into(world)
    sender = world.webhook_sender = WebhookSender(world)

    async def _answer_waiters(_app: web.Application) -> None:  # before open requests are waited for
        world.close()

    async def _close(_app: web.Application) -> None:
        await sender.close()
        if world.store is not None:
            world.store.close()

    app.on_shutdown.append(_answer_waiters)
    app.on_cleanup.append(_close)
    app[PRESS_WAIT_S] = press_wait_s
    app[PAY_WAIT_S] = pay_wait_s
    app.router.add_route("*", "/bot{token}/{method}", botapi.handle_method)
    app.router.add_get("/file/bot{token}/{path:.+}", botapi.handle_file)
    client.add_routes(app)
    app.router.add_get("/", _index)
    app.router.add_static("/static/", STATIC)
    for prefix, factory in (mounts or {}).items():
        app.add_subapp(prefix, factory())
    return app


class SandboxServer:
    """Serves the emulator on host:port from its own thread and event loop."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, flood_control: bool = True,
                 press_wait_s: float = client.DEFAULT_PRESS_WAIT_S, state_dir: Path | str | None = None,
                 mounts: Mapping[str, AppFactory] | None = None) -> None:
        self.host = host
        self.mounts = dict(mounts or {})
        self.port = port
        self.flood_control = flood_control
        self.press_wait_s = press_wait_s
        self.state_dir = state_dir
        self.app: web.Application | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def world(self) -> World:
        assert self.app is not None
        return self.app[WORLD]

    def start(self) -> "SandboxServer":
        self._thread = threading.Thread(target=self._run, name="sandbox-emulator", daemon=True)
        self._thread.start()
        self._ready.wait(15)
        if self._error is not None:
            raise self._error
        if not self._ready.is_set():
            raise RuntimeError("the sandbox emulator did not start within 15 s")
        return self

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to start(), which re-raises it
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        if self._runner.server is not None:  # stopped without stop(), e.g. by a test's own loop.stop
            loop.run_until_complete(self._runner.cleanup())
        loop.close()

    async def _serve(self) -> None:
        self.app = create_app(flood_control=self.flood_control, press_wait_s=self.press_wait_s,
                              state_dir=self.state_dir, mounts=self.mounts)
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # the real port when 0 was asked for

    def release_pollers(self) -> None:
        """Let a stopping bot's long poll return now instead of after its timeout."""
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self.world.release_pollers)

    def stop(self) -> None:
        """Answer every open long poll and waiting press, close the connections (cancelling any
        request still running after SHUTDOWN_TIMEOUT_S), save and close the store; then the
        thread ends. Quick: nothing waits for a long poll's own timeout."""
        loop = self._loop
        if loop is not None and loop.is_running() and self._runner is not None:
            done = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop)
            try:
                done.result(SHUTDOWN_TIMEOUT_S + 5)
            except Exception as exc:  # stopping anyway; say why it was not clean
                log.warning("sandbox emulator: unclean stop (%s)", exc or type(exc).__name__)
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
