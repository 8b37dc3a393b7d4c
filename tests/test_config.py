import stat
from pathlib import Path

import pytest

from app.config import Settings


def test_secret_key_is_generated_once_private_and_reused(tmp_path: Path) -> None:
    first = Settings(secret_key="", data_dir=tmp_path).resolved_secret_key
    key_file = tmp_path / "secret_key"
    assert len(first) >= 48
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert Settings(secret_key="", data_dir=tmp_path).resolved_secret_key == first
    other = tmp_path / "other"
    assert Settings(secret_key="", data_dir=other).resolved_secret_key != first


def test_short_secret_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 32"):
        _ = Settings(secret_key="changeme", data_dir=tmp_path).resolved_secret_key


def test_default_database_is_sqlite_in_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    url = Settings(database_url="", data_dir=data_dir).resolved_database_url
    assert url == f"sqlite:///{data_dir / 'expenses.db'}"
    assert data_dir.is_dir()


def test_rate_limit_defaults() -> None:
    settings = Settings(_env_file=None)
    assert settings.rate_limit_login_email == "5/15 minutes"
    assert settings.rate_limit_login_ip == "50/15 minutes"
    assert settings.rate_limit_register_ip == "20/hour"
    assert settings.rate_limit_storage_uri == "memory://"


@pytest.mark.parametrize("field", ["rate_limit_login_email", "rate_limit_login_ip", "rate_limit_register_ip"])
def test_unreadable_rate_limit_is_refused_at_start(field: str) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        Settings.model_validate({field: "five a minute"})
