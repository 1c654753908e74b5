"""Money written out by hand (issue 23): fees, parsing and formatting against literals worked
out on paper, never against the function under test; and the fee's bounds as properties
checked against exact fractions."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import ValidationFailed
from core.money import fee_for, format_money, parse_amount

# (reward or bonus in cents, fee percent, the fee in cents): percent of the amount, rounded
# half up to the cent, at least one cent when there is a fee at all.
FEES = [
    # the test settings' 20 %
    (50, 20, 10),
    (1_00, 20, 20),
    (3, 20, 1),  # 0.6 -> 1
    (2, 20, 1),  # 0.4 -> 0, but a fee is at least 1 cent
    (1, 20, 1),  # 0.2 -> 0 -> 1
    (100_000, 20, 20_000),  # the largest reward, $1,000.00
    # no fee
    (50, 0, 0),
    (1, 0, 0),
    (100_000, 0, 0),
    # nothing to take a fee on
    (0, 20, 0),
    (-50, 20, 0),
    (50, -5, 0),
    # 1 %
    (1, 1, 1),  # 0.01 -> 0 -> 1
    (99, 1, 1),  # 0.99 -> 1
    (149, 1, 1),  # 1.49 -> 1
    (150, 1, 2),  # 1.5 -> 2 (half up)
    (250, 1, 3),  # 2.5 -> 3 (half up, not to even)
    # 15 %: halves
    (10, 15, 2),  # 1.5 -> 2
    (30, 15, 5),  # 4.5 -> 5 (half to even would say 4)
    (70, 15, 11),  # 10.5 -> 11
    (3, 15, 1),  # 0.45 -> 0 -> 1
    (7, 15, 1),  # 1.05 -> 1
    (13, 15, 2),  # 1.95 -> 2
    (1_000, 15, 150),
    # 25 %
    (2, 25, 1),  # 0.5 -> 1
    (6, 25, 2),  # 1.5 -> 2
    (10, 25, 3),  # 2.5 -> 3
    # 33 %
    (1, 33, 1),  # 0.33 -> 0 -> 1
    (2, 33, 1),  # 0.66 -> 1
    (3, 33, 1),  # 0.99 -> 1
    (50, 33, 17),  # 16.5 -> 17
    (100, 33, 33),
    (101, 33, 33),  # 33.33 -> 33
    (150, 33, 50),  # 49.5 -> 50
    (333, 33, 110),  # 109.89 -> 110
    (1_515, 33, 500),  # 499.95 -> 500
    # all of it
    (7, 100, 7),
    (100, 100, 100),
    # large amounts: exact decimal arithmetic, no float rounding
    (12_345_678_901, 15, 1_851_851_835),  # ...835.15
    (9_999_999_999_999, 33, 3_300_000_000_000),  # ...999.67
    (9_007_199_254_740_993, 50, 4_503_599_627_370_497),  # (2**53 + 1) / 2 = ...496.5 -> ...497
]


@pytest.mark.parametrize("amount_cents, percent, fee_cents", FEES)
def test_fee_table(amount_cents, percent, fee_cents):
    assert fee_for(amount_cents, percent) == fee_cents


@settings(max_examples=300, deadline=None)
@given(amount=st.integers(1, 10**15), percent=st.integers(1, 100))
def test_fee_is_the_percent_rounded_half_up_and_at_least_a_cent(amount, percent):
    fee = fee_for(amount, percent)
    exact = Fraction(amount * percent, 100)
    assert 1 <= fee <= amount
    if exact >= Fraction(1, 2):
        assert exact - Fraction(1, 2) < fee <= exact + Fraction(1, 2)  # half up: x.5 goes up
    else:
        assert fee == 1


@settings(max_examples=200, deadline=None)
@given(amount=st.integers(1, 10**12), percent=st.integers(0, 100))
def test_fee_grows_with_the_amount_and_the_percent(amount, percent):
    fee = fee_for(amount, percent)
    assert fee_for(amount + 1, percent) >= fee
    assert fee_for(amount, min(100, percent + 1)) >= fee
    assert (fee == 0) == (percent == 0)


@settings(max_examples=100, deadline=None)
@given(amount=st.integers(-10**9, 0), percent=st.integers(-100, 100))
def test_no_fee_on_nothing(amount, percent):
    assert fee_for(amount, percent) == 0


# ------------------------------------------------------------------ parsing what people type

PARSED = [
    ("0.50", "USD", 50),
    ("0,50", "USD", 50),  # a comma decimal, as typed in much of Europe
    ("0,05", "USD", 5),
    ("1,5", "USD", 150),
    ("€1,5", "EUR", 150),
    ("$0.50", "USD", 50),
    ("£3", "GBP", 300),
    (" 2 ", "USD", 200),
    ("0.5", "USD", 50),
    (".5", "USD", 50),
    ("5.", "USD", 500),
    ("10", "USD", 1_000),
    ("+1", "USD", 100),
    ("1e2", "USD", 10_000),
    ("99999999.99", "USD", 9_999_999_999),
    ("500", "JPY", 500),  # no minor unit
    ("1.234", "KWD", 1_234),  # three decimals
    ("0,001", "KWD", 1),
    ("0.500000000000000000", "USD", 50),  # 20 characters: still an amount
    ("9999999999999999", "USD", 999_999_999_999_999_900),  # 16 digits: the largest magnitude read
    ("1e15", "USD", 100_000_000_000_000_000),
    (5, "USD", 500),
    (Decimal("0.50"), "USD", 50),
]


@pytest.mark.parametrize("text, currency, cents", PARSED)
def test_parse_amount(text, currency, cents):
    assert parse_amount(text, currency) == cents


REFUSED = [
    ("0,505", "USD", "The amount can have at most 2 decimal places."),
    ("0.001", "USD", "The amount can have at most 2 decimal places."),
    ("5.5", "JPY", "The amount can have at most 0 decimal places."),
    ("0,0001", "KWD", "The amount can have at most 3 decimal places."),
    ("0", "USD", "The amount must be more than zero."),
    ("0,00", "USD", "The amount must be more than zero."),
    ("-1", "USD", "The amount must be more than zero."),
    ("abc", "USD", "The amount must be a number such as 0.50."),
    ("", "USD", "The amount must be a number such as 0.50."),
    ("1,234.56", "USD", "The amount must be a number such as 0.50."),  # thousands separators are ambiguous
    ("1 000", "USD", "The amount must be a number such as 0.50."),
    ("--1", "USD", "The amount must be a number such as 0.50."),
    ("NaN", "USD", "The amount must be a number such as 0.50."),
    ("Infinity", "USD", "The amount must be a number such as 0.50."),
    ("X1", "USD", "The amount must be a number such as 0.50."),  # only a currency sign may lead
    ("١٠", "USD", "The amount must be a number such as 0.50."),  # ASCII digits only
    ("１", "USD", "The amount must be a number such as 0.50."),
    ("1_000", "USD", "The amount must be a number such as 0.50."),
    ("1e16", "USD", "The amount is too large."),
    ("10000000000000000", "USD", "The amount is too large."),
    ("1e999999999", "USD", "The amount is too large."),
]


@pytest.mark.parametrize("text, currency, message", REFUSED)
def test_parse_amount_refuses_with_a_reason(text, currency, message):
    with pytest.raises(ValidationFailed) as error:
        parse_amount(text, currency)
    assert error.value.message == message


def test_parse_amount_names_the_field_and_bounds_the_length():
    with pytest.raises(ValidationFailed) as error:
        parse_amount("lots", "USD", field="bonus")
    assert error.value.message == "The bonus must be a number such as 0.50."
    with pytest.raises(ValidationFailed, match="too long"):
        parse_amount("1" * 21, "USD")
    assert parse_amount("1" * 8, "USD") == 11_111_111_00  # 8 digits is an amount


# ------------------------------------------------------------------ formatting for the reader

FORMATTED = [
    (50, "USD", "en", "$0.50"),
    (123_456, "USD", "en", "$1,234.56"),
    (-150, "USD", "en", "-$1.50"),
    (0, "USD", "en", "$0.00"),
    (123_456, "USD", "de", "1.234,56\xa0$"),
    (5, "EUR", "de", "0,05\xa0€"),
    (123_456, "USD", "ru", "1\xa0234,56\xa0$"),
    (123_456, "USD", "pt_BR", "US$\xa01.234,56"),
    (5, "EUR", "fr", "0,05\xa0€"),
    (500, "JPY", "en", "¥500"),  # no minor unit: 500 is 500 yen
    (1_234, "KWD", "en", "KWD1.234"),  # three decimals
    (123_456, "USD", None, "$1,234.56"),  # no language known: English
    (123_456, "USD", "xx_YY", "$1,234.56"),  # a code babel does not know: English, not an error
]


@pytest.mark.parametrize("cents, currency, locale, text", FORMATTED)
def test_format_money(cents, currency, locale, text):
    assert format_money(cents, currency, locale) == text


def test_format_money_defaults_to_english():
    assert format_money(2_50, "USD") == "$2.50"


@settings(max_examples=200, deadline=None)
@given(cents=st.integers(1, 10**12))
def test_what_is_shown_reads_back_as_the_same_amount(cents):
    for locale in ("en", "de"):
        shown = format_money(cents, "USD", locale).replace("\xa0", "").replace("$", "")
        assert parse_amount(shown.replace("," if locale == "en" else ".", ""), "USD") == cents
