"""Posting work: the spec (spec, spec_rules, spec_files), the /newhit wizard (drafts), publishing
and escrow (publishing), managing a live HIT (manage), /myhits (queries) and results (export)."""
