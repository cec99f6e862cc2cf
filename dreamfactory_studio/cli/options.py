"""What the command line's options change for one command: the settings for this run only."""

from __future__ import annotations

import argparse

from dreamfactory_studio.core.errors import BadInput

OPTION_OF = {"LLMSettings.base_url": "--llm-url", "ImageSettings.base_url": "--image-url"}
"""The option that sets a setting, for a message about the value given."""


def settings_for(args: argparse.Namespace):
    """The settings, with what this command's options change for this run only."""
    from pydantic import ValidationError

    from dreamfactory_studio.core.settings import load_settings

    settings = load_settings()
    try:
        _apply(args, settings)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = OPTION_OF.get(f"{exc.title}.{first['loc'][0]}", f"{exc.title}.{first['loc'][0]}")
        raise BadInput(f"{where}: {first['msg'].removeprefix('Value error, ')}") from None
    return settings


def _apply(args: argparse.Namespace, settings) -> None:
    if getattr(args, "llm_url", None) is not None:
        settings.llm.base_url = args.llm_url
    if getattr(args, "llm_model", None):
        settings.llm.model = args.llm_model
    for section in (settings.image, settings.video):
        kind = "image" if section is settings.image else "video"
        model, backend = getattr(args, f"{kind}_model", None), getattr(args, f"{kind}_backend", None)
        if model:  # a model given on the command line is a diffusers model unless a backend is named
            section.model, section.backend = model, backend or "diffusers"
        elif backend:
            section.backend = backend
    if getattr(args, "devices", None):
        settings.compute.devices, settings.compute.backend = args.devices, "local"
    if getattr(args, "ray", None):
        settings.compute.backend, settings.compute.address = "ray", args.ray
    if getattr(args, "image_url", None):
        settings.image.base_url = args.image_url
    if getattr(args, "speech", None):
        settings.speech.backend = args.speech
    if getattr(args, "clip_end", None):
        settings.video.clip_end = args.clip_end
