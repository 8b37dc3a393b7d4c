"""The ECB rates: the lookup rules of the contract, on a small history file with fixed numbers."""

import io
import zipfile
from datetime import date
from decimal import Context, Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app import rates
from app.config import settings
from tests.factories import register

# Friday 2026-03-06 is the newest publication; KRW starts on 2026-03-04; USD has a gap on the 5th.
HISTORY = (
    "Date,USD,JPY,KRW,\n"
    "2026-03-06,1.1000,160.00,1500.5,\n"
    "2026-03-05,N/A,161.00,1501.5,\n"
    "2026-03-04,1.2000,162.00,1502.5,\n"
    "2026-03-03,1.3000,163.00,N/A,\n"
)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    return tmp_path


def install_history(data_dir: Path, text: str = HISTORY) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("eurofxref-hist.csv", text)
    rates.install(buffer.getvalue())


def test_the_bundled_history_reaches_the_end_of_october_2026(data_dir: Path) -> None:
    found = rates.lookup("USD", "EUR", date(2026, 10, 30))
    assert found is not None
    assert found.rate_date == date(2026, 10, 30)
    assert rates.installed_file() == rates.BUNDLED


def test_a_weekend_takes_the_friday_and_a_later_date_the_newest(data_dir: Path) -> None:
    install_history(data_dir)
    saturday = rates.lookup("USD", "EUR", date(2026, 3, 7))
    far = rates.lookup("USD", "EUR", date(2030, 1, 1))
    assert saturday == rates.Rate(rate=Decimal("0.909090909090909"), rate_date=date(2026, 3, 6))
    assert far is not None
    assert far.rate_date == date(2026, 3, 6)


def test_euro_to_a_currency_is_the_published_rate(data_dir: Path) -> None:
    install_history(data_dir)
    assert rates.lookup("EUR", "JPY", date(2026, 3, 4)) == rates.Rate(Decimal("162.00"), date(2026, 3, 4))
    assert rates.lookup("EUR", "EUR", date(2026, 3, 4)) == rates.Rate(Decimal(1), date(2026, 3, 4))


def test_a_cross_rate_divides_the_two_euro_rates_of_one_publication(data_dir: Path) -> None:
    install_history(data_dir)
    found = rates.lookup("JPY", "USD", date(2026, 3, 4))
    assert found is not None
    # The quotient of the file's numbers, to 15 significant digits.
    assert found.rate == Context(prec=15).divide(Decimal("1.2000"), Decimal("162.00"))
    assert found.rate == Decimal("0.00740740740740741")
    # USD has no rate on the 5th: both legs come from the 4th, not JPY's rate of the 5th.
    assert rates.lookup("JPY", "USD", date(2026, 3, 5)) == found


def test_a_cross_rate_between_two_currencies_other_than_euro_and_dollar_goes_through_the_euro(
    data_dir: Path,
) -> None:
    install_history(
        data_dir,
        "Date,USD,JPY,GBP,\n"
        "2026-03-06,1.1000,160.00,0.8300,\n"
        "2026-03-05,N/A,161.00,0.8400,\n"
        "2026-03-04,1.3000,162.00,0.8500,\n",
    )
    # GBP per yen is the euro's GBP rate over its JPY rate of the day, whatever the dollar did.
    assert rates.lookup("JPY", "GBP", date(2026, 3, 6)) == rates.Rate(
        Context(prec=15).divide(Decimal("0.8300"), Decimal("160.00")), date(2026, 3, 6)
    )
    # No dollar rate on the 5th: the yen and the pound both have one, so the 5th is used.
    assert rates.lookup("JPY", "GBP", date(2026, 3, 5)) == rates.Rate(
        Context(prec=15).divide(Decimal("0.8400"), Decimal("161.00")), date(2026, 3, 5)
    )
    assert rates.lookup("GBP", "JPY", date(2026, 3, 5)) == rates.Rate(
        Context(prec=15).divide(Decimal("161.00"), Decimal("0.8400")), date(2026, 3, 5)
    )


def test_none_before_a_currencys_first_rate_or_for_an_unpublished_currency(data_dir: Path) -> None:
    install_history(data_dir)
    first = rates.lookup("KRW", "EUR", date(2026, 3, 4))
    assert first is not None
    assert first.rate_date == date(2026, 3, 4)
    assert rates.lookup("KRW", "EUR", date(2026, 3, 3)) is None
    assert rates.lookup("EUR", "USD", date(2026, 3, 2)) is None
    assert rates.lookup("KWD", "EUR", date(2026, 3, 4)) is None


def test_an_installed_file_replaces_the_one_in_use(data_dir: Path) -> None:
    install_history(data_dir)
    install_history(data_dir, "Date,USD\n2026-03-09,2.0000\n")
    assert rates.lookup("EUR", "USD", date(2026, 3, 9)) == rates.Rate(Decimal("2.0000"), date(2026, 3, 9))
    (data_dir / "eurofxref-hist.zip").unlink()
    rates.install(HISTORY.encode())  # plain CSV works too
    assert rates.installed_file() == data_dir / "eurofxref-hist.csv"
    assert rates.lookup("EUR", "USD", date(2026, 3, 9)) == rates.Rate(Decimal("1.1000"), date(2026, 3, 6))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"PK\x03\x04broken",
        b"Day,USD\n2026-03-06,1.1\n",
        b"Date,USD\n2026-13-06,1.1\n",
        b"Date,USD\n2026-03-06,abc\n",
    ],
)
def test_a_broken_file_is_refused_and_the_old_one_kept(data_dir: Path, data: bytes) -> None:
    install_history(data_dir)
    with pytest.raises(rates.RatesFileError):
        rates.install(data)
    assert rates.lookup("EUR", "USD", date(2026, 3, 6)) == rates.Rate(Decimal("1.1000"), date(2026, 3, 6))


def test_get_rates_gives_the_rate_an_expense_would_get(client: TestClient, data_dir: Path) -> None:
    install_history(data_dir)
    headers = register(client)
    response = client.get("/api/rates?from=jpy&to=USD&date=2026-03-07", headers=headers)
    assert response.status_code == 200
    assert response.json() == {
        "from": "JPY",
        "to": "USD",
        "date": "2026-03-07",
        "rate": str(Context(prec=15).divide(Decimal("1.1000"), Decimal("160.00"))),
        "rate_date": "2026-03-06",
        "source": "ecb",
    }


def test_get_rates_404_without_a_rate_422_for_bad_input_401_anonymous(
    client: TestClient, data_dir: Path
) -> None:
    install_history(data_dir)
    headers = register(client)
    missing = client.get("/api/rates?from=KWD&to=EUR&date=2026-03-06", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "No ECB rate is known for KWD to EUR on 2026-03-06"
    assert client.get("/api/rates?from=USD&to=EUR&date=2026-03-01", headers=headers).status_code == 404
    for query in ("from=ABC&to=EUR&date=2026-03-06", "from=USD&to=EUR&date=2026-02-30", "from=USD&to=EUR"):
        assert client.get(f"/api/rates?{query}", headers=headers).status_code == 422
    assert client.get("/api/rates?from=USD&to=EUR&date=2026-03-06").status_code == 401
