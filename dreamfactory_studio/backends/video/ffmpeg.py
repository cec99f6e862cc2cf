"""ffmpeg, found at run time, and a writer that pipes raw frames into it.

The program comes from imageio-ffmpeg (its bundled binary, also inside a packaged app), or from
``IMAGEIO_FFMPEG_EXE`` when the user points elsewhere. moviepy finds the same one.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from dreamfactory_studio.core.errors import BackendError, BadInput, DiskFull

ERROR_TAIL = 600


def ffmpeg_exe() -> str:
    """The ffmpeg program the studio uses."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        raise BackendError(
            "ffmpeg was not found. Reinstall the studio (its imageio-ffmpeg package ships ffmpeg), or set "
            "IMAGEIO_FFMPEG_EXE to an ffmpeg program."
        ) from None


def error_tail(text: str) -> str:
    """What ffmpeg said went wrong: its first complaints (the cause) and its last line (the outcome), without
    the ``[codec @ 0x...]`` prefixes."""
    lines: list[str] = []
    for line in text.strip().splitlines():
        line = re.sub(r"\[[^\]]*@ 0x[0-9a-f]+\]\s*", "", line).strip()
        if line and line not in lines:
            lines.append(line)
    picked = lines[:2] + lines[-1:] if len(lines) > 3 else lines
    return " | ".join(picked)[-ERROR_TAIL:] or "no message"


def check_audio(path: Path) -> None:
    """Refuse (:class:`BadInput`) a file in which ffmpeg finds no sound it can decode, before any work."""
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(path), "-map", "0:a:0"]
    command += ["-t", "0.5", "-f", "null", "-"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise BadInput(f"{path} could not be read as sound within a minute; choose another file.") from None
    if done.returncode != 0:
        why = error_tail(done.stderr.decode(errors="replace"))
        raise BadInput(f"{path} holds no sound ffmpeg can play ({why}); choose an MP3, WAV, OGG or M4A file.")


class FrameWriter:
    """Encodes RGB frames (``H x W x 3`` uint8) to an H.264 MP4 with no audio.

    The defaults suit the cached clips, which are intermediate: nearly lossless and fast to write and read."""

    def __init__(
        self, path: Path, width: int, height: int, fps: float, *, crf: int = 14, preset: str = "ultrafast"
    ):
        self.path = Path(path)
        self.size = (width, height)
        self.frames = 0
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - ffmpeg's stderr, closed in close/abort
        command = [
            ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            f"{width}x{height}",
            "-r",
            f"{fps}",
            "-i",
            "-",
            "-an",
            "-c:v",
            "libx264",
            "-preset",
            preset,
            "-crf",
            str(crf),
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
            str(self.path),
        ]
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=self._log)

    def write(self, frame: np.ndarray) -> None:
        if frame.shape[:2] != self.size[::-1] or frame.dtype != np.uint8:
            raise ValueError(f"frame {frame.shape} {frame.dtype} does not fit {self.size}")
        try:
            self._process.stdin.write(np.ascontiguousarray(frame).data)
        except BrokenPipeError:
            self._fail()
        self.frames += 1

    def close(self) -> None:
        """Finish the file; raises with ffmpeg's message if it failed."""
        with contextlib.suppress(BrokenPipeError):
            self._process.stdin.close()
        if self._process.wait() != 0:
            self._fail()
        self._log.close()

    def abort(self) -> None:
        """Stop at once and remove the partial file."""
        self._process.kill()
        self._process.wait()
        self._log.close()
        self.path.unlink(missing_ok=True)

    def _fail(self) -> None:
        self._process.kill()
        self._process.wait()
        self._log.seek(0)
        message = error_tail(self._log.read().decode(errors="replace"))
        self._log.close()
        self.path.unlink(missing_ok=True)
        if "No space left" in message or "Disk quota exceeded" in message:
            raise DiskFull(
                f"the disk is full: {self.path.parent} has no room for {self.path.name}. Everything finished "
                "before is kept; free some space and try again."
            )
        raise BackendError(f"ffmpeg could not write {self.path.name}: {message}")

    def __enter__(self) -> FrameWriter:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()
