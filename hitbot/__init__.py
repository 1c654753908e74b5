"""Composition root: the CLI and process wiring. The only package that imports everything."""
