"""A Hugging Face Hub on 127.0.0.1 that speaks what ``huggingface_hub`` asks of it: a revision's commit
(``/api/models/{repo}/revision/{rev}``), the file tree with LFS checksums (``/api/models/{repo}/tree/{rev}``), and
the files themselves (``HEAD``/``GET /{repo}/resolve/{rev}/{path}`` with ``ETag``, ``X-Repo-Commit``,
``X-Linked-Size``, ``Content-Length`` and ``Range``). It serves folders on disk as repositories.

Faults for the tests: a gated repository, a connection cut half way through a file, a file whose bytes differ
from its checksum (once, or always), and a slow file (for cancel).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

LFS_FROM = 1024
"""Files of this size and more are served as LFS files, with a SHA-256 (safetensors are)."""


class FakeHub:
    def __init__(self, repos: dict[str, Path]):
        self.repos = {name: Path(folder) for name, folder in repos.items()}
        self.commit = {name: hashlib.sha1(name.encode()).hexdigest() for name in repos}
        self.gated: set[str] = set()
        self.cut_after: dict[str, int] = {}
        """path -> bytes sent before the connection is dropped (each time it is asked for)."""
        self.corrupt: dict[str, int] = {}
        """path -> how many more times its bytes are served wrong."""
        self.slow: set[str] = set()
        self.extra: list[dict] = []
        """Tree entries added to every repository's listing (a hostile mirror's)."""
        self.gets: list[tuple[str, str]] = []
        """Each file GET: its path and Range header."""
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeHub:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def files(self, repo: str) -> list[Path]:
        root = self.repos[repo]
        return sorted(p for p in root.rglob("*") if p.is_file())

    def entry(self, repo: str, path: Path) -> dict:
        data = path.read_bytes()
        relative = path.relative_to(self.repos[repo]).as_posix()
        item = {"type": "file", "path": relative, "size": len(data), "oid": hashlib.sha1(data).hexdigest()}
        if len(data) >= LFS_FROM:
            item["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
        return item

    def _handler(self):
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _json(self, body, status=200, headers=()):
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for key, value in headers:
                    self.send_header(key, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(raw)

            def _gated(self, repo: str) -> bool:
                if repo in hub.gated and "Bearer good-token" not in self.headers.get("Authorization", ""):
                    message = f"Access to model {repo} is restricted. You must have access to it."
                    self._json(
                        {"error": message},
                        401,
                        (("X-Error-Code", "GatedRepo"), ("X-Error-Message", message)),
                    )
                    return True
                return False

            def _repo(self, parts: list[str]) -> str | None:
                name = "/".join(parts[:2])
                return name if name in hub.repos else None

            def do_HEAD(self):  # noqa: N802
                self._file(head=True)

            def do_GET(self):  # noqa: N802
                path = unquote(urlsplit(self.path).path)
                if path.startswith("/api/models/"):
                    parts = path.removeprefix("/api/models/").split("/")
                    repo = self._repo(parts)
                    if repo is None:
                        self._json(
                            {"error": "Repository not found"}, 404, (("X-Error-Code", "RepoNotFound"),)
                        )
                        return
                    if self._gated(repo):
                        return
                    if parts[2] == "revision":
                        siblings = [
                            {"rfilename": e["path"]}
                            for e in map(lambda p: hub.entry(repo, p), hub.files(repo))
                        ]
                        self._json({"id": repo, "modelId": repo, "sha": hub.commit[repo], "siblings": siblings,
                                    "private": False, "gated": repo in hub.gated and "manual", "tags": []})  # fmt: skip
                        return
                    if parts[2] == "tree":
                        self._json([hub.entry(repo, p) for p in hub.files(repo)] + hub.extra)
                        return
                self._file(head=False)

            def _file(self, head: bool):
                path = unquote(urlsplit(self.path).path).lstrip("/").split("/")
                repo = self._repo(path)
                if repo is None or len(path) < 5 or path[2] != "resolve":
                    self._json({"error": "Repository not found"}, 404, (("X-Error-Code", "RepoNotFound"),))
                    return
                if self._gated(repo):
                    return
                relative = "/".join(path[4:])
                file = hub.repos[repo] / relative
                if not file.is_file():
                    self._json({"error": "Entry not found"}, 404, (("X-Error-Code", "EntryNotFound"),))
                    return
                data = file.read_bytes()
                entry = hub.entry(repo, file)
                etag = entry["lfs"]["oid"] if "lfs" in entry else entry["oid"]
                start = 0
                ranged = self.headers.get("Range", "")
                if ranged.startswith("bytes="):
                    start = int(ranged.removeprefix("bytes=").split("-")[0] or 0)
                body = data[start:]
                if not head:
                    hub.gets.append((relative, ranged))
                    if hub.corrupt.get(relative, 0) > 0:
                        hub.corrupt[relative] -= 1
                        body = bytes(b ^ 0xFF for b in body)
                self.send_response(206 if start else 200)
                self.send_header("X-Repo-Commit", hub.commit[repo])
                self.send_header("ETag", f'"{etag}"')
                if "lfs" in entry:
                    self.send_header("X-Linked-Etag", f'"{etag}"')
                    self.send_header("X-Linked-Size", str(len(data)))
                self.send_header("Content-Length", str(len(body)))
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                if head:
                    return
                cut = hub.cut_after.get(relative)
                if cut is not None and start < cut:
                    self.wfile.write(body[: cut - start])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                step = 4096 if relative in hub.slow else len(body) or 1
                for offset in range(0, len(body), step):
                    self.wfile.write(body[offset : offset + step])
                    if relative in hub.slow:
                        self.wfile.flush()
                        time.sleep(0.05)

        return Handler
