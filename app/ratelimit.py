"""Throttles on log-ins and registrations, counted by the `limits` library in memory or a shared store."""

import hashlib
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

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

FAILED_LOGINS = "Too many failed log-ins."


@contextmanager
def login_attempt(*, email: str, client_ip: str) -> Iterator[None]:
    """Guard one password check: 429 while the email or the address has too many recent failures.

    The body raises AppError for a wrong password; that counts as a failure, anything else clears
    the email's count.
    """
    account = _account_key(email)
    if not _limiter.test(LOGIN_IP, "login-ip", client_ip):
        raise _too_many(LOGIN_IP, ("login-ip", client_ip), FAILED_LOGINS)
    # Counted before the password is checked, so a burst of parallel guesses cannot slip past the
    # limit between check and count; a success clears it again.
    if not _limiter.hit(LOGIN_EMAIL, "login-email", account):
        raise _too_many(LOGIN_EMAIL, ("login-email", account), FAILED_LOGINS)
    try:
        yield
    except AppError:
        _limiter.hit(LOGIN_IP, "login-ip", client_ip)
        raise
    _limiter.clear(LOGIN_EMAIL, "login-email", account)


def registration(*, client_ip: str) -> None:
    """Count one registration from this address; 429 beyond the limit."""
    if not _limiter.hit(REGISTER_IP, "register-ip", client_ip):
        raise _too_many(REGISTER_IP, ("register-ip", client_ip), "Too many new accounts from your address.")


def reset_email(*, email: str, client_ip: str) -> None:
    """Count one "Forgot password?" request; 429 beyond the limit for the address or the email.

    Counted alike for emails with and without an account, so the answer tells nothing about them.
    """
    if not _limiter.hit(FORGOT_IP, "forgot-ip", client_ip):
        raise _too_many(FORGOT_IP, ("forgot-ip", client_ip), "Too many reset requests from your address.")
    account = _account_key(email)
    if not _limiter.hit(FORGOT_EMAIL, "forgot-email", account):
        raise _too_many(FORGOT_EMAIL, ("forgot-email", account), "Too many reset requests for this email.")


def reset() -> None:
    """Forget every count (tests start each case from a clean slate)."""
    _storage.reset()


def _account_key(email: str) -> str:
    # Folded like log-in folds it; hashed so a shared store never holds addresses, and any input is a key.
    folded = email.strip().lower().encode("utf-8", "surrogatepass")
    return hashlib.sha256(folded).hexdigest()


def _too_many(item: RateLimitItem, identifiers: tuple[str, ...], what: str) -> AppError:
    reset_at = _limiter.get_window_stats(item, *identifiers).reset_time
    retry_after = max(1, math.ceil(reset_at - time.time()))
    minutes = math.ceil(retry_after / 60)
    wait = "1 minute" if minutes == 1 else f"{minutes} minutes"
    return AppError(429, f"{what} Try again in {wait}.", headers={"Retry-After": str(retry_after)})
