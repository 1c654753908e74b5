"""Money in and out of a person's balance: top-ups, credits, withdrawals (accounts) and payouts,
with auto-withdraw (payouts). The ledger itself is core.ledger."""
