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
ACTOR_MODULES = ["jobs.delivery", "jobs.cards", "jobs.payouts.actor", "jobs.batches", "jobs.exports"]


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
    """Every actor: those declared with `actor`, and any dramatiq.Actor an ACTOR_MODULES module defines."""
    found = dict(_registry)
    for name in ACTOR_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # the module exists but something it needs is missing
                raise
            continue
        for value in vars(module).values():
            if isinstance(value, dramatiq.Actor):
                found.setdefault(value.actor_name, value)
    return list(found.values())


@actor(queue_name="default", max_retries=0)
def noop() -> None:
    """Does nothing: the baseline a benchmark compares real actors with."""
