"""Who may take a HIT: qualification types, grants and tests (commands), requirement checks
(rules), country codes."""
