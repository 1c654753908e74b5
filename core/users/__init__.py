"""People: the user table, registration and preferences, privacy (export, erase)."""
