"""The page's message catalogues (app/static/i18n/*.json) against each other and against the keys
the page's scripts use: every key used exists in every catalogue, and every catalogue has the same
keys with the same {placeholders}, so no language shows a key or drops a number."""

import json
import re
from pathlib import Path
from typing import get_args

import pytest

from app.schemas.accounts import Language

STATIC = Path(__file__).resolve().parent.parent / "app" / "static"
LANGUAGES = ("en", "de", "fr", "es")
PLURAL_FORMS = {"zero", "one", "two", "few", "many", "other"}  # Intl.PluralRules' categories
# t("some.key" ...): the one way the scripts ask for a message (a key is never built at run time).
T_CALL = re.compile(r"""\bt\(\s*["']([^"']+)["']""")
# api-messages.js maps the API's English messages to keys, as string literals.
API_KEY = re.compile(r"""["'](apiError\.[A-Za-z.]+)["']""")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def catalogue(language: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((STATIC / "i18n" / f"{language}.json").read_text(encoding="utf-8"))
    return data


def used_keys() -> set[str]:
    keys: set[str] = set()
    for script in (STATIC / "js").rglob("*.js"):
        text = script.read_text(encoding="utf-8")
        keys |= set(T_CALL.findall(text)) | set(API_KEY.findall(text))
    return keys


def forms(message: object) -> dict[str, str]:
    """A message's texts: its one text, or each plural form's."""
    if isinstance(message, str):
        return {"": message}
    assert isinstance(message, dict), f"neither a text nor plural forms: {message!r}"
    assert set(message) <= PLURAL_FORMS, f"not a plural form: {message!r}"
    assert "other" in message, f"plural forms need 'other': {message!r}"
    assert all(isinstance(text, str) for text in message.values())
    return message


def placeholders(message: object) -> set[str]:
    """The {names} a message fills in: its text's, or its 'other' form's (the full set)."""
    return set(PLACEHOLDER.findall(forms(message).get("", forms(message).get("other", ""))))


def test_the_page_uses_keys_and_the_scan_finds_them() -> None:
    keys = used_keys()
    assert len(keys) > 300
    assert {"add.submit", "expenses.count", "apiError.invalidLogin", "settings.language"} <= keys


def test_every_key_used_is_in_every_catalogue() -> None:
    keys = used_keys()
    for language in LANGUAGES:
        missing = sorted(keys - set(catalogue(language)))
        assert missing == [], f"{language}.json lacks {missing}"


def test_no_catalogue_holds_keys_nobody_uses() -> None:
    unused = sorted(set(catalogue("en")) - used_keys())
    assert unused == []


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_catalogue_has_the_same_keys_and_placeholders(language: str) -> None:
    english, other = catalogue("en"), catalogue(language)
    assert sorted(set(english) ^ set(other)) == []
    for key, message in english.items():
        translated = other[key]
        assert isinstance(translated, str) == isinstance(message, str), f"{language} {key}: plural or not"
        assert placeholders(translated) == placeholders(message), f"{language} {key}: placeholders differ"
        for form, text in forms(translated).items():
            # A plural form may leave the count out ("un règlement") but names nothing else.
            assert set(PLACEHOLDER.findall(text)) <= placeholders(message), f"{language} {key} {form}"
            assert text.strip(), f"{language} {key} {form} is empty"


def test_english_plurals_say_one_and_other() -> None:
    for key, message in catalogue("en").items():
        if isinstance(message, dict):
            assert set(message) == {"one", "other"}, key


def test_the_language_list_matches_the_catalogues_and_the_api() -> None:
    script = (STATIC / "js" / "i18n.js").read_text(encoding="utf-8")
    listed = re.search(r"export const LANGUAGES = \{([^}]*)\}", script)
    assert listed is not None
    codes = re.findall(r"(\w+):", listed.group(1))
    assert tuple(codes) == LANGUAGES
    assert sorted(path.stem for path in (STATIC / "i18n").glob("*.json")) == sorted(LANGUAGES)
    assert set(get_args(Language)) == set(LANGUAGES)
