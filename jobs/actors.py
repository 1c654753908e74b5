"""The actor registry: every Dramatiq actor of hitbot, bound to whichever broker the
process set up (jobs.broker.setup_broker). Declaring through `actor` instead of
`dramatiq.actor` keeps an import from creating Dramatiq's default localhost broker."""
from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker

# Actors are declared here until setup_broker() re-binds them to the real broker.
_placeholder = StubBroker()
_registry: dict[str, dramatiq.Actor] = {}

# Modules that declare actors; imported by all_actors() so a worker knows every one.
ACTOR_MODULES = ["jobs.delivery", "jobs.payouts.actors"]


def actor(fn: Callable | None = None, *, actor_name: str | None = None, queue_name: str = "default",
          priority: int = 0, **options: Any):
    def decorator(fn: Callable) -> dramatiq.Actor:
        name = actor_name or fn.__name__
        if name in _registry:
            return _registry[name]
        a = dramatiq.Actor(fn, broker=_placeholder, actor_name=name, queue_name=queue_name,
                           priority=priority, options=options)
        _registry[name] = a
        return a

    return decorator(fn) if fn is not None else decorator


def all_actors() -> list[dramatiq.Actor]:
    for module in ACTOR_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:  # the module exists but something it needs is missing
                raise
    return list(_registry.values())


@actor(queue_name="default", max_retries=0)
def noop() -> None:
    """Does nothing: the baseline a benchmark compares real actors with."""
