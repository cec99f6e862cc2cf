"""Every backend is declared once, in ``core/backend_registry.py``: the settings' values, the command line's
choices, the settings dialog's lists, the status line's words and the workers' routing come from there."""

from __future__ import annotations

import importlib
import typing

import pytest

from dreamfactory_studio.backends.backend_set import make, speech_backend
from dreamfactory_studio.backends.speech import espeak_executable
from dreamfactory_studio.cli import build_parser
from dreamfactory_studio.core.backend_registry import BACKENDS, backend, chosen, names, uses_gpu
from dreamfactory_studio.core.settings import ImageSettings, Settings, SpeechSettings, VideoSettings

from .paths import REPO


def test_the_settings_and_the_command_line_take_exactly_the_registrys_names():
    assert typing.get_args(ImageSettings.model_fields["backend"].annotation) == names("painter")
    assert typing.get_args(VideoSettings.model_fields["backend"].annotation) == names("video")
    assert typing.get_args(SpeechSettings.model_fields["backend"].annotation) == names("speech")
    commands = build_parser()._subparsers._group_actions[0].choices  # noqa: SLF001
    options = {a.dest: a.choices for a in commands["run"]._actions if a.choices}  # noqa: SLF001
    assert tuple(options["image_backend"]) == names("painter")
    options = {a.dest: a.choices for a in commands["export"]._actions if a.choices}  # noqa: SLF001
    assert tuple(options["video_backend"]) == names("video") and tuple(options["speech"]) == names("speech")


def test_a_backends_name_is_written_nowhere_else():
    for path in (
        "ui/settings.ui",
        "dreamfactory_studio/cli/__init__.py",
        "dreamfactory_studio/app/status_line.py",
    ):
        text = (REPO / path).read_text()
        for name in ("comfyui", "espeak", "openai"):
            assert f'"{name}"' not in text and f"<string>{name}</string>" not in text, (path, name)


@pytest.mark.parametrize("entry", [b for b in BACKENDS if b.factory], ids=lambda b: f"{b.kind}-{b.name}")
def test_every_entry_is_made_from_its_settings_and_says_whether_it_runs_a_model(entry, tmp_path):
    module, _, name = entry.factory.partition(":")
    assert callable(getattr(importlib.import_module(f"dreamfactory_studio.backends.{module}"), name))
    if entry.name == "espeak" and not espeak_executable():
        pytest.skip("espeak-ng is not installed")
    settings = Settings()
    settings.llm.model = settings.monitor.model = "m"
    if entry.kind == "speech" and entry.name == "local":  # a local voice is made from its model folder
        from .tiny_voice import build_vits

        settings.speech.voice_model = str(build_vits(tmp_path / "voice"))
    made = make(entry, **{section: getattr(settings, section) for section in entry.takes})
    assert uses_gpu(made) is entry.uses_gpu
    section = getattr(settings, {"painter": "image"}.get(entry.kind, entry.kind))
    assert entry.words(section)


def test_a_section_chooses_its_entry_and_auto_speech_resolves_to_a_voice():
    settings = Settings()
    assert chosen("painter", settings.image).name == "sketch"
    assert chosen("llm", settings.llm).label == "offline writer"
    settings.llm.base_url, settings.llm.model = "http://127.0.0.1:9/v1", "m"
    assert chosen("llm", settings.llm).words(settings.llm) == "m @ http://127.0.0.1:9/v1"
    settings.monitor.base_url = "http://127.0.0.1:9/v1"  # no model: still the offline describer
    assert chosen("monitor", settings.monitor).name == "offline"
    assert speech_backend(settings.speech).name in ("espeak", "silence")
    with pytest.raises(KeyError):
        backend("painter", "fooocus")


def test_the_settings_dialog_offers_the_registrys_backends(window):
    from dreamfactory_studio.app.settings_dialog import SettingsDialog

    dialog = SettingsDialog(window)
    for combo, kind in (("imageBackend", "painter"), ("videoBackend", "video"), ("speechBackend", "speech")):
        box = dialog.find(combo)
        assert tuple(box.itemText(i) for i in range(box.count())) == names(kind)
    dialog.dialog.reject()


def test_a_backend_derived_from_a_registered_one_is_routed_as_it_is():
    from dreamfactory_studio.backends.image.sketch import SketchRenderer

    class Slower(SketchRenderer):  # as a test's stand-in for a slow painter is
        pass

    class Plugin:
        uses_gpu = False

    assert uses_gpu(Slower()) is False and uses_gpu(Plugin()) is False and uses_gpu(object()) is True
