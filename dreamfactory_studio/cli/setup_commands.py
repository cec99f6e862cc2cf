"""The commands that set the studio up rather than touch a project: settings and the GPU stack."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dreamfactory_studio.core.errors import BadInput


def check_image(image) -> None:
    """What the image server is and has: ComfyUI's version, GPU, node packs; other backends need no server."""
    if image.backend != "comfyui":
        print(
            f"the image backend is {image.backend}: there is no image server to check (set image.backend=comfyui)"
        )
        return
    from dreamfactory_studio.backends.comfyui.server_check import check

    check(image.base_url, min(image.timeout, 15.0))


def cmd_settings(args: argparse.Namespace) -> int:
    import asyncio
    import getpass

    import tomli_w

    from dreamfactory_studio.backends.backend_set import check_llm
    from dreamfactory_studio.core.secrets import store_api_key
    from dreamfactory_studio.core.settings import (
        apply_llm_preset,
        load_settings,
        save_settings,
        set_setting,
        settings_path,
    )

    settings = load_settings(environment=False)
    changed = bool(args.set or args.preset)
    if args.preset:
        apply_llm_preset(settings.llm, args.preset)
    for item in args.set:
        name, equals, value = item.partition("=")
        if not equals:
            raise BadInput(f"--set needs SECTION.KEY=VALUE, not {item!r}.")
        settings = set_setting(settings, name.strip(), value.strip())
    if changed:
        save_settings(settings)
        print(f"saved {settings_path()}")
    if args.store_key:
        key = getpass.getpass("API key: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
        if not key:
            raise BadInput("no key was given; nothing was stored.")
        store_api_key(settings.llm.base_url, key)
        print(f"stored the key for {settings.llm.base_url or 'api.openai.com'} in the OS keyring")
    if args.store_hf_token:
        from dreamfactory_studio.core.secrets import store_hub_token

        token = (
            getpass.getpass("Hugging Face token: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
        )
        if not token:
            raise BadInput("no token was given; nothing was stored.")
        store_hub_token(token)
        print("stored the Hugging Face token in the OS keyring")
    if args.check_llm:
        print(asyncio.run(check_llm(load_settings().llm)))
    if args.check_image:
        check_image(load_settings().image)
    if not (changed or args.store_key or args.store_hf_token or args.check_llm or args.check_image):
        print(f"# {settings_path()}")
        print(tomli_w.dumps(settings.model_dump(mode="json")), end="")
    return 0


def cmd_gpu_stack(args: argparse.Namespace) -> int:
    from dreamfactory_studio.backends import gpu_stack

    if args.action == "remove":
        removed = gpu_stack.remove_managed_stack()
        print(f"removed {gpu_stack.managed_dir()}" if removed else "there was no GPU stack to remove")
        return 0
    if args.action == "install":
        # The window's Cancel is a SIGTERM, which dispatch turns into KeyboardInterrupt: pip stops with us.
        wanted = " ".join(gpu_stack.requirements(args.torch))
        print(f"installing {wanted} (this can take a few minutes)", flush=True)
        print(f"installed into {gpu_stack.install(args.torch, args.torch_index)}")
    where = gpu_stack.managed_dir()
    print(f"managed folder: {where}{'' if where.is_dir() else ' (not installed)'}")
    for name, version in gpu_stack.installed_versions().items():
        print(f"  {name:<13}{version or 'missing'}")
    missing = gpu_stack.missing_parts()
    print("the diffusers backends can run" if not missing else f"missing: {', '.join(missing)}")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from dreamfactory_studio.backends.image.checkpoints import list_models
    from dreamfactory_studio.cli.model_commands import list_recipes, models_action
    from dreamfactory_studio.core.settings import load_settings

    if args.action in ("get", "use", "remove"):
        return models_action(args)
    if args.recipe:
        raise BadInput(f"'{args.action}' is not get, use or remove; `models FOLDER` lists a folder.")
    if args.action is None:
        list_recipes()
    folder = args.action or load_settings().image.models_folder
    if not folder:
        return 0
    found = list_models(Path(folder))
    print(f"in {folder}:")
    for title, paths in (
        ("checkpoints (use with --image-model)", found.checkpoints),
        ("LoRAs (set on a character with `cast --lora`)", found.loras),
        ("IP-Adapters (settings: image.ip_adapter)", found.ip_adapters),
        ("refused: pickled weights, which the studio does not read", found.refused),
        ("unreadable: .safetensors files whose header is damaged or cut short", found.unreadable),
    ):
        print(f"{title}: {len(paths)}")
        for path in paths:
            print(f"  {path}")
    return 0
