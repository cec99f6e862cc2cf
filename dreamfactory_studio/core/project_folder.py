"""The project folder on disk.

::

    PROJECT/
      project.json          the project (schema-versioned; transcripts kept apart)
      transcripts/PHASE.jsonl   every conversation, one message a line
      assets/HASH.EXT       images and clips, named by the SHA-256 of their bytes
      exports/              what the user exported
      .autosave/project.json    the last good state, or unsaved edits newer than project.json
      .lock                 held while a program may write

Every write is atomic. Nothing here deletes a user's file: a damaged ``project.json`` is moved aside, not
overwritten, when the autosave is restored.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError

from dreamfactory_studio.core.atomic import DIR_MODE, atomic_write_bytes, atomic_write_text
from dreamfactory_studio.core.errors import (
    USER_OS_ERRORS,
    BadInput,
    DamagedProject,
    ProjectError,
    StudioError,
    UnsafeSave,
)
from dreamfactory_studio.core.migrations import migrate
from dreamfactory_studio.core.model import PHASES, Project, TranscriptMessage, now
from dreamfactory_studio.core.project_lock import LOCK_NAME, ProjectLock
from dreamfactory_studio.core.reading import without_surrogates
from dreamfactory_studio.core.secrets import redact_values

log = logging.getLogger(__name__)

PROJECT_FILE = "project.json"
AUTOSAVE_FILE = Path(".autosave") / PROJECT_FILE
ASSETS = "assets"
TRANSCRIPTS = "transcripts"
EXPORTS = "exports"
MEMORY = "memory"
SCRATCH = ".scratch"
PROTECTED = (PROJECT_FILE, AUTOSAVE_FILE.parent.name, TRANSCRIPTS, ASSETS, MEMORY, SCRATCH, LOCK_NAME)
"""What the project's own files are: no export may land on them."""


def is_project(path: Path) -> bool:
    return (Path(path) / PROJECT_FILE).is_file()


def holds(root: Path, path: Path) -> bool:
    """Whether ``path`` is one of the own files of the project at ``root`` (an export must never land there:
    ``project.json``, the autosave, transcripts, assets, memory, scratch, the lock), also through a hard link."""
    root, resolved = Path(root).expanduser().resolve(), Path(path).expanduser().resolve()
    if not resolved.is_relative_to(root):
        return _same_file_as_own(root, resolved)
    parts = resolved.relative_to(root).parts
    return not parts or parts[0] in PROTECTED or parts[0].startswith(f"{PROJECT_FILE}.")


def _same_file_as_own(root: Path, path: Path) -> bool:
    """Whether ``path`` is, through a hard link, one of the project's own files."""
    try:
        target = path.stat()
    except OSError:
        return False
    if target.st_nlink < 2:
        return False
    own = [root / PROJECT_FILE, root / LOCK_NAME]
    for name in (AUTOSAVE_FILE.parent.name, TRANSCRIPTS, ASSETS, MEMORY):
        with contextlib.suppress(OSError):
            own += [Path(entry.path) for entry in os.scandir(root / name)]
    for file in own:
        with contextlib.suppress(OSError):
            info = file.lstat()
            if (info.st_dev, info.st_ino) == (target.st_dev, target.st_ino):
                return True
    return False


