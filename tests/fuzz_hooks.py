"""Schemathesis hooks for `make fuzz` (tests/fuzz.py loads them through SCHEMATHESIS_HOOKS)."""

import re
from itertools import count
from typing import Any

import schemathesis

_KEY = re.compile(r"[!-~]{1,255}")
_fresh = count(1)


@schemathesis.hook
def map_headers(_context: schemathesis.HookContext, headers: dict[str, Any] | None) -> dict[str, Any] | None:
    """A new Idempotency-Key for each request that sends a valid one.

    The fuzzer draws short keys ("0") again and again with other bodies, which the API rightly
    refuses (422: the key was used for another request), so the route's own rules would go
    untested. A malformed key is left as drawn, to test its refusal.
    """
    key = (headers or {}).get("Idempotency-Key")
    if headers is not None and isinstance(key, str) and _KEY.fullmatch(key):
        headers["Idempotency-Key"] = f"fuzz-{next(_fresh)}"
    return headers
