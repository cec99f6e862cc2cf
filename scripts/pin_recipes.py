"""Pin every recipe to the commit its branch points at now, for the maintainers: each repository's ``revision``
in ``resources/models/recipes.toml`` that is a branch ("main") is asked of the Hub (``HF_ENDPOINT``, with the
token ``settings --store-hf-token`` keeps, for gated ones) and written back as that commit, so a user's
``models get`` fetches exactly the files the recipe was checked with. Needs the network; run it when a recipe
is added or a model is updated, look at the diff, and commit it.

    .venv/bin/python scripts/pin_recipes.py [--recipes PATH] [--dry-run]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
COMMIT = re.compile(r"[0-9a-f]{40}")


def pin(path: Path, *, dry_run: bool = False) -> list[tuple[str, str, str]]:
    """Pin the recipes of ``path``; return (repository, branch, commit) for each one pinned now."""
    from dreamfactory_studio.backends.model_downloads import hub_token, plan
    from dreamfactory_studio.core.atomic import atomic_write_bytes
    from dreamfactory_studio.core.model_recipes import read_recipes

    text = path.read_text(encoding="utf-8")
    pinned = []
    for recipe in read_recipes(path):
        branches = [r for r in recipe.repos if not COMMIT.fullmatch(r.revision)]
        if not branches:
            continue
        commits = plan(recipe, token=hub_token()).commits  # the recipe's files are checked to be there too
        for repo in branches:
            where = re.compile(
                rf'(repo\s*=\s*"{re.escape(repo.repo)}"\s*,\s*revision\s*=\s*)"{re.escape(repo.revision)}"'
            )
            text, count = where.subn(lambda m, c=commits[repo.repo]: f'{m.group(1)}"{c}"', text)
            if count:
                pinned.append((repo.repo, repo.revision, commits[repo.repo]))
    if pinned and not dry_run:
        atomic_write_bytes(path, text.encode("utf-8"))
    return pinned


def main() -> int:
    from dreamfactory_studio.core.errors import StudioError

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipes", type=Path, default=REPO / "resources" / "models" / "recipes.toml")
    parser.add_argument("--dry-run", action="store_true", help="say what would be pinned; change nothing")
    args = parser.parse_args()
    try:
        pinned = pin(args.recipes, dry_run=args.dry_run)
    except StudioError as exc:
        print(f"pin_recipes: {exc}", file=sys.stderr)
        return 2
    for repo, branch, commit in pinned:
        print(f"{repo}: {branch} -> {commit}")
    print(f"{len(pinned)} pinned" + (" (dry run: nothing written)" if args.dry_run else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
