"""hitbot sandbox."""
