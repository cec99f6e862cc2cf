"""ComfyUI's websocket, read as the studio needs it: RFC 6455 client frames, with a cap on a message's size,
a deadline for each message once it has begun, and a stop that is looked at between reads, so that no frame a
server sends (300 MB of it, or one byte every few seconds) holds the reader or its memory."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import socket
import ssl
import struct
import time
from collections.abc import Callable
from urllib.parse import urlsplit

MAX_MESSAGE = 64 * 2**20
"""The largest message read (ComfyUI's are a few KB of JSON, or a preview image of a few MB)."""
MAX_HANDSHAKE = 64 * 1024
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class SocketClosed(Exception):
    """The connection is gone (closed, dropped, refused) or broke the protocol; ``str()`` says how."""


class MessageTooLarge(Exception):
    """A message announced itself larger than :data:`MAX_MESSAGE`; it was not read."""


class MessageSocket:
    """One websocket connection to ``url`` (``ws://`` or ``wss://``), ``headers`` sent with the handshake."""

    def __init__(self, url: str, headers: dict[str, str], timeout: float):
        parts = urlsplit(url)
        secure = parts.scheme == "wss"
        port = parts.port or (443 if secure else 80)
        self.timeout = timeout
        try:
            raw = socket.create_connection((parts.hostname, port), timeout=timeout)
            self._sock = (
                ssl.create_default_context().wrap_socket(raw, server_hostname=parts.hostname)
                if secure
                else raw
            )
            key = base64.b64encode(os.urandom(16)).decode()
            target = parts.path or "/"
            if parts.query:
                target += f"?{parts.query}"
            lines = [
                f"GET {target} HTTP/1.1",
                f"Host: {parts.netloc.rpartition('@')[2]}",
                "Upgrade: websocket",
                "Connection: Upgrade",
                f"Sec-WebSocket-Key: {key}",
                "Sec-WebSocket-Version: 13",
                *(f"{name}: {value}" for name, value in headers.items()),
            ]
            self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            self._buffer = b""
            answer = self._handshake(time.monotonic() + timeout)
        except OSError as exc:
            self.close()
            raise SocketClosed(str(exc)) from None
        status = answer.split(b"\r\n", 1)[0]
        accept = base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest())
        if b" 101" not in status or accept not in answer:
            self.close()
            raise SocketClosed(f"no websocket there ({status.decode('latin-1')[:80]})")

    def _handshake(self, deadline: float) -> bytes:
        while b"\r\n\r\n" not in self._buffer:
            if len(self._buffer) > MAX_HANDSHAKE or time.monotonic() > deadline:
                raise SocketClosed("the websocket handshake did not finish")
            self._fill(deadline)
        answer, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        return answer

    def _fill(self, deadline: float, stop: Callable[[], bool] = lambda: False, wanted: int = 65536) -> None:
        """Read what has come, waiting at most until ``deadline``; :class:`SocketClosed` once it passes."""
        remaining = deadline - time.monotonic()
        if remaining <= 0 or stop():
            raise SocketClosed("a message did not arrive in time" if remaining <= 0 else "stopped")
        self._sock.settimeout(min(remaining, 0.25))
        try:
            data = self._sock.recv(min(wanted, 1 << 20))
        except TimeoutError:
            return
        except OSError as exc:
            raise SocketClosed(str(exc)) from None
        if not data:
            raise SocketClosed("the server closed the connection")
        self._buffer += data

    def _take(self, size: int, deadline: float, stop: Callable[[], bool]) -> bytes:
        chunks, have = [], 0
        if self._buffer:
            first, self._buffer = self._buffer[:size], self._buffer[size:]
            chunks.append(first)
            have = len(first)
        while have < size:
            self._fill(deadline, stop, size - have)
            piece, self._buffer = self._buffer[: size - have], self._buffer[size - have :]
            chunks.append(piece)
            have += len(piece)
        return b"".join(chunks)

    def receive(self, wait: float, stop: Callable[[], bool] = lambda: False) -> str | bytes | None:
        """The next message: text as ``str``, binary as ``bytes``; None when none began within ``wait``
        seconds. Once one has begun it must be whole within ``timeout`` (else :class:`SocketClosed`);
        :class:`MessageTooLarge` when it announces more than :data:`MAX_MESSAGE`."""
        if not self._buffer:
            self._sock.settimeout(wait)
            try:
                data = self._sock.recv(65536)
            except TimeoutError:
                return None
            except OSError as exc:
                raise SocketClosed(str(exc)) from None
            if not data:
                raise SocketClosed("the server closed the connection")
            self._buffer = data
        deadline = time.monotonic() + self.timeout
        pieces: list[bytes] = []
        kind = 0
        while True:
            head = self._take(2, deadline, stop)
            fin, opcode, size = head[0] & 0x80, head[0] & 0x0F, head[1] & 0x7F
            if size == 126:
                size = struct.unpack(">H", self._take(2, deadline, stop))[0]
            elif size == 127:
                size = struct.unpack(">Q", self._take(8, deadline, stop))[0]
            mask = self._take(4, deadline, stop) if head[1] & 0x80 else b""
            if size + sum(map(len, pieces)) > MAX_MESSAGE:
                self.close()
                raise MessageTooLarge(f"{size} bytes")
            payload = self._take(size, deadline, stop)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x8:
                self.close()
                raise SocketClosed("the server closed the websocket")
            if opcode == 0x9:
                self._send(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            if opcode in (0x1, 0x2):
                kind = opcode
            pieces.append(payload)
            if fin:
                data = b"".join(pieces)
                return data.decode("utf-8", "replace") if kind == 0x1 else data

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        size = len(payload)
        head = bytes([0x80 | opcode])
        if size < 126:
            head += bytes([0x80 | size])
        elif size < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", size)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", size)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        with contextlib.suppress(OSError):
            self._sock.sendall(head + mask + masked)

    def close(self) -> None:
        sock = getattr(self, "_sock", None)
        if sock is not None:
            self._send(0x8, struct.pack(">H", 1000))
            with contextlib.suppress(OSError):
                sock.close()
            self._sock = None
