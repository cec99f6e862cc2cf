"""Fetching a recipe's models from the Hugging Face Hub with ``huggingface_hub`` (its endpoint ``HF_ENDPOINT``,
its token from ``HF_TOKEN``/``HF_HOME`` or the OS keyring, its errors) into the studio's models folder, or a
chosen one.

The files are streamed by the studio itself, each into a ``.part`` file: huggingface_hub 2.x throws a partial
file away when a download fails, and a 20 GB model cut off at 19 GB must not start again. A download that is
killed, cut off or cancelled leaves its ``.part`` files, which the next ``get`` resumes with Range requests; the
free disk is checked against the files still to fetch before any byte is; each large file is checked against the
Hub's SHA-256 afterwards (a mismatch is deleted and fetched once more, then refused); only a recipe whose every
file arrived and checked out is recorded as fetched (``fetched.json`` in the data folder), and only a recorded
recipe can be used. Nothing half-downloaded is ever pointed at.
"""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dreamfactory_studio.core.atomic import atomic_write_text
from dreamfactory_studio.core.errors import BackendError, BadInput, StudioError
from dreamfactory_studio.core.model_recipes import Recipe
from dreamfactory_studio.core.paths import data_dir

GIB = 1024**3
Progress = Callable[[int, int], None]
"""Bytes fetched so far and in all."""


class DownloadCancelled(StudioError):
    """The user stopped a download; what arrived is kept for resuming."""


@dataclass(frozen=True)
class HubFile:
    path: str
    size: int
    sha256: str | None
    """The Hub's checksum of a large (LFS) file; None for a small one, which git's own id names."""


@dataclass
class Plan:
    """What a recipe's download fetches: each repository's commit and files, and the bytes still to fetch."""

    commits: dict[str, str] = field(default_factory=dict)
    files: dict[str, list[HubFile]] = field(default_factory=dict)
    total: int = 0
    missing: int = 0


def hub_token() -> str | None:
    """``HF_TOKEN`` (or huggingface_hub's stored token), else the one kept in the OS keyring."""
    from huggingface_hub import get_token

    from dreamfactory_studio.core.secrets import hub_token_from_keyring

    return get_token() or hub_token_from_keyring()


def fetched_file() -> Path:
    return data_dir() / "models" / "fetched.json"


