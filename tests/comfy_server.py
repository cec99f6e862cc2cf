"""A fake ComfyUI server on 127.0.0.1 that speaks the real protocol, for the tests: ``/object_info``,
``/system_stats``, ``/prompt`` (validation with ``missing_node_type`` and ``node_errors`` as ComfyUI's
``execution.validate_prompt`` answers), ``/upload/image``, ``/history/{id}``, ``/view``, ``/interrupt``,
``/queue``, and the websocket ``/ws?clientId=`` with the messages ComfyUI's executor sends (``status``,
``execution_start``, ``execution_cached``, ``executing``, ``progress``, ``executed``, ``execution_success``,
``execution_error``, ``execution_interrupted``) and binary preview frames. The websocket is RFC 6455 by hand
(the server side only), so the studio's client meets a socket it did not write.

Each job "draws" a flat picture whose colour comes from its seed, at its latent's size; a clip graph saves
``video_frames`` such pictures. Tests change ``server.fail`` ("oom", "no-image", "drop-socket"), the nodes it
has, and read what it was sent (``server.prompts``, ``server.uploads``).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import random
import socket
import struct
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def _combo(*names):
    return [list(names), {}]


def core_nodes(
    checkpoints=("sd_xl_base_1.0.safetensors", "SD15/dreamshaper_8.safetensors"), loras=("mira.safetensors",)
):
    nodes = {
        "CheckpointLoaderSimple": {"required": {"ckpt_name": _combo(*checkpoints)}},
        "LoraLoader": {"required": {"lora_name": _combo(*loras), "strength_model": ["FLOAT", {}]}},
        "CLIPTextEncode": {"required": {"text": ["STRING", {}], "clip": ["CLIP"]}},
        "EmptyLatentImage": {"required": {"width": ["INT", {}], "height": ["INT", {}]}},
        "KSampler": {"required": {"seed": ["INT", {}], "steps": ["INT", {}]}},
        "VAEDecode": {"required": {}},
        "VAEEncode": {"required": {}},
        "VAEEncodeForInpaint": {"required": {"grow_mask_by": ["INT", {"default": 6}]}},
        "SaveImage": {"required": {}},
        "LoadImage": {"required": {"image": _combo("example.png")}},
        "LoadImageMask": {"required": {"image": _combo("example.png")}},
        "ImageScale": {"required": {}},
        "ImageOnlyCheckpointLoader": {"required": {"ckpt_name": _combo("svd_xt.safetensors")}},
        "SVD_img2vid_Conditioning": {"required": {}},
        "VideoLinearCFGGuidance": {"required": {}},
    }
    return {
        name: {"input": inputs, "name": name, "python_module": "nodes", "output": []}
        for name, inputs in nodes.items()
    }


def ip_adapter_nodes():
    nodes = {
        "IPAdapterAdvanced": {"required": {}},
        "IPAdapterModelLoader": {
            "required": {"ipadapter_file": _combo("ip-adapter-plus_sdxl_vit-h.safetensors")}
        },
        "CLIPVisionLoader": {
            "required": {"clip_name": ["COMBO", {"options": ["CLIP-ViT-H-14.safetensors"]}]}
        },
    }
    return {
        name: {
            "input": inputs,
            "name": name,
            "python_module": "custom_nodes.ComfyUI_IPAdapter_plus",
            "output": [],
        }
        for name, inputs in nodes.items()
    }


class Socket:
    """One websocket client: text and binary frames out, frames in read for close and ping."""

    def __init__(self, connection: socket.socket):
        self.connection = connection
        self.lock = threading.Lock()
        self.open = True

    def send(self, payload: bytes, opcode: int = 0x1) -> None:
        header = bytes([0x80 | opcode])
        size = len(payload)
        if size < 126:
            header += bytes([size])
        elif size < 65536:
            header += bytes([126]) + struct.pack(">H", size)
        else:
            header += bytes([127]) + struct.pack(">Q", size)
        with self.lock:
            if self.open:
                try:
                    self.connection.sendall(header + payload)
                except OSError:
                    self.open = False

    def send_json(self, kind: str, data: dict) -> None:
        self.send(json.dumps({"type": kind, "data": data}).encode())

    def drop(self) -> None:
        """Close the TCP connection without a close frame, as a server restart or a network cut does."""
        with self.lock:
            self.open = False
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

    def serve(self) -> None:
        """Read the client's frames until it closes (masked, as RFC 6455 has clients send them)."""
        reader = self.connection.makefile("rb")
        try:
            while self.open:
                head = reader.read(2)
                if len(head) < 2:
                    return
                opcode, size = head[0] & 0x0F, head[1] & 0x7F
                if size == 126:
                    size = struct.unpack(">H", reader.read(2))[0]
                elif size == 127:
                    size = struct.unpack(">Q", reader.read(8))[0]
                mask = reader.read(4) if head[1] & 0x80 else b"\0\0\0\0"
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(reader.read(size)))
                if opcode == 0x8:
                    self.send(data[:2], 0x8)
                    return
                if opcode == 0x9:
                    self.send(data, 0xA)
        except OSError:
            return
        finally:
            self.open = False


