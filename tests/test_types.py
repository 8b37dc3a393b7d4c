"""The shared constrained types: what PatchModel and Email accept, and what they say in the schema."""

import unicodedata

import pytest
from pydantic import ValidationError

from app.types import Email, PatchModel, StrictModel, _clean_description, _reject_bad_chars


class Change(PatchModel):
    clearable = frozenset({"note"})

    name: str | None = None
    note: str | None = None


def test_patch_model_clears_only_the_fields_it_names() -> None:
    assert Change.model_validate({"note": None}).model_dump(exclude_unset=True) == {"note": None}
    assert Change.model_validate({}).model_dump(exclude_unset=True) == {}
    with pytest.raises(ValidationError) as caught:
        Change.model_validate({"name": None})
    assert caught.value.errors()[0]["loc"] == ("name",)


def test_patch_model_schema_offers_null_only_where_it_clears() -> None:
    properties = Change.model_json_schema()["properties"]
    assert properties["name"] == {"title": "Name", "type": "string"}
    assert {"type": "null"} in properties["note"]["anyOf"]


class Account(StrictModel):
    email: Email


def test_email_is_lower_cased_and_checked() -> None:
    assert Account(email="Ann.Lee@Example.COM").email == "ann.lee@example.com"
    with pytest.raises(ValidationError):
        Account(email="not-an-address")
    with pytest.raises(ValidationError):
        Account(email="a" * 310 + "@example.com")


def test_text_checks_refuse_exactly_unicodes_control_characters_and_surrogates() -> None:
    """Every code point: refused by a text check exactly when Unicode calls it a control character
    (Cc) or a surrogate (Cs); a description lets tabs and line breaks through."""
    for code in range(0x110000):
        char = chr(code)
        bad = unicodedata.category(char) in ("Cc", "Cs")
        for check, allowed in ((_reject_bad_chars, ""), (_clean_description, "\t\n\r")):
            try:
                check(f"a{char}b")
                refused = False
            except ValueError:
                refused = True
            assert refused == (bad and char not in allowed), hex(code)
