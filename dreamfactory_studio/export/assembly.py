"""The film as one H.264/AAC MP4, assembled with moviepy 2 from the timeline.

The picture is a moviepy ``VideoClip`` whose frames come from the scenes' cached clips (cut, or crossfaded
where segments overlap), the cards and, when asked, burned-in subtitles; the sound is a ``CompositeAudioClip``
of the narration, a silent bed that gives the file its full-length audio stream, and an optional music bed that
dips under speech. Progress comes per frame through a proglog logger, which is also where a cancel stops the
writing. The file is written under a temporary name beside the output and renamed at the end, so a cancel, a
full disk or an ffmpeg failure never leaves a partial film.
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from dreamfactory_studio.backends.image import GenerationCancelled
from dreamfactory_studio.backends.video.ffmpeg import error_tail, ffmpeg_exe
from dreamfactory_studio.core.atomic import FILE_MODE
from dreamfactory_studio.core.errors import BackendError, BadInput, DiskFull
from dreamfactory_studio.core.settings import ExportSettings
from dreamfactory_studio.export.cards import SubtitleOverlay, card_frame
from dreamfactory_studio.export.film import FilmFormat
from dreamfactory_studio.export.timeline import Segment, Timeline

log = logging.getLogger(__name__)

AUDIO_FPS = 44_100
DUCK = 0.3  # the music's level under speech, relative to its own
RAMP_S = 0.35
Progress = Callable[[int, int], None]


class FilmPicture:
    """Frames of the film on demand, reading each scene's clip in order and closing it once passed."""

    def __init__(self, timeline: Timeline, film_format: FilmFormat, burn_subtitles: bool, title: str):
        from moviepy import VideoFileClip

        self._open_clip = VideoFileClip
        self.timeline = timeline
        self.format = film_format
        self.readers: dict[int, object] = {}
        self._firsts = [segment.first for segment in timeline.segments]
        self.cards = {
            id(s): card_frame(s.text or title, film_format.width, film_format.height)
            for s in timeline.segments
            if s.plan is None
        }
        self.overlays = (
            [
                (cue.start, cue.end, SubtitleOverlay(cue.text, film_format.width, film_format.height))
                for cue in timeline.cues
            ]
            if burn_subtitles
            else []
        )

    def _segment_frame(self, index: int, segment: Segment, frame: int) -> np.ndarray:
        if segment.plan is None:
            return self.cards[id(segment)]
        reader = self.readers.get(index)
        if reader is None:
            reader = self.readers[index] = self._open_clip(str(segment.plan.clip), audio=False)
        local = min(
            (frame - segment.first) / self.format.fps, max(0.0, reader.duration - 1 / self.format.fps)
        )
        picture = reader.get_frame(local)
        if picture.shape[:2] != (self.format.height, self.format.width):
            import cv2

            picture = cv2.resize(
                picture, (self.format.width, self.format.height), interpolation=cv2.INTER_AREA
            )
        return picture

    def _close_before(self, frame: int) -> None:
        for index in list(self.readers):
            segment = self.timeline.segments[index]
            if segment.first + segment.frames <= frame:
                self.readers.pop(index).close()

    def frame(self, t: float) -> np.ndarray:
        import cv2

        n = min(self.timeline.frames - 1, int(round(t * self.format.fps)))
        self._close_before(n)
        # Segments start in order and at most two overlap: the last one started, and the one before it.
        last = bisect.bisect_right(self._firsts, n) - 1
        segments = self.timeline.segments
        active = [
            (i, segments[i])
            for i in (last - 1, last)
            if i >= 0 and n < segments[i].first + segments[i].frames
        ]
        i, segment = active[-1]
        picture = self._segment_frame(i, segment, n)
        if len(active) > 1 and segment.overlap_in:
            previous = self._segment_frame(*active[-2], n)
            weight = (n - segment.first + 0.5) / segment.overlap_in
            picture = cv2.addWeighted(previous, 1 - weight, picture, weight, 0)
        seconds = n / self.format.fps
        for start, end, overlay in self.overlays:
            if start <= seconds < end:
                picture = overlay.apply(picture)
                break
        return picture

    def close(self) -> None:
        for reader in self.readers.values():
            reader.close()
        self.readers.clear()


def _silence(duration: float):
    from moviepy import AudioClip

    def frames(t):
        return np.zeros((len(t), 2)) if isinstance(t, np.ndarray) else np.zeros(2)

    return AudioClip(frames, duration=duration, fps=AUDIO_FPS)


def _envelope(timeline: Timeline, times: np.ndarray) -> np.ndarray:
    """The music's gain over time: 1 in the clear, :data:`DUCK` under speech, with short ramps."""
    gain = np.ones_like(times, dtype=np.float64)
    for speech in timeline.speech:
        if speech.audio is None:
            continue
        start, end = speech.start, speech.start + speech.duration
        inside = np.clip(
            np.minimum((times - (start - RAMP_S)) / RAMP_S, ((end + RAMP_S) - times) / RAMP_S), 0.0, 1.0
        )
        gain = np.minimum(gain, 1.0 - (1.0 - DUCK) * inside)
    return gain


