"""A client of a ComfyUI server, as its ``server.py`` and its websocket API example speak.

A job is a graph in API format posted to ``/prompt`` with our ``client_id``; its progress comes over the
websocket ``/ws?clientId=...`` (``execution_start``, ``execution_cached``, ``executing``, ``progress``,
``executed``, ``execution_success``, ``execution_error``, ``execution_interrupted``); its images from
``/history/{prompt_id}`` and ``/view``. Uploads go to ``/upload/image``; a cancel is ``/interrupt`` and the
prompt's removal from ``/queue``. A dropped socket is reconnected with the same client id and the job picked
up from ``/history`` (as Krita AI Diffusion's client does); a server with no socket at all is polled.

Everything here is synchronous: the painter calls it on the GPU worker thread.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field

from dreamfactory_studio.backends.comfyui.message_socket import (
    MAX_MESSAGE,
    MessageSocket,
    MessageTooLarge,
    SocketClosed,
)
from dreamfactory_studio.backends.image import Cancelled, GenerationCancelled, StepSink
from dreamfactory_studio.core.errors import BackendError, BadInput, BadModel
from dreamfactory_studio.core.secrets import basic_credentials, public_url, url_with_credentials

log = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8188"
RECONNECTS = 3
LISTEN_SECONDS = 0.25
HISTORY_SECONDS = 5.0
"""How often the history is asked while the websocket says nothing of our job."""
MAX_ANSWER = 64 * 2**20
"""The most bytes read of a JSON answer (``/object_info`` of a server with many node packs is a few MB)."""
MAX_IMAGE_BYTES = 512 * 2**20
"""The most bytes read of one image from ``/view`` (a 64-megapixel PNG is at most about 200 MB)."""

# Node packs that provide the nodes the studio's graphs may use, for "install this" messages.
NODE_PACKS = {
    "IPAdapter": "ComfyUI_IPAdapter_plus (https://github.com/cubiq/ComfyUI_IPAdapter_plus)",
    "VHS_": "ComfyUI-VideoHelperSuite (https://github.com/Kosinkadink/ComfyUI-VideoHelperSuite)",
}


def node_pack(class_type: str) -> str:
    """The node pack a node class comes from, as far as the studio knows, else a general hint."""
    for prefix, pack in NODE_PACKS.items():
        if class_type.startswith(prefix):
            return pack
    return "the node pack that provides it"


def choices(info: dict, node: str, name: str) -> list[str]:
    """The values ``/object_info`` lists for a node's combo input (old and new formats: ``[[...], {...}]`` and
    ``["COMBO", {"options": [...]}]``); empty when the server has no such node."""
    spec = info.get(node, {}).get("input", {})
    value = {**spec.get("required", {}), **spec.get("optional", {})}.get(name)
    if not value:
        return []
    if isinstance(value[0], list):
        return [str(v) for v in value[0]]
    if len(value) > 1 and isinstance(value[1], dict):
        return [str(v) for v in value[1].get("options", [])]
    return []


@dataclass
class JobResult:
    """What a finished job left: each output node's outputs (``{"images": [{"filename", ...}]}``)."""

    prompt_id: str
    outputs: dict[str, dict] = field(default_factory=dict)

    def images(self) -> list[dict]:
        return [image for output in self.outputs.values() for image in output.get("images", [])]


