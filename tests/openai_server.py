"""A real HTTP server on 127.0.0.1 that speaks OpenAI's /v1/chat/completions and plays scripted answers.

Each answer is a :class:`Play`: a text (streamed in pieces, or whole), an error status, a delay per piece, or a
hang. The server records every request body so tests can check what the studio sent.
"""

from __future__ import annotations

import base64
import io
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SPEECH_SECONDS_PER_WORD = 0.3


def wav(seconds: float, rate: int = 16_000) -> bytes:
    """A mono 16-bit WAV of a quiet 220 Hz tone lasting ``seconds``."""
    import math
    import struct
    import wave

    frames = round(seconds * rate)
    samples = b"".join(
        struct.pack("<h", int(3000 * math.sin(2 * math.pi * 220 * i / rate))) for i in range(frames)
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples)
    return buffer.getvalue()


def png(size: tuple[int, int] = (64, 64), colour: tuple[int, int, int] = (90, 120, 200)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Play:
    text: str = ""
    status: int = 200
    error: str = "scripted failure"
    piece: int = 12
    delay: float = 0.0
    hang: float = 0.0
    usage: tuple[int, int] = (11, 7)
    reasoning: str = ""
    """Thinking streamed beside the answer as ``reasoning_content`` (as vLLM and LM Studio send it)."""


@dataclass
class OpenAIServer:
    plays: deque = field(default_factory=deque)
    requests: list[dict] = field(default_factory=list)
    reject_response_format: bool = False
    reject_stream_options: bool = False
    known_models: tuple[str, ...] = ("test-model",)
    api_key: str | None = None
    default: Callable[[dict], str] | None = None
    """Answers a chat when no play is queued (e.g. a monitor asked many times in one run)."""
    edits: bool = True

    def __post_init__(self):
        self._release = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_port}/v1"

    def queue(self, *plays: Play | str) -> None:
        for play in plays:
            self.plays.append(Play(text=play) if isinstance(play, str) else play)

    def close(self) -> None:
        self._release.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _json(self, status: int, body: dict, headers: dict | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, message: str) -> None:
                self._json(
                    status,
                    {"error": {"message": message, "type": "test", "code": None}},
                    {"retry-after-ms": "5"},
                )

            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Type", "").startswith("multipart/form-data"):
                    body = {
                        "path": self.path,
                        "multipart": True,
                        "fields": re.findall(rb'name="(\w+)"', raw),
                        "model": "test-model",
                    }
                    model = re.search(rb'name="model"\r\n\r\n([^\r]+)', raw)
                    body["model"] = model.group(1).decode() if model else None
                else:
                    body = {**json.loads(raw), "path": self.path}
                server.requests.append(body)
                if "/images/" in self.path:
                    return self._image(body)
                if self.path.endswith("/audio/speech"):
                    return self._speech(body)
                if not self.path.endswith("/chat/completions"):
                    return self._error(404, "no such route")
                if server.api_key and self.headers.get("Authorization") != f"Bearer {server.api_key}":
                    return self._error(401, "Incorrect API key provided")
                if body.get("model") not in server.known_models:
                    return self._error(404, f"The model `{body.get('model')}` does not exist")
                if server.reject_response_format and "response_format" in body:
                    return self._error(400, "response_format is not supported by this server")
                if server.reject_stream_options and "stream_options" in body:
                    return self._error(400, "Unrecognized request argument supplied: stream_options")
                if server.plays:
                    play = server.plays.popleft()
                elif server.default is not None:
                    play = Play(text=server.default(body))
                else:
                    play = Play(status=500, error="no scripted answer left")
                if play.hang:
                    server._release.wait(play.hang)
                if play.status != 200:
                    return self._error(play.status, play.error)
                if body.get("stream"):
                    return self._stream(play)
                self._json(
                    200,
                    {
                        "id": "c1",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": "stop",
                                "message": {"role": "assistant", "content": play.text},
                            }
                        ],
                        "usage": {
                            "prompt_tokens": play.usage[0],
                            "completion_tokens": play.usage[1],
                            "total_tokens": sum(play.usage),
                        },
                    },
                )

            def _image(self, body: dict) -> None:
                if server.api_key and self.headers.get("Authorization") != f"Bearer {server.api_key}":
                    return self._error(401, "Incorrect API key provided")
                if self.path.endswith("/images/edits") and not server.edits:
                    return self._error(404, "edits are not supported here")
                play = server.plays.popleft() if server.plays else Play()
                if play.status != 200:
                    return self._error(play.status, play.error)
                colour = (200, 60, 50) if self.path.endswith("/edits") else (60, 90, 200)
                self._json(
                    200,
                    {"created": 0, "data": [{"b64_json": base64.b64encode(png((96, 64), colour)).decode()}]},
                )

            def _speech(self, body: dict) -> None:
                if server.api_key and self.headers.get("Authorization") != f"Bearer {server.api_key}":
                    return self._error(401, "Incorrect API key provided")
                play = server.plays.popleft() if server.plays else Play()
                if play.status != 200:
                    return self._error(play.status, play.error)
                data = wav(SPEECH_SECONDS_PER_WORD * len(body.get("input", "").split()))
                self.send_response(200)
                self.send_header("Content-Type", "audio/wav")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _chunk(self, payload: dict) -> None:
                data = f"data: {json.dumps(payload)}\n\n".encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def _stream(self, play: Play) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                base = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "test-model"}
                try:
                    for start in range(0, len(play.reasoning), play.piece):
                        piece = play.reasoning[start : start + play.piece]
                        delta = {"content": None, "reasoning_content": piece}
                        self._chunk(
                            {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
                        )
                    for start in range(0, len(play.text), play.piece):
                        piece = play.text[start : start + play.piece]
                        self._chunk(
                            {
                                **base,
                                "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                            }
                        )
                        if play.delay and server._release.wait(play.delay):
                            return
                    self._chunk({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                    self._chunk(
                        {
                            **base,
                            "choices": [],
                            "usage": {
                                "prompt_tokens": play.usage[0],
                                "completion_tokens": play.usage[1],
                                "total_tokens": sum(play.usage),
                            },
                        }
                    )
                    data = b"data: [DONE]\n\n"
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n0\r\n\r\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client hung up (cancel): that is what some tests want

        return Handler


def wait_for(predicate, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return False