def _sound(timeline: Timeline, settings: ExportSettings, music: Path | None):
    from moviepy import AudioFileClip, CompositeAudioClip, afx

    layers = [_silence(timeline.duration)]
    opened = []
    for speech in timeline.speech:
        if speech.audio is None or speech.duration <= 0:
            continue
        clip = AudioFileClip(str(speech.audio))
        opened.append(clip)
        layers.append(clip.subclipped(0, min(clip.duration, speech.duration)).with_start(speech.start))
    if music is not None:
        try:
            bed = AudioFileClip(str(music))
        except (OSError, KeyError, IndexError) as exc:
            raise BadInput(f"the music file {music} cannot be read as audio ({exc}).") from None
        opened.append(bed)
        bed = bed.with_effects(
            [afx.AudioLoop(duration=timeline.duration), afx.AudioFadeOut(min(2.0, timeline.duration / 4))]
        )
        volume = settings.music_volume

        def ducked(get_frame, t):
            frames = get_frame(t)
            gain = _envelope(timeline, np.atleast_1d(np.asarray(t, dtype=np.float64))) * volume
            return frames * (gain[:, None] if np.ndim(frames) == 2 else gain[0])

        layers.append(bed.transform(ducked, keep_duration=True))
    mix = CompositeAudioClip(layers).with_duration(timeline.duration)
    mix.fps = AUDIO_FPS
    return mix, opened


def _progress_logger(on_progress: Progress | None, cancelled: Callable[[], bool], total: int):
    import proglog

    class Logger(proglog.ProgressBarLogger):
        def bars_callback(self, bar, attr, value, old_value=None):
            if cancelled():
                raise GenerationCancelled("the export was cancelled")
            if bar == "frame_index" and attr == "index" and on_progress is not None:
                on_progress(min(total, int(value) + 1), total)

        def callback(self, **changes):
            if cancelled():
                raise GenerationCancelled("the export was cancelled")

    return Logger()


SCRATCH_PREFIX = ".dreamfactory-export-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def sweep_leftovers(folder: Path) -> None:
    """Remove what a killed export left beside its film: partial films and scratch folders, each named with
    the pid of the export that made it, when that program is gone."""
    for leftover in folder.glob(f"{SCRATCH_PREFIX}*"):
        pid = leftover.name.removeprefix(SCRATCH_PREFIX).split("-")[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    leftover.unlink()


def writable_temp(output: Path) -> Path:
    """A temporary name beside ``output`` (same folder, so the final rename is atomic), checked writable."""
    folder = output.parent
    sweep_leftovers(folder)
    try:
        prefix = f"{SCRATCH_PREFIX}{os.getpid()}-{output.stem}."
        handle, name = tempfile.mkstemp(prefix=prefix, suffix=".partial.mp4", dir=folder)
    except OSError as exc:
        raise BadInput(
            f"cannot write in {folder} ({exc.strerror}); choose another place for the film."
        ) from None
    os.close(handle)
    return Path(name)


def assemble(
    timeline: Timeline,
    output: Path,
    film_format: FilmFormat,
    settings: ExportSettings,
    *,
    title: str = "",
    burn_subtitles: bool = False,
    music: Path | None = None,
    on_progress: Progress | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> Path:
    """Write the film to ``output`` (an .mp4); nothing is left behind if it fails or is cancelled."""
    from moviepy import VideoClip

    output = Path(output)
    ffmpeg_exe()  # a clear message now, rather than moviepy's later
    temp = writable_temp(output)
    picture = FilmPicture(timeline, film_format, burn_subtitles, title)
    sound, opened = _sound(timeline, settings, music)
    logger = _progress_logger(on_progress, cancelled, timeline.frames)
    # Scratch beside the film, not in the system's temp: a killed export's is swept by the next one.
    with tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=output.parent) as work:
        try:
            # The mix goes to a plain WAV first, so that ffmpeg encodes the AAC while it encodes the picture.
            wav = str(Path(work) / "sound.wav")
            sound.write_audiofile(wav, AUDIO_FPS, nbytes=2, codec="pcm_s16le", logger=logger)
            film = VideoClip(picture.frame, duration=timeline.duration)
            film.write_videofile(
                str(temp),
                fps=film_format.fps,
                codec="libx264",
                audio=wav,
                audio_codec="aac",
                audio_bitrate="160k",
                preset=settings.preset,
                threads=os.cpu_count() or 2,
                ffmpeg_params=[
                    "-crf",
                    str(settings.quality),
                    "-pix_fmt",
                    "yuv420p",
                    "-movflags",
                    "+faststart",
                ],
                logger=logger,
            )
            os.chmod(temp, FILE_MODE)  # mkstemp makes it private; the film should be like any other file
            os.replace(temp, output)
        except GenerationCancelled:
            raise
        except OSError as exc:
            raise _explain(exc, output) from None
        finally:
            picture.close()
            for clip in opened:
                with contextlib.suppress(Exception):
                    clip.close()
            temp.unlink(missing_ok=True)
    return output


def _explain(exc: OSError, output: Path) -> Exception:
    text = str(exc)
    if exc.errno == errno.ENOSPC or "No space left" in text:
        return DiskFull(
            f"the disk is full: {output.parent} has no room for the film. Free some space and export again."
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return BadInput(f"cannot write {output} ({exc.strerror}); choose another place for the film.")
    log.info("ffmpeg failed", exc_info=True)
    return BackendError(f"ffmpeg failed while writing the film: {error_tail(text)}")
