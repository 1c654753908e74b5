"""Text and keyboards. Pure functions of core objects: no I/O, no database writes."""
