"""Throttles on log-ins and registrations, counted by the `limits` library in memory or a shared store."""

import hashlib
import ipaddress
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter, RateLimiter

from app.config import settings
from app.errors import AppError

LOGIN_EMAIL = parse(settings.rate_limit_login_email)
LOGIN_IP = parse(settings.rate_limit_login_ip)
REGISTER_IP = parse(settings.rate_limit_register_ip)
FORGOT_EMAIL = parse(settings.rate_limit_forgot_email)
FORGOT_IP = parse(settings.rate_limit_forgot_ip)

# A moving window means "5 failures in any 15 minutes", and it knows when the oldest one expires.
_storage = storage_from_string(settings.rate_limit_storage_uri)
_limiter = MovingWindowRateLimiter(_storage)
# Log-ins per address are counted before the password check and a success gives its count back:
# only a plain counter can take one back (a moving window cannot forget a single entry).
_counter = FixedWindowRateLimiter(_storage)

FAILED_LOGINS = "Too many failed log-ins."


@contextmanager
def login_attempt(*, email: str, client_ip: str) -> Iterator[None]:
    """Guard one password check: 429 while the email or the address has too many recent failures.

    The body raises AppError for a wrong password, which leaves both counts standing; a success
    clears the email's count and gives the address its count back.
    """
    account = _account_key(email)
    address = _address_key(client_ip)
    # Both counted before the password is checked, so a burst of parallel guesses cannot slip past
    # a limit between check and count.
    if not _counter.hit(LOGIN_IP, "login-ip", address):
        raise _too_many(_counter, LOGIN_IP, ("login-ip", address), FAILED_LOGINS)
    if not _limiter.hit(LOGIN_EMAIL, "login-email", account):
        _give_back(LOGIN_IP, "login-ip", address)  # refused with no password checked: no failure
        raise _too_many(_limiter, LOGIN_EMAIL, ("login-email", account), FAILED_LOGINS)
    yield
    _give_back(LOGIN_IP, "login-ip", address)
    _limiter.clear(LOGIN_EMAIL, "login-email", account)


def _give_back(item: RateLimitItem, *identifiers: str) -> None:
    _storage.incr(item.key_for(*identifiers), item.get_expiry(), amount=-1)


def registration(*, client_ip: str) -> None:
    """Count one registration from this address; 429 beyond the limit."""
    address = _address_key(client_ip)
    if not _limiter.hit(REGISTER_IP, "register-ip", address):
        raise _too_many(
            _limiter, REGISTER_IP, ("register-ip", address), "Too many new accounts from your address."
        )


def reset_email(*, email: str, client_ip: str) -> None:
    """Count one "Forgot password?" request; 429 beyond the limit for the address or the email.

    Counted alike for emails with and without an account, so the answer tells nothing about them.
    """
    address = _address_key(client_ip)
    if not _limiter.hit(FORGOT_IP, "forgot-ip", address):
        raise _too_many(
            _limiter, FORGOT_IP, ("forgot-ip", address), "Too many reset requests from your address."
        )
    account = _account_key(email)
    if not _limiter.hit(FORGOT_EMAIL, "forgot-email", account):
        raise _too_many(
            _limiter, FORGOT_EMAIL, ("forgot-email", account), "Too many reset requests for this email."
        )


def reset() -> None:
    """Forget every count (tests start each case from a clean slate)."""
    _storage.reset()


def _account_key(email: str) -> str:
    # Folded like log-in folds it; hashed so a shared store never holds addresses, and any input is a key.
    folded = email.strip().lower().encode("utf-8", "surrogatepass")
    return hashlib.sha256(folded).hexdigest()


def _address_key(client_ip: str) -> str:
    """Who an address limit counts: an IPv4 address, or an IPv6 address's /64.

    One IPv6 client usually holds a whole /64 and could rotate through its addresses.
    """
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return client_ip  # not an address ("testclient", a Unix socket): counted as it is
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(address) >> 64 << 64, 64)))
    return str(address)


def _too_many(limiter: RateLimiter, item: RateLimitItem, identifiers: tuple[str, ...], what: str) -> AppError:
    reset_at = limiter.get_window_stats(item, *identifiers).reset_time
    retry_after = max(1, math.ceil(reset_at - time.time()))
    minutes = math.ceil(retry_after / 60)
    wait = "1 minute" if minutes == 1 else f"{minutes} minutes"
    return AppError(429, f"{what} Try again in {wait}.", headers={"Retry-After": str(retry_after)})
