"""hitbot jobs."""
