from __future__ import annotations

import re
from pathlib import Path

import pytest

from kinabot.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_in_the_readme_table() -> None:
    documented = set(re.findall(r"^\| `(KINABOT_[A-Z_]+)` \|", README.read_text(encoding="utf-8"), re.MULTILINE))
    expected = {f"KINABOT_{name.upper()}" for name in Settings.model_fields}
    assert expected - documented == set(), "settings missing from the README's configuration table"
    assert documented - expected == set(), "the README documents settings that do not exist"


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINABOT_TOP_K", "7")
    monkeypatch.setenv("KINABOT_CORS_ORIGINS", '["https://www.regionkronoberg.se"]')
    settings = Settings()
    assert settings.top_k == 7
    assert settings.cors_origins == ["https://www.regionkronoberg.se"]


def test_out_of_range_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINABOT_TOP_K", "99")
    with pytest.raises(ValueError, match="top_k"):
        Settings()


def test_contact_route_per_language() -> None:
    settings = Settings()
    assert settings.contact("sv").startswith("Kontakta")
    assert settings.contact("zh").startswith("请联系")
    assert settings.contact("en").startswith("Contact")
