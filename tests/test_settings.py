from __future__ import annotations

import pytest

from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.secrets import api_key, redact
from dreamfactory_studio.core.settings import load_settings, save_settings, settings_path


def test_defaults_are_the_offline_backends():
    settings = load_settings()
    assert settings.llm.base_url == "" and settings.image.backend == "sketch"
    assert settings.defaults.scenes == 10


def test_file_round_trip_and_environment_overrides(monkeypatch):
    settings = load_settings()
    settings.llm.base_url = "http://localhost:11434/v1"
    settings.llm.model = "llama3.1"
    settings.image.backend = "diffusers"
    save_settings(settings)
    assert load_settings() == settings
    monkeypatch.setenv("DREAMFACTORY_LLM_MODEL", "qwen2.5")
    monkeypatch.setenv("DREAMFACTORY_DEFAULTS_SCENES", "12")
    overridden = load_settings()
    assert overridden.llm.model == "qwen2.5" and overridden.defaults.scenes == 12
    assert overridden.llm.base_url == "http://localhost:11434/v1"


def test_bad_settings_give_clear_errors(monkeypatch):
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[llm\nmodel = ")
    with pytest.raises(BadInput, match="not valid TOML"):
        load_settings()
    path.write_text('[image]\nbackend = "midjourney"\n')
    with pytest.raises(BadInput, match="image.backend"):
        load_settings()
    path.unlink()
    monkeypatch.setenv("DREAMFACTORY_DEFAULTS_FPS", "23")
    with pytest.raises(BadInput, match="defaults.fps"):
        load_settings()


def test_api_key_comes_from_the_environment_and_is_never_in_settings(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-abcdefghijklmnop")
    assert api_key("https://api.openai.com/v1") == "sk-abcdefghijklmnop"
    save_settings(load_settings())
    assert "sk-" not in settings_path().read_text()


def test_redaction():
    assert "sk-live" not in redact("key sk-live0123456789abcdef used")
    assert redact("Authorization: Bearer abcdefghijklmnop") == "Authorization: Bearer [redacted]"
    assert redact('api_key="abcdefgh12345678"') == 'api_key="[redacted]"'
    assert redact("nothing secret here") == "nothing secret here"
