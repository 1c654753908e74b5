"""Typed keys of the emulator's aiohttp application."""
from __future__ import annotations

from aiohttp import web

from sandbox.state import World

WORLD = web.AppKey("world", World)
PRESS_WAIT_S = web.AppKey("press_wait_s", float)
PAY_WAIT_S = web.AppKey("pay_wait_s", float)