def fetched() -> dict[str, dict]:
    """The recipes fetched whole: ``{id: {repo: {"path", "commit"}}}``."""
    try:
        data = json.loads(fetched_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _record(recipe_id: str, entry: dict | None) -> None:
    data = fetched()
    if entry is None:
        data.pop(recipe_id, None)
    else:
        data[recipe_id] = entry
    fetched_file().parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(fetched_file(), json.dumps(data, indent=1))


def state(recipe: Recipe) -> str:
    """``installed`` (recorded, every folder there), ``partly`` (some files arrived) or ``not``."""
    entry = fetched().get(recipe.id)
    if entry and all(Path(e["path"]).is_dir() for e in entry.values()):
        return "installed"
    started = any(_target(repo.repo, models_home()).is_dir() for repo in recipe.repos)
    return "partly" if started else "not"


def _hub_error(exc: Exception, repo: str) -> StudioError:
    """One clear message for what can go wrong reaching the Hub."""
    from huggingface_hub.constants import ENDPOINT
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        RemoteEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    if isinstance(exc, GatedRepoError):
        return BadInput(
            f"{repo} is gated: accept its licence on its page ({ENDPOINT}/{repo}) with your Hugging Face account, "
            "then store a token for the studio (`dreamfactory-studio settings --store-hf-token`) and get it again."
        )
    if isinstance(exc, RepositoryNotFoundError):
        return BadInput(
            f"{repo} is not on {ENDPOINT} (or it is private and no token was given); check HF_ENDPOINT, or store a "
            "token with `dreamfactory-studio settings --store-hf-token`."
        )
    if isinstance(exc, (RevisionNotFoundError, RemoteEntryNotFoundError)):
        return BadInput(
            f"{repo} no longer has what the recipe names ({exc.__class__.__name__}); update the studio."
        )
    if isinstance(exc, HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else "?"
        return BackendError(f"the Hub at {ENDPOINT} answered {status} for {repo}; try again later.")
    if isinstance(exc, OSError) or type(exc).__module__.split(".")[0].startswith("httpx"):
        return BackendError(
            f"cannot reach the Hub at {ENDPOINT} ({type(exc).__name__}); check the network, or set HF_ENDPOINT to a "
            "mirror. What was fetched so far is kept, and the next `models get` goes on from there."
        )
    return BackendError(f"fetching {repo} failed ({exc}); what was fetched so far is kept for the next try.")


def _quiet() -> None:
    """huggingface_hub's own retries and warnings stay in the log; the user gets one line."""
    from huggingface_hub.utils import logging as hub_logging

    hub_logging.set_verbosity_error()


def plan(recipe: Recipe, home: Path | None = None, token: str | None = None) -> Plan:
    """Ask the Hub for each repository's commit and the recipe's files in it, and what is not here yet."""
    from huggingface_hub import HfApi
    from huggingface_hub.hf_api import RepoFile

    _quiet()
    api = HfApi(token=token)
    made = Plan()
    for repo in recipe.repos:
        try:
            commit = api.repo_info(repo.repo, revision=repo.revision).sha
            tree = api.list_repo_tree(repo.repo, revision=commit, recursive=True)
            files = [
                HubFile(f.path, f.size, f.lfs.sha256 if f.lfs is not None else None)
                for f in tree
                if isinstance(f, RepoFile) and any(fnmatch.fnmatch(f.path, p) for p in repo.files)
            ]
        except Exception as exc:  # noqa: BLE001 - each is turned into one message
            raise _hub_error(exc, repo.repo) from None
        if not files:
            raise BadInput(f"{repo.repo} has none of the files the recipe names; update the studio.")
        strange = [f.path for f in files if not _inside(f.path)]
        if strange:  # a mirror must not write outside the model's folder
            raise BackendError(
                f"{repo.repo} names files outside its folder ({strange[0]}); nothing was fetched."
            )
        made.commits[repo.repo], made.files[repo.repo] = commit, files
        made.total += sum(f.size for f in files)
        made.missing += sum(f.size - _have(repo.repo, f, home or models_home()) for f in files)
    return made


def _inside(path: str) -> bool:
    """Whether a path the Hub names stays inside the model's folder."""
    parts = Path(path).parts
    return bool(parts) and not Path(path).is_absolute() and ".." not in parts and "\\" not in path


def _target(repo: str, home: Path) -> Path:
    return Path(home) / repo.replace("/", "--")


def _have(repo: str, file: HubFile, home: Path) -> int:
    """The bytes of ``file`` already here, whole or started."""
    path = _target(repo, home) / file.path
    if path.is_file():
        return path.stat().st_size
    part = path.with_name(path.name + ".part")
    return part.stat().st_size if part.is_file() else 0


def models_home() -> Path:
    """Where recipes are fetched unless ``--to`` says otherwise: the studio's models folder."""
    return data_dir() / "models"


def get(
    recipe: Recipe,
    *,
    to: Path | None = None,
    on_progress: Progress = lambda done, total: None,
    cancelled: Callable[[], bool] = lambda: False,
    free_gb: float | None = None,
) -> dict[str, Path]:
    """Fetch every file of ``recipe`` (resuming what is here), check them, record the recipe as fetched and return
    each repository's folder. ``free_gb``: the disk free where the files go (checked before any byte is fetched)."""
    token = hub_token()
    home = Path(to).expanduser() if to else models_home()
    made = plan(recipe, home, token)
    if free_gb is not None and made.missing / GIB > free_gb:
        raise BadInput(
            f"{recipe.id} needs {made.missing / GIB:.1f} GB more and the disk has {free_gb:.1f} GB free; free some "
            "space, or fetch it to another disk with --to FOLDER."
        )
    done = [made.total - made.missing]
    on_progress(done[0], made.total)

    def progressed(count: int) -> None:
        done[0] += count
        on_progress(min(done[0], made.total), made.total)
        if cancelled():
            raise DownloadCancelled(
                "the download was stopped; what arrived is kept, and the next get resumes it"
            )

    folders: dict[str, Path] = {}
    for repo in recipe.repos:
        folder = _target(repo.repo, home)
        for file in made.files[repo.repo]:
            for attempt in (1, 2):
                before = _fetch(repo.repo, made.commits[repo.repo], file, folder, token, progressed)
                if file.sha256 is None or _sha256(folder / file.path) == file.sha256:
                    break
                (folder / file.path).unlink()  # refused, and fetched once more
                done[0] -= file.size - before
                if attempt == 2:
                    raise BackendError(
                        f"{file.path} of {repo.repo} did not match the Hub's checksum twice; nothing was recorded. "
                        "Check the network or the mirror (HF_ENDPOINT)."
                    )
        folders[repo.repo] = folder
    _record(recipe.id, {repo: {"path": str(p), "commit": made.commits[repo]} for repo, p in folders.items()})
    return folders


def _fetch(
    repo: str, commit: str, file: HubFile, folder: Path, token, progressed: Callable[[int], None]
) -> int:
    """Fetch one file into ``folder`` through a ``.part`` file that a later call resumes with a Range request;
    return the bytes that were here before."""
    from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

    final = folder / file.path
    if final.is_file() and final.stat().st_size == file.size:
        return file.size
    part = final.with_name(final.name + ".part")
    part.parent.mkdir(parents=True, exist_ok=True)
    have = part.stat().st_size if part.is_file() else 0
    headers = build_hf_headers(token=token)
    if have:
        headers["Range"] = f"bytes={have}-"
    from urllib.parse import quote

    from huggingface_hub import constants

    # The endpoint read now (hf_hub_url's template is fixed when huggingface_hub is imported).
    url = f"{constants.ENDPOINT.rstrip('/')}/{repo}/resolve/{commit}/{quote(file.path)}"
    try:
        with get_session().stream("GET", url, headers=headers, follow_redirects=True) as response:
            hf_raise_for_status(response)
            if response.status_code != 206:  # the whole file: start again
                have = 0
            with open(part, "ab" if have else "wb") as out:
                for chunk in response.iter_bytes():  # as they come: a cut keeps what arrived
                    out.write(chunk)
                    progressed(len(chunk))
    except (DownloadCancelled, StudioError):
        raise
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            raise BackendError(
                f"the disk is full at {folder} ({exc.strerror}); what arrived of {file.path} is kept: free some "
                "space (or fetch to another disk with --to) and get it again to go on."
            ) from None
        raise _hub_error(exc, repo) from None
    except Exception as exc:  # noqa: BLE001 - each is turned into one message; the part is kept
        raise _hub_error(exc, repo) from None
    if part.stat().st_size != file.size:
        raise BackendError(
            f"{repo} sent {part.stat().st_size} of {file.path}'s {file.size} bytes; the next get goes on from there."
        )
    part.replace(final)
    return have


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def folder_of(recipe: Recipe) -> dict[str, Path]:
    """Each repository's folder of a recipe fetched whole; :class:`BadInput` when it is not."""
    entry = fetched().get(recipe.id)
    if not entry or not all(Path(e["path"]).is_dir() for e in entry.values()):
        raise BadInput(
            f"{recipe.id} is not fetched yet; get it first: `dreamfactory-studio models get {recipe.id}`."
        )
    return {repo: Path(e["path"]) for repo, e in entry.items()}


def settings_for(recipe: Recipe) -> dict[str, str]:
    """The settings a fetched recipe fills, its repositories' folders put in."""
    folders = folder_of(recipe)
    filled = {}
    for key, value in recipe.fills.items():
        for repo, path in folders.items():
            value = value.replace("{" + repo + "}", str(path))
        filled[key] = value
    return filled


def remove(recipe: Recipe) -> list[Path]:
    """Delete what was fetched of a recipe (whole or in part) and its record."""
    folders = {Path(e["path"]) for e in fetched().get(recipe.id, {}).values()}
    folders |= {_target(repo.repo, models_home()) for repo in recipe.repos}
    removed = [folder for folder in sorted(folders) if folder.is_dir()]
    for folder in removed:
        shutil.rmtree(folder)
    _record(recipe.id, None)
    return removed
