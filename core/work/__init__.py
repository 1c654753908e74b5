"""Doing work: browse and preview (browse), accept, answer, submit, return and expire (commands),
where the worker is and /mywork (queries)."""