class FakeComfy:
    def __init__(self):
        self.nodes = {**core_nodes(), **ip_adapter_nodes()}
        self.sockets: dict[str, Socket] = {}
        self.prompts: list[dict] = []
        self.uploads: dict[str, bytes] = {}
        self.outputs: dict[str, bytes] = {}
        self.history: dict[str, dict] = {}
        self.interrupted = threading.Event()
        self.deleted: list[str] = []
        self.fail = ""
        self.seen: list[tuple[str, str]] = []
        """Each request's path with its query, and the Authorization header it carried."""
        self.step_seconds = 0.01
        self.websocket = True
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        for sock in self.sockets.values():
            sock.drop()
        self.server.shutdown()
        self.server.server_close()

    def without(self, *prefixes: str) -> None:
        """Take node classes away (a node pack not installed)."""
        self.nodes = {k: v for k, v in self.nodes.items() if not k.startswith(prefixes)}

    # -- validation, as execution.validate_prompt ------------------------------------------------------

    def validate(self, graph: dict):
        for node_id, node in graph.items():
            if node.get("class_type") not in self.nodes:
                title = node.get("_meta", {}).get("title")
                return {
                    "error": {
                        "type": "missing_node_type",
                        "message": f"Node '{title or node.get('class_type')}' not found. The custom node may not be installed.",
                        "details": f"Node ID '#{node_id}'",
                        "extra_info": {
                            "node_id": node_id,
                            "class_type": node.get("class_type"),
                            "node_title": title,
                        },
                    },
                    "node_errors": {},
                }
        errors = {}
        for node_id, node in graph.items():
            spec = self.nodes[node["class_type"]]["input"].get("required", {})
            for name, value in node.get("inputs", {}).items():
                allowed = spec.get(name)
                options = allowed[0] if allowed and isinstance(allowed[0], list) else None
                if allowed and allowed[0] == "COMBO":
                    options = allowed[1]["options"]
                if (
                    options is not None
                    and not isinstance(value, list)
                    and value not in options
                    and name != "image"
                ):
                    errors[node_id] = {
                        "errors": [
                            {
                                "type": "value_not_in_list",
                                "message": "Value not in list",
                                "details": f"{name}: '{value}' not in {options}",
                                "extra_info": {"input_name": name},
                            }
                        ],
                        "dependent_outputs": [],
                        "class_type": node["class_type"],
                    }
        if errors:
            return {
                "error": {
                    "type": "prompt_outputs_failed_validation",
                    "message": "Prompt outputs failed validation",
                    "details": "",
                    "extra_info": {},
                },
                "node_errors": errors,
            }
        return None

    # -- running, as the executor ------------------------------------------------------------------------

    def run(self, prompt_id: str, graph: dict, client_id: str) -> None:
        def send(kind, data):
            sock = self.sockets.get(client_id)
            if sock is not None:
                sock.send_json(kind, {**data, "prompt_id": prompt_id} if "prompt_id" not in data else data)

        time.sleep(0.02)
        send("execution_start", {"timestamp": time.time()})
        loaders = [
            i
            for i, n in graph.items()
            if n["class_type"].endswith("Loader") or n["class_type"] == "CheckpointLoaderSimple"
        ]
        send("execution_cached", {"nodes": loaders[:1], "timestamp": time.time()})
        sampler = next((i for i, n in graph.items() if n["class_type"] == "KSampler"), None)
        steps = int(graph[sampler]["inputs"].get("steps", 4)) if sampler else 1
        seed = int(graph[sampler]["inputs"].get("seed", 0)) if sampler else 0
        saves = [i for i, n in graph.items() if n["class_type"] == "SaveImage"]
        for node_id in graph:
            send("executing", {"node": node_id, "display_node": node_id})
            if node_id != sampler:
                continue
            for step in range(1, steps + 1):
                if self.interrupted.is_set():
                    send(
                        "execution_interrupted", {"node_id": node_id, "node_type": "KSampler", "executed": []}
                    )
                    self.history[prompt_id] = {
                        "outputs": {},
                        "status": {"status_str": "error", "completed": False, "messages": []},
                    }
                    return
                if self.fail == "oom" and step == 2:
                    error = {
                        "node_id": node_id,
                        "node_type": "KSampler",
                        "executed": [],
                        "exception_message": "CUDA out of memory. Tried to allocate 2.00 GiB",
                        "exception_type": "torch.OutOfMemoryError",
                        "traceback": [],
                        "current_inputs": {},
                        "current_outputs": {},
                    }
                    send("execution_error", error)
                    self.history[prompt_id] = {
                        "outputs": {},
                        "status": {
                            "status_str": "error",
                            "completed": False,
                            "messages": [["execution_error", {**error, "prompt_id": prompt_id}]],
                        },
                    }
                    return
                time.sleep(self.step_seconds)
                send("progress", {"value": step, "max": steps, "node": node_id})
                if step == 1:
                    sock = self.sockets.get(client_id)
                    if sock is not None:
                        sock.send(struct.pack(">I", 1) + struct.pack(">I", 1) + b"\xff\xd8fake-jpeg", 0x2)
                if self.fail == "drop-socket" and step == steps // 2 and client_id in self.sockets:
                    self.fail = ""
                    self.sockets.pop(client_id).drop()
        outputs = {}
        for node_id in saves:
            images = [] if self.fail == "no-image" else self._pictures(graph, seed, prompt_id, node_id)
            outputs[node_id] = {"images": images}
            send("executed", {"node": node_id, "display_node": node_id, "output": outputs[node_id]})
        self.history[prompt_id] = {
            "prompt": [0, prompt_id, graph, {"client_id": client_id}, saves],
            "outputs": outputs,
            "status": {"status_str": "success", "completed": True, "messages": []},
        }
        send("executing", {"node": None})
        send("execution_success", {"timestamp": time.time()})

    def _pictures(self, graph: dict, seed: int, prompt_id: str, node_id: str) -> list[dict]:
        from PIL import Image

        latent = next((n for n in graph.values() if n["class_type"] == "EmptyLatentImage"), None)
        video = next((n for n in graph.values() if n["class_type"] == "SVD_img2vid_Conditioning"), None)
        scaled = next((n for n in graph.values() if n["class_type"] == "ImageScale"), None)
        size_of = latent or video or scaled or {"inputs": {"width": 512, "height": 512}}
        width, height = int(size_of["inputs"]["width"]), int(size_of["inputs"]["height"])
        count = int(video["inputs"]["video_frames"]) if video else 1
        images = []
        for index in range(count):
            rng = random.Random(seed * 1000 + index)
            colour = tuple(rng.randrange(256) for _ in range(3))
            buffer = io.BytesIO()
            Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
            name = f"dreamfactory_{prompt_id[:8]}_{node_id}_{index:05d}_.png"
            self.outputs[name] = buffer.getvalue()
            images.append({"filename": name, "subfolder": "", "type": "output"})
        return images

    # -- HTTP --------------------------------------------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _json(self, body, status=200):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length", 0)))

            def do_GET(self):  # noqa: N802
                fake.seen.append((self.path, self.headers.get("Authorization", "")))
                url = urlparse(self.path)
                if (
                    url.path == "/ws"
                    and fake.websocket
                    and self.headers.get("Upgrade", "").lower() == "websocket"
                ):
                    return self._websocket(parse_qs(url.query).get("clientId", [uuid.uuid4().hex])[0])
                if url.path == "/object_info":
                    return self._json(fake.nodes)
                if url.path == "/system_stats":
                    return self._json(
                        {
                            "system": {
                                "os": "posix",
                                "comfyui_version": "0.3.40",
                                "python_version": "3.11",
                                "embedded_python": False,
                            },
                            "devices": [
                                {
                                    "name": "cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync",
                                    "type": "cuda",
                                    "index": 0,
                                    "vram_total": 24 * 2**30,
                                    "vram_free": 20 * 2**30,
                                }
                            ],
                        }
                    )
                if url.path.startswith("/history/"):
                    prompt_id = url.path.rsplit("/", 1)[1]
                    return self._json(
                        {prompt_id: fake.history[prompt_id]} if prompt_id in fake.history else {}
                    )
                if url.path == "/view":
                    name = parse_qs(url.query)["filename"][0]
                    data = fake.outputs.get(name)
                    if data is None:
                        return self._json({}, 404)
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    return self.wfile.write(data)
                return self._json({}, 404)

            def do_POST(self):  # noqa: N802
                fake.seen.append((self.path, self.headers.get("Authorization", "")))
                url = urlparse(self.path)
                if url.path == "/prompt":
                    body = json.loads(self._body())
                    graph = body["prompt"]
                    refused = fake.validate(graph)
                    if refused:
                        return self._json(refused, 400)
                    prompt_id = str(uuid.uuid4())
                    fake.prompts.append(graph)
                    fake.interrupted.clear()
                    threading.Thread(
                        target=fake.run, args=(prompt_id, graph, body.get("client_id", "")), daemon=True
                    ).start()
                    return self._json(
                        {"prompt_id": prompt_id, "number": len(fake.prompts), "node_errors": {}}
                    )
                if url.path == "/upload/image":
                    body = self._body()
                    boundary = self.headers["Content-Type"].split("boundary=")[1].encode()
                    fields = {}
                    for part in body.split(b"--" + boundary):
                        if b"\r\n\r\n" not in part:
                            continue
                        head, _, content = part.partition(b"\r\n\r\n")
                        name = head.split(b'name="')[1].split(b'"')[0].decode()
                        filename = (
                            head.split(b'filename="')[1].split(b'"')[0].decode()
                            if b"filename=" in head
                            else None
                        )
                        fields[name] = (filename, content[:-2] if content.endswith(b"\r\n") else content)
                    filename, data = fields["image"]
                    fake.uploads[filename] = data
                    return self._json(
                        {
                            "name": filename,
                            "subfolder": fields.get("subfolder", (None, b""))[1].decode(),
                            "type": "input",
                        }
                    )
                if url.path == "/interrupt":
                    self._body()
                    fake.interrupted.set()
                    return self._json({})
                if url.path == "/queue":
                    fake.deleted += json.loads(self._body()).get("delete", [])
                    return self._json({})
                return self._json({}, 404)

            def _websocket(self, client_id: str) -> None:
                accept = base64.b64encode(
                    hashlib.sha1((self.headers["Sec-WebSocket-Key"] + GUID).encode()).digest()
                ).decode()
                self.send_response(101)
                self.send_header("Upgrade", "websocket")
                self.send_header("Connection", "Upgrade")
                self.send_header("Sec-WebSocket-Accept", accept)
                self.end_headers()
                self.wfile.flush()
                sock = Socket(self.connection)
                fake.sockets[client_id] = sock
                sock.send_json("status", {"status": {"exec_info": {"queue_remaining": 0}}, "sid": client_id})
                sock.serve()
                self.close_connection = True

        return Handler
