import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

import limits
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Everything configurable, read from the environment and then `.env`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Empty means: an SQLite file in DATA_DIR.
    database_url: str = ""
    data_dir: Path = PROJECT_ROOT / "data"
    # Empty means: generated once and kept in DATA_DIR/secret_key (mode 0600).
    secret_key: str = ""
    # A logged-in session lasts this many days unused, and each renewal (POST /api/auth/renew, which
    # the page calls while it is used) starts them again; "Keep me signed in" makes it the second.
    # However much it is used, a session ends SESSION_MAX_DAYS after its log-in.
    session_days: int = Field(default=30, ge=1, le=3650)
    session_days_remembered: int = Field(default=90, ge=1, le=3650)
    session_max_days: int = Field(default=365, ge=1, le=3650)
    auto_migrate: bool = True
    # Seconds the app waits at start for the database to answer (it may be starting too) before
    # giving up: the start then fails, and `python -m app` exits non-zero.
    database_wait_seconds: int = Field(default=30, ge=0, le=3600)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Worker processes for `python -m app`; with more than one, use PostgreSQL and a fixed SECRET_KEY.
    workers: int = Field(default=1, ge=1, le=64)
    access_log: bool = True
    # Reverse proxies whose X-Forwarded-For/-Proto are believed (uvicorn's notation: "10.0.0.2",
    # "10.0.0.0/8", "*"). Empty: none, so a client cannot pick the address the limits count.
    forwarded_allow_ips: str = ""
    # 12 is bcrypt's default cost; tests lower it to keep the suite quick.
    bcrypt_rounds: int = Field(default=12, ge=4, le=31)
    # Throttles in the `limits` library's notation ("5/15 minutes", "20/hour").
    rate_limit_login_email: str = "5/15 minutes"
    rate_limit_login_ip: str = "50/15 minutes"
    rate_limit_register_ip: str = "20/hour"
    # memory:// counts per process; a shared store (redis://host:6379) counts across workers.
    rate_limit_storage_uri: str = "memory://"
    # Comma-separated origins allowed to call the API from other sites; empty means CORS stays off.
    cors_origins: str = ""
    # False: only an admin creates accounts (directly or by invitation link); /api/auth/register is 403.
    allow_registration: bool = True
    # The address people open the app at, for links made outside a request (the command line).
    # Empty: http://HOST:PORT. Links made by the API use the address the admin's browser used,
    # except emailed links: those never trust the request's Host header.
    public_url: str = ""
    # Outgoing mail for "Forgot password?"; with no SMTP_HOST that flow is off (admins make reset links).
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = "Expense Tracker <expenses@localhost>"
    # starttls (port 587), ssl (port 465), or none (a relay on localhost only).
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    # Reset emails asked for one address, and from one client address.
    rate_limit_forgot_email: str = "3/hour"
    rate_limit_forgot_ip: str = "20/hour"
    # `python -m app backup` keeps this many snapshots in DATA_DIR/backups.
    backup_keep: int = Field(default=7, ge=1, le=1000)
    # Request bodies, in bytes: any JSON body, and the CSV file of an import. Larger is 413, refused
    # before it is read, so a small box cannot be filled by one request.
    max_json_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_import_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    # For `python -m app`: connections and requests at once before uvicorn answers 503 (instead of
    # queueing without bound), and seconds an idle keep-alive connection is held open.
    limit_concurrency: int = Field(default=100, ge=1)
    # Threads that run the routes' database work at once. Few, because each holds the GIL while it
    # works: on 2 cores, 40 threads (the default) served a list page at 32 connections at about 60%
    # of the rate 4 do, and 4 beat 8 (bench/RESULTS.md). Requests beyond it wait their turn, not a thread.
    # Routes that hash a password have threads of their own (app.routers.hashing_threads).
    threads: int = Field(default=4, ge=2, le=256)
    timeout_keep_alive: int = Field(default=5, ge=1, le=3600)
    # On SIGTERM, seconds the requests in flight get to finish before they are cut off: without a
    # bound, one client that stops sending a body it announced holds the stop (and a restart) forever.
    shutdown_seconds: int = Field(default=10, ge=1, le=3600)

    @field_validator(
        "rate_limit_login_email",
        "rate_limit_login_ip",
        "rate_limit_register_ip",
        "rate_limit_forgot_email",
        "rate_limit_forgot_ip",
    )
    @classmethod
    def _valid_rate_limit(cls, value: str) -> str:
        limits.parse(value)  # a typo fails at start instead of throttling nothing
        return value

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.data_dir / 'expenses.db'}"

    @cached_property
    def resolved_secret_key(self) -> str:
        if self.secret_key:
            if len(self.secret_key) < 32:
                raise ValueError(
                    "SECRET_KEY must be at least 32 characters; leave it unset to have one generated."
                )
            return self.secret_key
        return _load_or_create_secret(self.data_dir / "secret_key")


def _load_or_create_secret(path: Path) -> str:
    """Read the generated key, or create it readable by its owner only; never a fixed default."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48) + "\n")
        # link() publishes the complete file atomically; if another worker won the race, use its key.
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = path.read_text().strip()
    if len(key) < 32:
        raise ValueError(f"{path} holds no usable key; delete it to have a new one generated.")
    return key


settings = Settings()
