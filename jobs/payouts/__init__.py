"""Payouts: providers that send the money, the actor that drives a payout to paid or failed."""
