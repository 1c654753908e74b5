"""The hitbot marketplace: models, services, ledger. Knows nothing of Telegram or queues."""
