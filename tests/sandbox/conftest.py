"""The emulator under aiohttp's test server; `api` speaks both of its sides."""
from __future__ import annotations

from typing import Any

import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from sandbox.keys import WORLD
from sandbox.server import create_app

TOKEN = "123456:SANDBOX-token"


class Api:
    def __init__(self, client: TestClient) -> None:
        self.client = client

    @property
    def world(self):
        return self.client.app[WORLD]

    @property
    def url(self) -> str:
        return str(self.client.make_url("")).rstrip("/")

    async def bot(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        resp = await self.client.post(f"/bot{TOKEN}/{method}", json=params)
        return resp.status, await resp.json()

    async def ok(self, method: str, **params: Any) -> Any:
        status, body = await self.bot(method, **params)
        assert status == 200 and body["ok"], body
        return body["result"]

    async def fails(self, method: str, **params: Any) -> tuple[int, str]:
        status, body = await self.bot(method, **params)
        assert body["ok"] is False and body["error_code"] == status, body
        return status, body["description"]

    async def user(self, uid: int, name: str = "Ann", **extra: Any) -> dict[str, Any]:
        resp = await self.client.post("/sandbox/api/users", json={"id": uid, "first_name": name, **extra})
        assert resp.status == 200, await resp.text()
        return await resp.json()

    async def post(self, path: str, **kw: Any) -> tuple[int, dict[str, Any]]:
        resp = await self.client.post(path, **kw)
        return resp.status, await resp.json()

    async def get(self, path: str, **kw: Any) -> tuple[int, dict[str, Any]]:
        resp = await self.client.get(path, **kw)
        return resp.status, await resp.json()

    async def chat(self, uid: int) -> dict[str, Any]:
        status, body = await self.get(f"/sandbox/api/users/{uid}/chat")
        assert status == 200, body
        return body

    async def updates(self, **params: Any) -> list[dict[str, Any]]:
        return await self.ok("getUpdates", **params)


async def _api(**kw: Any):
    app = create_app(**kw)
    async with TestClient(TestServer(app)) as client:
        yield Api(client)


@pytest_asyncio.fixture
async def api():
    async for a in _api(flood_control=False, press_wait_s=1.0, pay_wait_s=1.0):
        yield a


class FrozenClock:
    """Flood control's clock, moved only by the test (a loaded machine can't blur the limits)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest_asyncio.fixture
async def flood_api():
    async for a in _api(flood_control=True):
        clock = FrozenClock()
        a.world.flood.reset(clock)
        a.clock = clock
        yield a
