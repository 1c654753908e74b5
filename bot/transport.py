"""The bot's HTTP transport to the Bot API: aiohttp behind PTB's documented BaseRequest.

PTB's default (httpx over httpcore) walks its whole connection pool on every request and every
response, twice over (httpcore 1.0's _assign_requests_to_connections is O(connections²)): with
50 presses at once, 300 of the bot loop's 1,950 ms went there and a callback answer waited up to
a second before it left (bench/load_bench.py; BENCHMARKS.md). aiohttp's connector hands out a
kept-alive connection in constant time. Requests are encoded as PTB's own transport encodes
them: a form of JSON-encoded values, multipart when files go along."""
from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

POOL_SIZE = 256  # PTB's default for bot requests
USER_AGENT = BaseRequest.USER_AGENT


class AiohttpRequest(BaseRequest):
    """One aiohttp session (created in the bot's event loop at initialize). Timeouts as PTB's
    HTTPXRequest: read, write (longer when files go along), connect, and pool (waiting for a free
    connection)."""

    __slots__ = ("_session", "_pool_size", "_read", "_write", "_connect", "_pool", "_media_write")

    def __init__(self, connection_pool_size: int = POOL_SIZE, *, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._pool_size = connection_pool_size
        self._read, self._write, self._connect = read_timeout, write_timeout, connect_timeout
        self._pool, self._media_write = pool_timeout, media_write_timeout

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # trust_env: HTTPS_PROXY and friends are honoured, as PTB's default transport does
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._pool_size),
                                                  trust_env=True, headers={"User-Agent": USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE, write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data is not None else None
        data: Any = request_data.json_parameters if request_data is not None else None
        if files:
            form = aiohttp.FormData(data or {})
            for name, (filename, content, mime) in files.items():
                form.add_field(name, content, filename=filename, content_type=mime)
            data = form
        read = _given(read_timeout, self._read)
        write = _given(write_timeout, self._media_write if files else self._write)
        connect = _given(connect_timeout, self._connect)
        pool = _given(pool_timeout, self._pool)
        # aiohttp has no write timeout of its own: the whole request is bounded by all four together
        total = None if None in (read, write, connect, pool) else read + write + connect + pool
        timeout = aiohttp.ClientTimeout(total=total, connect=None if None in (connect, pool) else connect + pool,
                                        sock_connect=connect, sock_read=read)
        try:
            async with self._session.request(method, url, data=data or None, timeout=timeout) as res:
                return res.status, await res.read()
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err


def _given(value: Any, default: float | None) -> float | None:
    return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value


class LeanReplies(BaseRequest):
    """Another BaseRequest, whose Bot API replies come back without the keyboard of the message they
    return (what a send or an edit sent): PTB parses a reply into a Message, and a keyboard of ten
    buttons is more than half of that (0.14 of a reply's 0.25 ms), on every send. hitbot never reads
    a keyboard back from its own replies; a handler reads a pressed message's keyboard from its
    update, which getUpdates brings (a list, left as it is)."""

    __slots__ = ("inner",)

    def __init__(self, inner: BaseRequest) -> None:
        self.inner = inner

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def post(self, url: str, request_data: RequestData | None = None, **timeouts: Any) -> Any:
        result = await self.inner.post(url, request_data, **timeouts)
        if isinstance(result, dict) and "message_id" in result:
            result.pop("reply_markup", None)
        return result

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         **timeouts: Any) -> tuple[int, bytes]:
        return await self.inner.do_request(url, method, request_data, **timeouts)
