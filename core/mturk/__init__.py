"""The MTurk requester API's side of core: API keys (apikeys) and the HITs and decisions it makes
(commands)."""
