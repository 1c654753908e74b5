"""Deciding work: approve, reject, reverse, bonus, block (commands), appeals, the submissions
waiting (queries), quality control (quality, aggregation), reputation and review digests."""
