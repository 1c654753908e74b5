"""hitbot bot."""
