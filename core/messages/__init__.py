"""Messages between a worker and a requester (issue 18): one thread per pair."""
