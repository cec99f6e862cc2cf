"""Servers on 127.0.0.1 that behave as the hostile ones of the reliability review did: an LLM server that sends
keep-alive comments forever or its headers a byte at a time, one whose error body is 30 MB, one that echoes the
Authorization header; a ComfyUI whose websocket never says done, sends other clients' messages, or a 300 MB
frame; whose ``/view`` is 3 GB or a 12000² PNG. Each connection is served on a thread of its own and stops by
itself after ``LIFETIME`` seconds, so no test leaves one running."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable

LIFETIME = 60.0
"""The longest any connection is kept: a hostile server that the studio gave up on ends by itself."""


class RawServer:
    """A TCP server: ``serve(connection, request_head)`` answers each connection (the head is read first)."""

    def __init__(self, serve: Callable[[socket.socket, bytes], None]):
        self.serve = serve
        self.heads: list[bytes] = []
        self.stopped = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        ends = time.monotonic() + LIFETIME
        while not self.stopped.is_set() and time.monotonic() < ends:
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._one, args=(connection,), daemon=True).start()

    def _one(self, connection: socket.socket) -> None:
        with contextlib.suppress(OSError), connection:
            connection.settimeout(5)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                piece = connection.recv(4096)
                if not piece:
                    return
                head += piece
            headers, _, body = head.partition(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in headers.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                ),
                0,
            )
            while len(body) < length:
                piece = connection.recv(65536)
                if not piece:
                    break
                body += piece
            self.heads.append(headers)
            connection.settimeout(None)
            self.serve(connection, headers)

    def until_stopped(self, seconds: float) -> bool:
        """Wait ``seconds`` (or until the server is closed); True while it should go on serving."""
        return not self.stopped.wait(seconds)

    def close(self) -> None:
        self.stopped.set()
        with contextlib.suppress(OSError):
            self.listener.close()


def http_head(status: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# -- LLM servers --------------------------------------------------------------------------------------------


def keep_alive_llm() -> RawServer:
    """Answers a chat with a stream that only ever sends SSE keep-alive comments."""

    def serve(connection, _head):
        connection.sendall(http_head("200 OK", {"Content-Type": "text/event-stream", "Connection": "close"}))
        ends = time.monotonic() + LIFETIME
        while time.monotonic() < ends and server.until_stopped(0.2):
            connection.sendall(b": keep-alive\n\n")

    server = RawServer(serve)
    return server


def trickling_llm() -> RawServer:
    """Sends its status line and headers one byte at a time, a byte every 0.3 s."""

    def serve(connection, _head):
        data = http_head("200 OK", {"Content-Type": "application/json", "Content-Length": "2"}) + b"{}"
        for byte in data:
            if not server.until_stopped(0.3):
                return
            connection.sendall(bytes([byte]))

    server = RawServer(serve)
    return server


def huge_error_llm(megabytes: int = 30) -> RawServer:
    """Answers 500 with a JSON error whose message is ``megabytes`` MB long."""
    body = json.dumps({"error": {"message": "x" * (megabytes * 2**20), "type": "server"}}).encode()

    def serve(connection, _head):
        connection.sendall(
            http_head(
                "500 Internal Server Error",
                {"Content-Type": "application/json", "Content-Length": str(len(body))},
            )
            + body
        )

    return RawServer(serve)


def echoing_llm() -> RawServer:
    """Refuses every request with a 401 that echoes the Authorization header it was sent."""

    def serve(connection, head):
        auth = next((line for line in head.split(b"\r\n") if line.lower().startswith(b"authorization")), b"")
        body = json.dumps(
            {"error": {"message": f"bad credentials: {auth.decode()}", "type": "auth"}}
        ).encode()
        connection.sendall(
            http_head(
                "401 Unauthorized", {"Content-Type": "application/json", "Content-Length": str(len(body))}
            )
            + body
        )

    return RawServer(serve)


def chat_chunks(*pieces: str) -> bytes:
    """An SSE stream of chat completion chunks carrying ``pieces`` (already JSON-escaped), then [DONE]."""
    out = b""
    for piece in pieces:
        out += (
            b'data: {"id":"c","object":"chat.completion.chunk","created":0,"model":"test-model","choices":'
            b'[{"index":0,"delta":{"content":"' + piece.encode() + b'"},"finish_reason":null}]}\n\n'
        )
    return out + b"data: [DONE]\n\n"


def streaming_llm(*answers: bytes) -> RawServer:
    """Answers each chat, in turn, with one of ``answers`` (an SSE body made with :func:`chat_chunks`)."""
    queue = list(answers)

    def serve(connection, _head):
        body = queue.pop(0) if queue else chat_chunks("no answer left")
        connection.sendall(
            http_head("200 OK", {"Content-Type": "text/event-stream", "Content-Length": str(len(body))})
            + body
        )

    return RawServer(serve)


# -- ComfyUI ------------------------------------------------------------------------------------------------


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` (its pixels cut short: a decoder must refuse it by its size)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1024))


def _frame(payload: bytes, opcode: int = 0x1, size: int | None = None) -> bytes:
    size = len(payload) if size is None else size
    head = bytes([0x80 | opcode])
    if size < 126:
        head += bytes([size])
    elif size < 65536:
        head += bytes([126]) + struct.pack(">H", size)
    else:
        head += bytes([127]) + struct.pack(">Q", size)
    return head + payload


class HostileComfy:
    """Enough of ComfyUI to queue a job: ``/object_info``, ``/prompt``, ``/history``, ``/view`` and ``/ws``,
    each answered as ``mode`` says:

    - ``endless``: progress of our job every 0.1 s, never done;
    - ``others``: other clients' progress every 0.1 s, nothing of ours;
    - ``huge_frame``: a frame that announces 300 MB (and sends it slowly);
    - ``slow_frame``: a binary frame of 50 MB, a 64 KB piece every 0.2 s;
    - ``huge_view``: the job is done at once; ``/view`` answers 3 GB;
    - ``big_png``: done at once; ``/view`` answers a 12000x12000 PNG;
    - ``list_data``: a message whose ``data`` is a list, then done with ``outputs`` a list.
    """

    def __init__(self, mode: str):
        self.mode = mode
        self.sent = 0
        self.server = RawServer(self._serve)
        self.url = self.server.url

    def _json(self, connection, body) -> None:
        data = json.dumps(body).encode()
        connection.sendall(
            http_head("200 OK", {"Content-Type": "application/json", "Content-Length": str(len(data))}) + data
        )

    def _serve(self, connection, head) -> None:
        target = head.split(b" ")[1].decode()
        if target.startswith("/object_info"):
            nodes = (
                "CheckpointLoaderSimple",
                "KSampler",
                "SaveImage",
                "CLIPTextEncode",
                "EmptyLatentImage",
                "VAEDecode",
            )
            info = {n: {"input": {"required": {}}, "python_module": "nodes"} for n in nodes}
            info["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"] = [["model.safetensors"]]
            return self._json(connection, info)
        if target.startswith("/prompt"):
            return self._json(connection, {"prompt_id": "p1", "number": 1})
        if target.startswith("/history"):
            done = self.mode in ("huge_view", "big_png", "list_data")
            outputs = (
                []
                if self.mode == "list_data"
                else {"9": {"images": [{"filename": "k.png", "type": "output"}]}}
            )
            return self._json(
                connection, {"p1": {"outputs": outputs, "status": {"completed": True}}} if done else {}
            )
        if target.startswith(("/queue", "/interrupt")):
            return self._json(connection, {})
        if target.startswith("/view"):
            return self._view(connection)
        if target.startswith("/ws"):
            return self._websocket(connection, head)
        connection.sendall(http_head("404 Not Found", {"Content-Length": "0"}))

    def _view(self, connection) -> None:
        if self.mode == "big_png":
            data = png_header(12000, 12000)
            connection.sendall(
                http_head("200 OK", {"Content-Type": "image/png", "Content-Length": str(len(data))}) + data
            )
            return
        size = 3 * 2**30
        connection.sendall(http_head("200 OK", {"Content-Type": "image/png", "Content-Length": str(size)}))
        block = b"\0" * 2**20
        with contextlib.suppress(OSError):
            for _ in range(size // len(block)):
                if self.server.stopped.is_set():
                    return
                connection.sendall(block)
                self.sent += len(block)

    def _websocket(self, connection, head) -> None:
        key = next(
            line.split(b":", 1)[1].strip()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key")
        )
        accept = base64.b64encode(
            hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest()
        ).decode()
        connection.sendall(
            http_head(
                "101 Switching Protocols",
                {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Accept": accept},
            )
        )
        with contextlib.suppress(OSError):
            if self.mode == "slow_frame":  # 50 MB, under the cap, sent at 320 KB/s: minutes to arrive
                connection.sendall(_frame(b"", 0x2, 50 * 2**20))
                while self.server.until_stopped(0.2):
                    connection.sendall(b"\0" * 65536)
                    self.sent += 1
                return
            if self.mode == "huge_frame":
                connection.sendall(_frame(b"", 0x2, 300 * 2**20))
                while self.server.until_stopped(0.05):
                    connection.sendall(b"\0" * 65536)
                    self.sent += 65536
                return
            if self.mode in ("list_data", "huge_view", "big_png"):
                if self.mode == "list_data":
                    connection.sendall(
                        _frame(json.dumps({"type": "executed", "data": ["not", "a", "dict"]}).encode())
                    )
                    connection.sendall(_frame(json.dumps({"type": "progress", "data": [1, 2]}).encode()))
                done = {"type": "executing", "data": {"node": None, "prompt_id": "p1"}}
                connection.sendall(_frame(json.dumps(done).encode()))
                self.server.until_stopped(5)
                return
            step = 0
            while self.server.until_stopped(0.1):
                step += 1
                prompt = "p1" if self.mode == "endless" else "someone-else"
                message = {"type": "progress", "data": {"value": step % 20, "max": 20, "prompt_id": prompt}}
                connection.sendall(_frame(json.dumps(message).encode()))
                self.sent += 1

    def close(self) -> None:
        self.server.close()
