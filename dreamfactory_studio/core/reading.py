"""Reading what a user or a server hands the studio, with caps: a file must be a regular file and is read no
further than its limit (``/dev/zero`` or a FIFO is refused before a byte is read), and a JSON or XML document
is refused when it nests deeper than any the studio reads, before it reaches a parser that recurses."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from dreamfactory_studio.core.errors import BadInput

MAX_NESTING = 256
"""Deeper than any document the studio reads or writes (a project nests about six levels, an edit about 20)."""


def read_regular_file(path: Path | str, limit: int, what: str) -> bytes:
    """The bytes of ``path``, which must be a regular file of at most ``limit`` bytes; :class:`BadInput` naming
    ``what`` it should be otherwise. Opened without blocking, so a FIFO or a device never holds the reader."""
    path = Path(path).expanduser()
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise BadInput(f"{path} does not exist; give the path of {what}.") from None
    except IsADirectoryError:
        raise BadInput(f"{path} is a folder; give the path of {what}.") from None
    except PermissionError:
        raise BadInput(f"{path} cannot be read (permission denied).") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise BadInput(f"{path} is a folder; give the path of {what}.")
        if not stat.S_ISREG(info.st_mode):
            raise BadInput(
                f"{path} is not a regular file (a device, a pipe or a socket); give the path of {what}."
            )
        if info.st_size > limit:
            raise BadInput(_too_large(path, info.st_size, limit))
        chunks, size = [], 0
        while size <= limit:  # the size said may change while reading (a file still being written)
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise BadInput(_too_large(path, size, limit))
        return b"".join(chunks)
    finally:
        os.close(fd)


def _too_large(path: Path, size: int, limit: int) -> str:
    return (
        f"{path} is over {limit // 1024} KiB (at least {size // 1024} KiB); the limit is {limit // 1024} KiB. "
        "Split it into parts."
    )


def without_surrogates(text: str) -> str:
    """``text`` with every lone surrogate (a server's ``"\\ud83d"``, an argument that was not UTF-8), which no
    UTF-8 file can hold, replaced by U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def check_json_nesting(text: str | bytes, what: str) -> None:
    """Refuse (:class:`BadInput`) a JSON document that nests deeper than :data:`MAX_NESTING` (a C++ reader such
    as OpenTimelineIO's would recurse until it crashed). One that is not JSON at all is left to its reader,
    which says so in its own words."""
    try:
        document = json.loads(text)
    except RecursionError:
        raise BadInput(f"{what} nests far deeper than any the studio reads; it was refused.") from None
    except (ValueError, UnicodeDecodeError):
        return
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_NESTING:
            raise BadInput(f"{what} nests over {MAX_NESTING} levels deep; it was refused.")
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def check_xml_nesting(data: bytes, what: str) -> None:
    """Refuse (:class:`BadInput`) an XML document whose elements nest deeper than :data:`MAX_NESTING`, in one
    streaming pass that keeps no tree."""
    from xml.parsers import expat

    parser = expat.ParserCreate()
    depth = 0

    def start(_name, _attributes):
        nonlocal depth
        depth += 1
        if depth > MAX_NESTING:
            raise BadInput(f"{what} nests over {MAX_NESTING} elements deep; it was refused.")

    def end(_name):
        nonlocal depth
        depth -= 1

    parser.StartElementHandler, parser.EndElementHandler = start, end
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        return  # not well-formed: the reader says so in its own words