class ComfyClient:
    """One connection to a ComfyUI server: its nodes (read once), uploads, jobs with progress and cancel."""

    def __init__(self, base_url: str = "", timeout: float = 180.0, job_timeout: float = 1800.0):
        url = url_with_credentials((base_url or DEFAULT_URL).strip()).rstrip("/")
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadInput(f"{public_url(url)!r} is not a ComfyUI address; give one like {DEFAULT_URL}.")
        self.base = public_url(url).rstrip("/")
        """The address as shown and logged: its credentials are never part of it."""
        # A user and password in the address go as a header, its query (a proxy's ?token=) with each request.
        self._auth = {"Authorization": basic_credentials(url)} if "@" in parts.netloc else {}
        self._root = urllib.parse.urlunsplit(
            (parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", "")
        )
        self._query = parts.query
        self.timeout = timeout
        self.job_timeout = job_timeout
        self.client_id = uuid.uuid4().hex
        self._info: dict | None = None
        self._socket: MessageSocket | None = None

    def _url(self, path: str, scheme: str = "") -> str:
        url = f"{self._root}{path}"
        if scheme:
            url = f"{scheme}:{url.partition(':')[2]}"
        return f"{url}{'&' if '?' in path else '?'}{self._query}" if self._query else url

    # -- HTTP ---------------------------------------------------------------------------------------------

    def _open(self, path: str, data: bytes | None = None, headers: dict | None = None, method: str = ""):
        request = urllib.request.Request(
            self._url(path),
            data=data,
            headers={**(headers or {}), **self._auth},
            method=method or ("POST" if data else "GET"),
        )
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError:
            raise
        except TimeoutError:
            raise BackendError(
                f"ComfyUI at {self.base} did not answer {path} within {self.timeout:g} s; it may be busy or "
                "stuck. Wait, restart it, or raise image.timeout in the settings."
            ) from None
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise BackendError(
                f"cannot reach ComfyUI at {self.base} ({reason}). Start it (python main.py, or its desktop "
                "app) or set image.base_url to where it listens."
            ) from None

    def _read(self, answer, path: str, limit: int) -> bytes:
        """An answer's body, read no further than ``limit`` bytes, and within the job's deadline."""
        declared = answer.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise BackendError(
                f"ComfyUI at {self.base} answered {path.split('?')[0]} with {int(declared) // 2**20} MB; the studio "
                f"reads at most {limit // 2**20} MB there. Is it a ComfyUI server?"
            )
        chunks, size, deadline = [], 0, time.monotonic() + self.job_timeout
        while size <= limit:
            chunk = answer.read(min(1 << 20, limit + 1 - size))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
            if time.monotonic() > deadline:
                raise BackendError(
                    f"ComfyUI at {self.base} was still sending {path.split('?')[0]} after {self.job_timeout:g} s "
                    "(image.job_timeout); it was dropped. Try again, or raise image.job_timeout."
                )
        raise BackendError(
            f"ComfyUI at {self.base} sent more than {limit // 2**20} MB for {path.split('?')[0]}; the studio reads "
            "at most that. Is it a ComfyUI server?"
        )

    def get(self, path: str, limit: int = MAX_ANSWER) -> bytes:
        try:
            with self._open(path) as answer:
                return self._read(answer, path, limit)
        except urllib.error.HTTPError as exc:
            raise BackendError(f"ComfyUI at {self.base} answered {path} with HTTP {exc.code}.") from None
        except (TimeoutError, OSError) as exc:
            raise BackendError(f"ComfyUI at {self.base} stopped answering {path} ({exc}).") from None

    def get_json(self, path: str) -> dict:
        data = self.get(path)
        try:
            answer = json.loads(data)
        except (ValueError, RecursionError):
            answer = None
        if not isinstance(answer, dict):
            raise BackendError(
                f"{self.base}{path} did not answer with a JSON object; is {self.base} a ComfyUI server?"
            )
        return answer

    def post_json(self, path: str, body: dict) -> tuple[int, bytes]:
        data = json.dumps(body).encode()
        try:
            with self._open(path, data, {"Content-Type": "application/json"}) as answer:
                return answer.status, self._read(answer, path, MAX_ANSWER)
        except urllib.error.HTTPError as exc:
            return exc.code, self._read(exc, path, MAX_ANSWER)

    # -- what the server has ------------------------------------------------------------------------------

    def object_info(self) -> dict:
        """Every node class the server has, with its inputs (read once per connection)."""
        if self._info is None:
            self._info = self.get_json("/object_info")
        return self._info

    def has(self, *nodes: str) -> bool:
        info = self.object_info()
        return all(node in info for node in nodes)

    def system_stats(self) -> dict:
        return self.get_json("/system_stats")

    def node_packs(self) -> list[str]:
        """The custom node packs the server has loaded, by their module names."""
        modules = {
            str(spec.get("python_module", ""))
            for spec in self.object_info().values()
            if isinstance(spec, dict)
        }
        return sorted(m.split(".", 1)[1].split(".")[0] for m in modules if m.startswith("custom_nodes."))

    def checkpoint(self, wanted: str, node: str = "CheckpointLoaderSimple", what: str = "checkpoint") -> str:
        """The server's name for a checkpoint (exact, or by file name within its subfolders); the first one
        when none is asked; :class:`BadModel` listing what it has otherwise."""
        names = choices(self.object_info(), node, "ckpt_name")
        if not names:
            raise BadModel(
                f"ComfyUI at {self.base} lists no {what}s for {node}: put one in ComfyUI/models/checkpoints "
                "and restart it (or refresh its model list)."
            )
        if not wanted:
            return names[0]
        for name in names:
            if name == wanted or name.replace("\\", "/").rsplit("/", 1)[-1] == wanted:
                return name
        shown = ", ".join(names[:12]) + (" …" if len(names) > 12 else "")
        raise BadModel(f"ComfyUI has no {what} '{wanted}'; it has: {shown}. Set image.model to one of them.")

    # -- uploads ------------------------------------------------------------------------------------------

    def upload(self, data: bytes, name: str) -> str:
        """Put an image into the server's input folder; its name there, for ``LoadImage``."""
        boundary = uuid.uuid4().hex
        parts = []
        for key, value in (("overwrite", "true"), ("type", "input"), ("subfolder", "dreamfactory")):
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
            )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{name}"\r\n'
            "Content-Type: image/png\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        try:
            with self._open(
                "/upload/image", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
            ) as answer:
                stored = json.loads(self._read(answer, "/upload/image", MAX_ANSWER))
        except urllib.error.HTTPError as exc:
            raise BackendError(f"ComfyUI refused the upload of {name} (HTTP {exc.code}).") from None
        except (ValueError, RecursionError):
            stored = None
        if not isinstance(stored, dict) or not isinstance(stored.get("name"), str):
            raise BackendError(
                f"ComfyUI at {self.base} answered the upload of {name} in a form it does not know."
            )
        return f"{stored['subfolder']}/{stored['name']}" if stored.get("subfolder") else stored["name"]

    def view(self, image: dict) -> bytes:
        """An output image's bytes (at most :data:`MAX_IMAGE_BYTES`)."""
        if not isinstance(image, dict) or not isinstance(image.get("filename"), str):
            raise BackendError(f"ComfyUI at {self.base} named its image in a form the studio does not know.")
        query = urllib.parse.urlencode(
            {
                "filename": image["filename"],
                "subfolder": str(image.get("subfolder", "")),
                "type": str(image.get("type", "output")),
            }
        )
        return self.get(f"/view?{query}", MAX_IMAGE_BYTES)

    # -- jobs ---------------------------------------------------------------------------------------------

    def queue(self, graph: dict) -> str:
        """Post a graph; its prompt id, or :class:`BackendError` saying what the server refused and why."""
        status, data = self.post_json("/prompt", {"prompt": graph, "client_id": self.client_id})
        try:
            answer = json.loads(data) if data else {}
        except ValueError:
            answer = {}
        if status == 200 and answer.get("prompt_id"):
            return answer["prompt_id"]
        raise BackendError(refusal(answer, graph, status))

    def run(self, graph: dict, on_step: StepSink, cancelled: Cancelled) -> JobResult:
        """Queue a graph and follow it to the end; cancelling interrupts it on the server."""
        self._connect()  # before queueing, so that no message of the job is missed
        prompt_id = self.queue(graph)
        try:
            return self._follow(prompt_id, on_step, cancelled)
        except GenerationCancelled:
            self.cancel(prompt_id)
            raise

    def cancel(self, prompt_id: str) -> None:
        """Take the prompt off the queue and stop it if it is running."""
        try:
            self.post_json("/queue", {"delete": [prompt_id]})
            self.post_json("/interrupt", {"prompt_id": prompt_id})
        except BackendError as exc:
            log.warning("could not cancel ComfyUI prompt %s: %s", prompt_id, exc)

    def history(self, prompt_id: str) -> dict | None:
        """The job's entry in ``/history`` once it has finished, else None."""
        entry = self.get_json(f"/history/{prompt_id}").get(prompt_id)
        if not isinstance(entry, dict):
            return None
        status = entry.get("status")
        completed = status.get("completed", True) if isinstance(status, dict) else True
        return entry if completed and "outputs" in entry else None

    def _connect(self) -> None:
        if self._socket is not None:
            return
        url = self._url(f"/ws?clientId={self.client_id}", "wss" if self._root.startswith("https") else "ws")
        try:
            self._socket = MessageSocket(url, self._auth, min(self.timeout, 30))
        except SocketClosed as exc:
            log.info("no websocket at %s (%s): the job will be polled", self.base, exc)
            self._socket = None

    def close(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(Exception):  # a socket already gone
                self._socket.close()
        self._socket = None

    def _follow(self, prompt_id: str, on_step: StepSink, cancelled: Cancelled) -> JobResult:
        result = JobResult(prompt_id)
        started = quiet_since = asked = time.monotonic()
        drops = 0
        while True:
            if cancelled():
                raise GenerationCancelled("cancelled")
            self._deadline(started, prompt_id)
            if self._socket is None:
                # no socket (or it would not come back): ask the history now and then
                entry = self.history(prompt_id)
                if entry is not None:
                    return self._finished(result, entry)
                self._silence(quiet_since, prompt_id)
                time.sleep(LISTEN_SECONDS)
                continue
            try:
                message = self._socket.receive(LISTEN_SECONDS, cancelled)
            except MessageTooLarge as exc:
                self.close()
                self.cancel(prompt_id)
                raise BackendError(
                    f"ComfyUI at {self.base} sent a websocket message of {exc}, over the {MAX_MESSAGE // 2**20} MB "
                    "the studio reads; the job was taken off its queue. Is it a ComfyUI server?"
                ) from None
            except SocketClosed as exc:
                if cancelled():
                    raise GenerationCancelled("cancelled") from None
                drops += 1
                self.close()
                log.warning("the ComfyUI websocket dropped (%d: %s); reconnecting", drops, exc)
                if drops <= RECONNECTS:
                    time.sleep(min(2.0, 0.2 * drops))
                    self._connect()
                entry = self.history(prompt_id)  # it may have finished while we were away
                if entry is not None:
                    return self._finished(result, entry)
                continue
            kind, data = _parsed(message) if isinstance(message, str) else ("", {})
            if data.get("prompt_id") != prompt_id:
                # silence, a preview, someone else's job on a shared server or the server's own status: no word
                # of ours, so now and then the history is asked whether the job ended unheard
                self._silence(quiet_since, prompt_id)
                if time.monotonic() - asked > HISTORY_SECONDS:
                    asked = time.monotonic()
                    entry = self.history(prompt_id)
                    if entry is not None:
                        return self._finished(result, entry)
                continue
            quiet_since = time.monotonic()
            if kind == "progress" and data.get("prompt_id") == prompt_id:
                value, most = _number(data.get("value")), _number(data.get("max"), 1)
                on_step(min(value, most), max(1, most))
            elif kind == "executed" and data.get("prompt_id") == prompt_id:
                output = data.get("output")
                result.outputs[str(data.get("node"))] = output if isinstance(output, dict) else {}
            elif kind == "execution_error" and data.get("prompt_id") == prompt_id:
                raise BackendError(execution_error(data))
            elif kind == "execution_interrupted" and data.get("prompt_id") == prompt_id:
                if cancelled():
                    raise GenerationCancelled("cancelled")
                raise BackendError(
                    f"the job was interrupted on the ComfyUI server (at node {data.get('node_type', '?')}); "
                    "draw the take again."
                )
            elif (
                kind == "executing" and data.get("node") is None and data.get("prompt_id") == prompt_id
            ) or (kind == "execution_success" and data.get("prompt_id") == prompt_id):
                entry = self.history(prompt_id)
                return self._finished(result, entry or {"outputs": {}})

    def _deadline(self, started: float, prompt_id: str) -> None:
        if time.monotonic() - started > self.job_timeout:
            self.cancel(prompt_id)
            raise BackendError(
                f"ComfyUI at {self.base} had not finished the job after {self.job_timeout:g} s (image.job_timeout), "
                "however much it said meanwhile; the job was taken off its queue. Try again, or raise "
                "image.job_timeout for a long job."
            )

    def _silence(self, since: float, prompt_id: str) -> None:
        if time.monotonic() - since > self.timeout:
            self.cancel(prompt_id)
            raise BackendError(
                f"ComfyUI at {self.base} said nothing of the job for {self.timeout:g} s (a long queue, or a stuck "
                "server); the job was taken off its queue. Try again, or raise image.timeout."
            )

    @staticmethod
    def _finished(result: JobResult, entry: dict) -> JobResult:
        outputs = entry.get("outputs")
        if isinstance(outputs, dict):
            result.outputs.update({str(k): v for k, v in outputs.items() if isinstance(v, dict)})
        status = entry.get("status")
        if isinstance(status, dict) and status.get("status_str") == "error":
            messages = status.get("messages")
            for item in messages if isinstance(messages, list) else []:
                if isinstance(item, list) and len(item) == 2 and item[0] == "execution_error":
                    raise BackendError(execution_error(item[1] if isinstance(item[1], dict) else {}))
            raise BackendError("ComfyUI reports the job failed; its console says why.")
        return result


def _parsed(message: str) -> tuple[str, dict]:
    """A websocket message's type and data; ``("", {})`` for anything not in ComfyUI's shape."""
    try:
        decoded = json.loads(message)
    except (ValueError, RecursionError):
        return "", {}
    if not isinstance(decoded, dict) or not isinstance(decoded.get("data", {}), dict):
        return "", {}
    return str(decoded.get("type", "")), decoded.get("data") or {}


def _number(value, default: int = 0) -> int:
    """A step count from a message: a number, else ``default``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return default
    return int(max(0, min(value, 1e9)))


def execution_error(data: dict) -> str:
    """An ``execution_error`` in words, with what to do for the usual causes."""
    text = f"{data.get('exception_type', '')}: {data.get('exception_message', '')}".strip(": ").strip()
    node = data.get("node_type") or "a node"
    if "out of memory" in text.lower() or "OutOfMemory" in text:
        return (
            f"ComfyUI ran out of GPU memory in {node}. Draw smaller (keyframes.width and height), close other "
            "jobs on the server, or start ComfyUI with --lowvram. Nothing already made is lost."
        )
    return f"ComfyUI failed in {node}: {text or 'no reason given'}. Its console has the details."


def refusal(answer: dict, graph: dict, status: int) -> str:
    """Why ``/prompt`` refused a graph, naming the node, what is wrong and what to install or change."""
    error = answer.get("error")
    if isinstance(error, dict) and error.get("type") == "missing_node_type":
        extra = error.get("extra_info") or {}
        missing = extra.get("class_type") or error.get("message", "a node")
        return (
            f"ComfyUI has no node {missing!s} (from {node_pack(str(missing))}). Install it with ComfyUI-Manager "
            "or into ComfyUI/custom_nodes, and restart ComfyUI."
        )
    problems = []
    node_errors = answer.get("node_errors")
    for node_id, report in node_errors.items() if isinstance(node_errors, dict) else ():
        if not isinstance(report, dict):
            continue
        kind = report.get("class_type") or graph.get(node_id, {}).get("class_type", "?")
        errors = report.get("errors")
        for item in errors if isinstance(errors, list) else []:
            if not isinstance(item, dict):
                continue
            details = item.get("details") or item.get("message", "")
            if item.get("type") == "value_not_in_list":
                details += "; choose one the server lists (it reads its models folder when it starts)"
            problems.append(f"node {node_id} ({kind}): {details}")
    if problems:
        return "ComfyUI refused the graph: " + "; ".join(problems) + "."
    message = error.get("message", "") if isinstance(error, dict) else str(error or "")
    return f"ComfyUI refused the graph (HTTP {status}{': ' + message if message else ''})."
