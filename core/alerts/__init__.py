"""Workers' saved filters and the new-HIT alerts they get (commands)."""
