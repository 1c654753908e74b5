"""Webhook delivery: with a webhook set, updates are POSTed to it one at a time, in order,
with Telegram's secret-token header; a failed delivery is retried and shows up in
getWebhookInfo's last_error_*, as on Telegram."""
from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from sandbox.state import World

RETRY_S = 1.0
TIMEOUT_S = 10.0


class WebhookSender:
    def __init__(self, world: World) -> None:
        self.world = world
        self.url = ""
        self.secret: str | None = None
        self.last_error: tuple[int, str] | None = None
        self._task: asyncio.Task | None = None

    def set(self, url: str, secret: str | None) -> None:
        self.url, self.secret, self.last_error = url, secret, None
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        self.world.wake()

    def clear(self) -> None:
        self.url = ""
        self.world.wake()

    async def close(self) -> None:
        self.url = ""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    def info(self) -> dict[str, Any]:
        out: dict[str, Any] = {"url": self.url, "has_custom_certificate": False,
                               "pending_update_count": len(self.world.updates), "max_connections": 1}
        if self.last_error and self.url:
            out["last_error_date"], out["last_error_message"] = self.last_error
        return out

    async def _run(self) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_S)) as session:
            while self.url:
                if not self.world.updates:
                    await self.world.wait_for_update(1.0)
                    continue
                update_id, payload = self.world.updates[0]
                headers = {"X-Telegram-Bot-Api-Secret-Token": self.secret} if self.secret else {}
                error = None
                try:
                    async with session.post(self.url, json=payload, headers=headers) as resp:
                        if not 200 <= resp.status < 300:
                            error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
                except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                    error = "Connection refused" if isinstance(exc, aiohttp.ClientConnectorError) else \
                        f"Connection failed: {type(exc).__name__}"
                if error is None:
                    self.world.confirm_updates(update_id + 1)
                else:
                    self.last_error = (int(time.time()), error)
                    await asyncio.sleep(RETRY_S)
