"""One function per use case: keyword-only arguments, `now` passed in, one transaction each."""
