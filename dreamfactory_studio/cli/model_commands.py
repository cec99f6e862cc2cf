"""``models``: the recipes and what this machine can run; ``models get``, ``use`` and ``remove``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from dreamfactory_studio.core.errors import BadInput


def _machine(to: str | None = None):
    from dreamfactory_studio.backends.machine import survey
    from dreamfactory_studio.backends.model_downloads import models_home

    return survey(Path(to) if to else models_home())


def list_recipes() -> None:
    """Each recipe with its state, size, fit on this machine and licence, and the advice for this machine."""
    from dreamfactory_studio.backends.model_downloads import state
    from dreamfactory_studio.core.model_recipes import recipes, recommended

    machine = _machine()
    gpus = ", ".join(f"{g.name} ({g.total_gb:.0f} GB, {g.free_gb:.0f} free)" for g in machine.gpus) or "none"
    print(f"this machine: GPU {gpus}; {machine.free_disk_gb:.0f} GB free on disk for models")
    tier, advised = recommended(machine.largest_gb)
    print(f"for {tier}: {', '.join(advised)}")
    print()
    for made in recipes():
        fit = (
            "runs on the CPU" if made.cpu_ok and machine.largest_gb is None else made.fit(machine.largest_gb)
        )
        licence = f"{made.licence.name}{' (gated)' if made.gated else ''}"
        commercial = {"yes": "commercial use", "limited": "commercial use limited", "no": "non-commercial"}
        print(f"{made.id:<22} {state(made):<9} {made.size_gb:5.1f} GB  {fit:<17} {made.kind:<8} {made.label}")
        print(f"{'':<22} {licence}; {commercial[made.licence.commercial]}")


def models_action(args: argparse.Namespace) -> int:
    from dreamfactory_studio.backends import model_downloads
    from dreamfactory_studio.core.model_recipes import recipe

    if not args.recipe:
        raise BadInput(f"say which recipe to {args.action}: `models {args.action} ID` (`models` lists them).")
    if args.recipe.startswith("crew:"):
        if args.action != "get":
            raise BadInput(
                "a crew model lives in Ollama: `models get crew:NAME` pulls it and points the crew at it."
            )
        return _crew(args.recipe.removeprefix("crew:"))
    made = recipe(args.recipe)
    if args.action == "remove":
        removed = model_downloads.remove(made)
        print(
            f"removed {made.id}"
            + (f": {', '.join(map(str, removed))}" if removed else " (nothing was fetched)")
        )
        return 0
    if args.action == "use":
        return _use(made)
    machine = _machine(args.to)
    if not made.cpu_ok and machine.largest_gb is None and not args.force:
        raise BadInput(
            f"{made.id} needs a GPU ({made.offload_gb:.0f} GB or more with offload) and this machine has none; "
            "`models get sd-turbo` runs on a CPU, or give --force to fetch it anyway."
        )
    if made.asks_acceptance and not args.accept_licence and not args.dry_run:
        why = "it is gated on the Hub" if made.gated else f"its commercial use is {made.licence.commercial}"
        raise BadInput(
            f"{made.id} comes under the {made.licence.name} ({made.licence.url}), and {why}: read it, then get it "
            "with --accept-licence."
        )
    if args.dry_run:
        plan = model_downloads.plan(made, Path(args.to) if args.to else None, model_downloads.hub_token())
        for repo, files in plan.files.items():
            print(
                f"{repo} @ {plan.commits[repo][:12]}: {len(files)} files, {sum(f.size for f in files) / 1e9:.2f} GB"
            )
        print(
            f"{made.id}: {plan.total / 1e9:.2f} GB in all, {plan.missing / 1e9:.2f} GB still to fetch; "
            f"{machine.free_disk_gb:.0f} GB free"
        )
        return 0
    started, shown = time.monotonic(), [0.0]
    first = [None]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if first[0] is None:
            first[0] = done  # what was here before: the rate counts only what this run fetches
        if now - shown[0] < 0.5 and done < total:
            return
        shown[0] = now
        rate = (done - first[0]) / max(now - started, 1e-3)
        left = f"{(total - done) / rate:.0f} s left" if rate > 0 else "starting"
        sys.stdout.write(f"\r{made.id}: {_size(done)} of {_size(total)}, {_size(rate)}/s, {left}   ")
        sys.stdout.flush()

    folders = model_downloads.get(
        made, to=Path(args.to) if args.to else None, on_progress=progress, free_gb=machine.free_disk_gb
    )
    print()
    for repo, folder in folders.items():
        print(f"fetched {repo} into {folder}")
    return _use(made) if args.use else 0


def _size(count: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count:.0f} B"


def _use(made) -> int:
    from dreamfactory_studio.backends.model_downloads import settings_for
    from dreamfactory_studio.core.settings import load_settings, save_settings, set_setting

    settings = load_settings(environment=False)
    for key, value in settings_for(made).items():
        settings = set_setting(settings, key, value)
    save_settings(settings)
    print(
        f"the settings now use {made.id}: " + ", ".join(f"{k} = {v}" for k, v in settings_for(made).items())
    )
    return 0


def _crew(name: str) -> int:
    """Ask the Ollama server to pull ``name`` and point the crew (the LLM settings) at it."""
    from dreamfactory_studio.backends.llm.ollama_pull import ollama_root, pull
    from dreamfactory_studio.core.settings import load_settings, save_settings

    if not name:
        raise BadInput("say which model Ollama should pull: `models get crew:llama3.1`.")
    settings = load_settings(environment=False)
    root = ollama_root(load_settings().llm.base_url)
    shown = [""]

    def progress(status: str, done: int, total: int) -> None:
        line = f"{status} {_size(done)} of {_size(total)}" if total else status
        if line != shown[0]:
            sys.stdout.write(f"\r{line[:100]:<100}")
            sys.stdout.flush()
            shown[0] = line

    pull(root, name, progress)
    print()
    settings.llm.base_url, settings.llm.model = f"{root}/v1", name
    save_settings(settings)
    print(f"the crew now talks to {name} at {root}/v1")
    return 0
