"""hitbot bot/handlers."""
