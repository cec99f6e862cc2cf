"""What a ComfyUI server is and has, asked for the settings' *Test server* and ``settings --check-image``."""

from __future__ import annotations

from collections.abc import Callable

from dreamfactory_studio.backends.comfyui.client import NODE_PACKS, ComfyClient, choices


def check(base_url: str, timeout: float = 10.0, say: Callable[[str], None] = print) -> dict:
    """Ask a server what it is: version, devices and free memory, node packs, whether the studio's graphs
    can run there. Returns the facts; :class:`BackendError` when it cannot be reached."""
    client = ComfyClient(base_url, timeout)
    stats = client.system_stats()
    system = stats.get("system") if isinstance(stats.get("system"), dict) else {}
    devices = [d for d in stats.get("devices") or [] if isinstance(d, dict)]
    packs = client.node_packs()
    facts = {
        "version": system.get("comfyui_version", "unknown"),
        "devices": [
            f"{str(d.get('name', d.get('type', '?'))).split(' : ')[0]}: {d.get('vram_free', 0) / 2**30:.1f} of "
            f"{d.get('vram_total', 0) / 2**30:.1f} GiB free"
            for d in devices
        ],
        "packs": packs,
        "checkpoints": choices(client.object_info(), "CheckpointLoaderSimple", "ckpt_name"),
        "loras": choices(client.object_info(), "LoraLoader", "lora_name"),
        "ip_adapters": choices(client.object_info(), "IPAdapterModelLoader", "ipadapter_file"),
        "video_checkpoints": choices(client.object_info(), "ImageOnlyCheckpointLoader", "ckpt_name"),
        "ip_adapter": client.has("IPAdapterAdvanced", "IPAdapterModelLoader", "CLIPVisionLoader"),
        "video": client.has("ImageOnlyCheckpointLoader", "SVD_img2vid_Conditioning"),
    }
    say(f"ComfyUI {facts['version']} at {client.base}")
    for device in facts["devices"]:
        say(f"  {device}")
    say(f"  node packs: {', '.join(packs) or 'none beyond the core'}")
    say(
        f"  checkpoints: {len(facts['checkpoints'])}"
        + (f" (e.g. {facts['checkpoints'][0]})" if facts["checkpoints"] else "")
    )
    say(f"  LoRAs: {len(facts['loras'])}")
    if facts["ip_adapters"]:
        say(f"  IP-Adapter models (image.ip_adapter): {', '.join(facts['ip_adapters'])}")
    if facts["video_checkpoints"]:
        say(f"  video checkpoints (video.model): {', '.join(facts['video_checkpoints'])}")
    say(
        "  IP-Adapter: "
        + (
            "yes, the cast's references go through it"
            if facts["ip_adapter"]
            else f"missing: install {NODE_PACKS['IPAdapter']}"
        )
    )
    say("  image-to-video (SVD): " + ("yes" if facts["video"] else "no SVD nodes (update ComfyUI)"))
    return facts
