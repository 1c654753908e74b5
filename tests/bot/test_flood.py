"""RetryAfter's wait read the same whether PTB gives it as an int or a timedelta (its next major)."""
from __future__ import annotations

import warnings
from datetime import timedelta
from types import SimpleNamespace

import pytest
from telegram.error import RetryAfter

from bot.flood import retry_after_s


@pytest.mark.parametrize("given, seconds", [(3, 3.0), (timedelta(seconds=1.5), 1.5), (timedelta(minutes=2), 120.0)])
@pytest.mark.parametrize("ptb_timedelta", [None, "true"])
def test_retry_after_either_type(monkeypatch, given, seconds, ptb_timedelta):
    if ptb_timedelta:
        monkeypatch.setenv("PTB_TIMEDELTA", ptb_timedelta)
    exc = RetryAfter(given)  # PTB's own constructor reads it the deprecated way
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # reading it here warns of nothing
        assert retry_after_s(exc) == seconds


@pytest.mark.parametrize("given, seconds", [(7, 7.0), (timedelta(seconds=7), 7.0)])
def test_retry_after_public_attribute_only(given, seconds):
    """An exception without PTB 22's private field (older or newer PTB): the public one, either type."""
    assert retry_after_s(SimpleNamespace(retry_after=given)) == seconds