def _describe_validation(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "top level"
    return f"{where}: {first['msg']}"


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _project_faults(text: str, source: str) -> tuple[Project | None, str]:
    """The project a ``project.json`` text holds, or None and why the loader refuses it (a schema it cannot
    read raises its own error)."""
    try:
        document = json.loads(text)
    except RecursionError:
        # The C decoder's own depth limit (about a thousand levels; the studio writes about six).
        return None, "it nests far deeper than a project does"
    except json.JSONDecodeError as exc:
        return None, f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    if not isinstance(document, dict):
        return None, "it does not hold a JSON object"
    if _SURROGATE_ESCAPE.search(text):
        # A "\ud83d" escape with no partner loads, but no save could write it back out.
        document = json.loads(without_surrogates(json.dumps(document, ensure_ascii=False)))
    document = migrate(document, source)
    try:
        project = Project.model_validate(document)
    except ValidationError as exc:
        return None, _describe_validation(exc)
    problems = project.problems()
    if problems:
        return None, "; ".join(problems)
    return project, ""


def parse_project(text: str, source: str) -> Project:
    """Parse and validate a ``project.json`` text, migrating old schemas; raise :class:`DamagedProject`."""
    project, fault = _project_faults(text, source)
    if project is None:
        raise DamagedProject(f"{source} is damaged ({fault}).")
    return project


def project_json(project: Project) -> str:
    """The text of ``project.json`` for a project (without its transcripts)."""
    try:
        return project.model_dump_json(indent=1, exclude={"transcripts"})
    except PydanticSerializationError:
        # A lone surrogate (an argument that was not UTF-8, a server's "\ud83d") that UTF-8 cannot hold.
        data = project.model_dump(mode="json", exclude={"transcripts"})
        return without_surrogates(json.dumps(data, indent=1, ensure_ascii=False))


def _message_json(message: TranscriptMessage) -> str:
    try:
        return message.model_dump_json()
    except PydanticSerializationError:
        return without_surrogates(json.dumps(message.model_dump(mode="json"), ensure_ascii=False))


class ProjectFolder:
    """An open project folder. Open with :meth:`open` or make one with :meth:`create`; :meth:`close` after."""

    def __init__(self, root: Path, *, read_only: bool = False):
        self.root = Path(root).resolve()
        self.read_only = read_only
        self._lock = None if read_only else ProjectLock(self.root)
        self._written: dict[str, str] = {}  # each transcript file's text as last written by this folder

    # -- opening and making --------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str, *, read_only: bool = False) -> ProjectFolder:
        """Open a project folder, taking its lock unless ``read_only``."""
        path = Path(path).expanduser()
        if not path.exists():
            raise ProjectError(
                f"{path} does not exist. Make a project with `dreamfactory-studio new STORY {path}`."
            )
        if not path.is_dir() or not is_project(path):
            raise ProjectError(f"{path} is not a DreamFactory project (it has no {PROJECT_FILE}).")
        folder = cls(path, read_only=read_only)
        if folder._lock is not None:
            folder._lock.acquire()
            if folder._lock.took_over:
                log.warning("took over a stale lock in %s left by pid %s", path, folder._lock.took_over.pid)
            folder._sweep_partial_writes()
        return folder

    @classmethod
    def create(cls, path: Path | str, project: Project) -> ProjectFolder:
        """Make a new project folder holding ``project``, all at once: it appears complete or not at all."""
        path = Path(path).expanduser()
        taken = BadInput(f"{path} already exists and is not empty; choose a new folder for the project.")
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise taken
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # The name is cut short: a folder name near the file system's 255-byte limit must still stage.
            short = path.name.encode()[:48].decode(errors="ignore")
            staging = Path(tempfile.mkdtemp(prefix=f".{short}.", suffix=".partial", dir=path.parent))
            staging.chmod(DIR_MODE)
        except OSError as exc:
            raise BadInput(f"cannot make a project in {path.parent}: {exc.strerror}.") from exc
        try:
            cls(staging, read_only=True)._write_all(project)
            try:
                with contextlib.suppress(FileNotFoundError):
                    path.rmdir()
                os.rename(staging, path)
            except OSError as exc:
                # Another program made the folder, or filled it, between our look and our rename.
                if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
                    raise taken from None
                raise
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return cls.open(path)

    def close(self) -> None:
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> ProjectFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ------------------------------------------------------------------------------------------

    def inside(self, relative: str | Path) -> Path:
        """The absolute path of ``relative`` in the project folder: every path the studio takes from a project
        file or reads and writes in the folder comes through here. A path that leaves the folder, also through
        a symlink, is refused."""
        candidate = (self.root / relative).resolve()
        if Path(relative).is_absolute() or not candidate.is_relative_to(self.root):
            raise ProjectError(
                f"the path {str(relative)!r} leaves the project folder {self.root}; it was refused."
            )
        return candidate

    @property
    def project_file(self) -> Path:
        return self.inside(PROJECT_FILE)

    @property
    def autosave_file(self) -> Path:
        return self.inside(AUTOSAVE_FILE)

    def load(self) -> Project:
        """Read the project. A damaged file raises :class:`DamagedProject` naming the autosave, if there is one."""
        try:
            text = self.project_file.read_text(encoding="utf-8")
            project = parse_project(text, str(self.project_file))
        except (DamagedProject, UnicodeDecodeError) as exc:
            message = (
                str(exc)
                if isinstance(exc, DamagedProject)
                else f"{self.project_file} is damaged (not UTF-8)."
            )
            autosave = self._good_autosave()
            if autosave:
                message += (
                    f" The last good state, saved {autosave.modified:%Y-%m-%d %H:%M}, can be restored with "
                    f"`dreamfactory-studio recover {self.root}` (the damaged file is kept beside it)."
                )
            else:
                message += " No autosave exists to restore from."
            raise DamagedProject(message, str(self.autosave_file) if autosave else None) from exc
        project.transcripts = self._load_transcripts()
        return project

    def _good_autosave(self) -> Project | None:
        try:
            return parse_project(self.autosave_file.read_text(encoding="utf-8"), str(self.autosave_file))
        except (OSError, UnicodeDecodeError, ProjectError):
            return None

    def newer_autosave(self) -> Project | None:
        """The autosave when it holds edits that ``project.json`` lacks (after a crash), else None."""
        autosave = self._good_autosave()
        if autosave is None:
            return None
        try:
            current = self.project_file.read_text(encoding="utf-8")
        except OSError:
            return autosave
        return autosave if project_json(autosave) != current else None

    def recover(self, *, force: bool = False) -> Project:
        """Restore the autosave as ``project.json``. The file it replaces is always kept beside it, as
        ``project.json.damaged-TIME`` or, when it was readable, ``project.json.replaced-TIME``; a readable
        ``project.json`` is replaced only when ``force`` is given."""
        self._check_writable()
        autosave = self._good_autosave()
        if autosave is None:
            raise DamagedProject(f"{self.root} has no readable autosave to restore.")
        try:
            parse_project(self.project_file.read_text(encoding="utf-8"), str(self.project_file))
            healthy = True
        except (OSError, UnicodeDecodeError, ProjectError):
            healthy = False
        if healthy and not force:
            raise BadInput(
                f"{self.project_file} is readable, so there is nothing to recover; its autosave was left alone. "
                "To go back to the autosave anyway, run `recover --force` (the current file is kept beside it)."
            )
        stamp = f"{PROJECT_FILE}.{'replaced' if healthy else 'damaged'}-{now():%Y%m%d-%H%M%S}"
        aside = self.root / stamp
        for count in range(2, 10_000):  # a copy kept earlier in the same second is never overwritten
            if not os.path.lexists(aside):
                break
            aside = self.root / f"{stamp}-{count}"
        with contextlib.suppress(FileNotFoundError):
            os.replace(self.project_file, aside)
        atomic_write_text(self.project_file, project_json(autosave))
        autosave.transcripts = self._load_transcripts()
        return autosave

    def discard_autosave(self) -> None:
        """Make the autosave the saved state again: the user chose not to keep unsaved edits."""
        self._check_writable()
        try:
            text = self.project_file.read_text(encoding="utf-8")
        except OSError:
            return
        atomic_write_text(self.autosave_file, text)

    def _load_transcripts(self) -> list[TranscriptMessage]:
        folder = self.inside(TRANSCRIPTS)
        files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
        rank = {name: index for index, name in enumerate(PHASES)}
        files.sort(key=lambda f: (rank.get(f.stem, len(rank)), f.stem))
        messages: list[TranscriptMessage] = []
        for file in files:
            # JSON escapes "\n" but not U+2028 and the other separators that str.splitlines() splits on.
            for number, line in enumerate(file.read_text(encoding="utf-8").split("\n"), start=1):
                if not line.strip():
                    continue
                try:
                    messages.append(TranscriptMessage.model_validate_json(line))
                except ValidationError as exc:
                    raise DamagedProject(
                        f"{file} line {number} is damaged ({_describe_validation(exc)})."
                    ) from exc
        return messages

    # -- writing ------------------------------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self.read_only:
            raise ProjectError(f"{self.root} is open read-only; nothing was written.")

    def save(self, project: Project) -> None:
        """Write the project and its transcripts; the autosave becomes this state too."""
        self._check_writable()
        project.modified = now()
        try:
            self._write_all(project)
        except OSError as exc:
            # A full disk, a quota, a read-only folder: the user's machine, exit 2 like any other input.
            error = BadInput if exc.errno in USER_OS_ERRORS else StudioError
            raise error(
                f"could not save {self.project_file}: {exc.strerror or exc}. The previous save is intact; "
                "free some space or fix the folder's permissions, then save again."
            ) from exc

    def scratch(self) -> Path:
        """A folder for work in progress (a clip being rendered), emptied whenever the project is opened for
        writing, so that nothing a killed program was making stays behind, here or in the system's temp."""
        folder = self.inside(SCRATCH)
        folder.mkdir(exist_ok=True)
        return folder

    def _sweep_partial_writes(self) -> None:
        scratch = self.inside(SCRATCH)
        if scratch.is_dir():
            shutil.rmtree(scratch, ignore_errors=True)
        # Temp files of saves cut short by a crash; only the lock holder may remove them.
        for folder in (
            self.root,
            *(self.inside(name) for name in (AUTOSAVE_FILE.parent, TRANSCRIPTS, ASSETS)),
        ):
            for leftover in folder.glob(".*.tmp") if folder.is_dir() else ():
                with contextlib.suppress(OSError):
                    leftover.unlink()

    def _sound_text(self, project: Project) -> str:
        """The text to write for ``project``, checked by the loader's own rules first: nothing is saved, nor
        autosaved, that the studio would refuse to open."""
        text = redact_values(project_json(project))  # no key reaches a project file, however it got in
        checked, fault = _project_faults(text, str(self.project_file))
        if checked is None:
            log.error("refused to save %s: %s", self.root, fault)
            raise UnsafeSave(
                f"the project was not saved: it would not open again ({fault}). The last save in {self.root} "
                "is kept; undo the last change, or report this with the log."
            )
        return text

    def _write_all(self, project: Project) -> None:
        text = self._sound_text(project)
        for name in (ASSETS, TRANSCRIPTS, EXPORTS, AUTOSAVE_FILE.parent.name):
            self.inside(name).mkdir(exist_ok=True)
        self._write_transcripts(project.transcripts)
        atomic_write_text(self.project_file, text)
        atomic_write_text(self.autosave_file, text)

    def autosave(self, project: Project) -> None:
        """Keep unsaved edits in the autosave, leaving ``project.json`` as it was."""
        self._check_writable()
        self.inside(AUTOSAVE_FILE.parent).mkdir(exist_ok=True)
        project.modified = now()
        atomic_write_text(self.autosave_file, self._sound_text(project))

    def _write_transcripts(self, messages: list[TranscriptMessage]) -> None:
        by_phase: dict[str, list[str]] = {}
        for message in messages:
            by_phase.setdefault(message.phase, []).append(_message_json(message))
        for phase, lines in by_phase.items():
            target = self.inside(f"{TRANSCRIPTS}/{phase}.jsonl")
            text = redact_values("\n".join(lines) + "\n")
            if self._written.get(phase) != text or not target.exists():
                atomic_write_text(target, text)
                self._written[phase] = text

    # -- assets -------------------------------------------------------------------------------------------

    def add_asset(self, data: bytes, suffix: str) -> str:
        """Store bytes as an asset named by their hash; return its project-relative path."""
        self._check_writable()
        suffix = suffix if suffix.startswith(".") else f".{suffix}"
        relative = f"{ASSETS}/{hashlib.sha256(data).hexdigest()}{suffix.lower()}"
        target = self.inside(relative)
        if not target.exists():
            target.parent.mkdir(exist_ok=True)
            atomic_write_bytes(target, data)
        return relative

    def asset_intact(self, relative: str) -> bool:
        """Whether an asset exists and its bytes still hash to its name (assets are named by their SHA-256)."""
        path = self.asset_path(relative)
        if not path.is_file():
            return False
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return path.stem == digest.hexdigest()

    def asset_path(self, relative: str) -> Path:
        """The absolute path of an asset; refuses any path that would leave the project folder."""
        return self.inside(relative)
