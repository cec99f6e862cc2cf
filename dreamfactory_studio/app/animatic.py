"""The animatic: the storyboard played in the window, no export needed.

Each keyframe shows for its scene's duration (timed as the film times it) with its camera move drawn cheaply
(a moving crop of the picture), the scene's dialogue or narration as a subtitle under it, and the narration
(and the music, if set) played by Qt Multimedia. Space plays and pauses, the arrow keys step between scenes,
the scrub bar seeks, and the timeline's current card follows along. :class:`AnimaticClock` is the timing
alone, with no Qt in it, so that it can be tested without waiting.
"""

from __future__ import annotations

import bisect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from dreamfactory_studio.app.state import ActionContext
from dreamfactory_studio.backends.video.camera_move import Move, choose_move, view_at
from dreamfactory_studio.core.dialogue import spoken_subtitles
from dreamfactory_studio.core.errors import StudioError, advised
from dreamfactory_studio.core.model import Project
from dreamfactory_studio.core.settings import Settings
from dreamfactory_studio.core.timing import scene_length
from dreamfactory_studio.export.timeline import split_cues

log = logging.getLogger(__name__)
TICK_MS = 33


@dataclass(frozen=True)
class Shot:
    """One scene as the animatic plays it."""

    scene_id: str
    number: int
    seconds: float
    image: Path | None
    move: Move
    caption: str
    lines: tuple[str, ...] = ()
    audio: Path | None = None


def shots_of(project: Project, settings: Settings, asset_path: Callable[[str], Path]) -> list[Shot]:
    """The project's scenes as shots, timed as the film times them."""
    names = {c.id: c.name for c in project.characters}
    shots = []
    for number, scene in enumerate(project.scenes, 1):
        take = scene.keyframe
        heading = scene.setting.heading if scene.setting else scene.title
        caption = " · ".join(p for p in (f"Scene {number}", scene.shot, scene.camera, heading) if p)
        lines = spoken_subtitles(scene.narration, scene.dialogue, names) or split_cues(scene.narration)
        audio = scene.narration_audio.audio if scene.narration_audio else None
        shots.append(
            Shot(
                scene_id=scene.id,
                number=number,
                seconds=scene_length(
                    scene, settings.export, settings.defaults.fps, settings.speech.words_per_second
                ),
                image=asset_path(take.image) if take else None,
                move=choose_move(scene.shot, scene.camera, scene.script, number),
                caption=caption,
                lines=tuple(lines),
                audio=asset_path(audio) if audio else None,
            )
        )
    return shots


@dataclass
class AnimaticClock:
    """Where the animatic is: a position in seconds along shots laid end to end, running or paused.
    ``now`` is the time source (seconds); the position moves only while playing."""

    durations: list[float]
    now: Callable[[], float] = time.monotonic
    _base: float = 0.0
    _started: float | None = None
    starts: list[float] = field(init=False)

    def __post_init__(self) -> None:
        self.starts = [sum(self.durations[:i]) for i in range(len(self.durations))]

    @property
    def total(self) -> float:
        return sum(self.durations)

    @property
    def playing(self) -> bool:
        return self._started is not None

    @property
    def position(self) -> float:
        elapsed = self.now() - self._started if self._started is not None else 0.0
        return min(self.total, self._base + elapsed)

    @property
    def finished(self) -> bool:
        return self.position >= self.total

    def play(self) -> None:
        """Run from here; from the end, from the start again."""
        if self.finished:
            self._base, self._started = 0.0, None
        if self._started is None:
            self._started = self.now()

    def pause(self) -> None:
        self._base, self._started = self.position, None

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def seek(self, seconds: float) -> None:
        self._base = min(max(0.0, seconds), self.total)
        if self._started is not None:
            self._started = self.now()

    def shot_at(self, seconds: float | None = None) -> int:
        """The index of the shot playing at ``seconds`` (default: now)."""
        if not self.durations:
            return -1
        at = self.position if seconds is None else seconds
        return min(len(self.durations) - 1, max(0, bisect.bisect_right(self.starts, at) - 1))

    def progress(self) -> float:
        """How far into its shot the position is, 0 to 1."""
        index = self.shot_at()
        if index < 0 or not self.durations[index]:
            return 0.0
        return min(1.0, (self.position - self.starts[index]) / self.durations[index])

    def step(self, by: int) -> int:
        """Go to the start of the shot ``by`` shots on (back: a shot well under way goes to its own start)."""
        index = self.shot_at()
        if by < 0 and self.position - self.starts[index] > 0.5:
            by += 1
        index = min(max(0, index + by), len(self.durations) - 1)
        self.seek(self.starts[index])
        return index


class Frame(QWidget):
    """The keyframe, drawn through the camera's moving view, letterboxed to the film's aspect."""

    def __init__(self, aspect: float, parent: QWidget | None = None):
        super().__init__(parent)
        self.aspect = aspect
        self.pixmap: QPixmap | None = None
        self.move = Move("drift")
        self.t = 0.0
        self.setMinimumSize(320, round(320 / aspect))

    def show_frame(self, pixmap: QPixmap | None, move: Move, t: float) -> None:
        self.pixmap, self.move, self.t = pixmap, move, t
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        width = min(self.width(), self.height() * self.aspect)
        target = QRectF(0, 0, width, width / self.aspect)
        target.moveCenter(QPointF(self.rect().center()))
        if self.pixmap is None or self.pixmap.isNull():
            painter.setPen(Qt.GlobalColor.gray)
            painter.drawText(target, Qt.AlignmentFlag.AlignCenter, "No keyframe yet")
            return
        zoom, fx, fy = view_at(self.move, self.t)
        pw, ph = self.pixmap.width(), self.pixmap.height()
        # the picture cropped to the film's aspect, then to the camera's view
        cw, ch = (ph * self.aspect, ph) if pw / ph > self.aspect else (pw, pw / self.aspect)
        vw, vh = cw / zoom, ch / zoom
        left = (pw - cw) / 2 + fx * cw - vw / 2
        top = (ph - ch) / 2 + fy * ch - vh / 2
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawPixmap(target, self.pixmap, QRectF(left, top, vw, vh))


class Sound:
    """The narration (one scene's file at a time) and the music, through Qt Multimedia when it loads; silent
    with a reason when it does not (on Linux it needs the PulseAudio client library, libpulse)."""

    def __init__(self, music: Path | None):
        self.problem = ""
        try:
            from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
        except ImportError as exc:
            self.problem = f"no sound: Qt Multimedia could not load ({exc})"
            self.voice = self.music = None
            return
        self.voice, self._voice_out = QMediaPlayer(), QAudioOutput()
        self.voice.setAudioOutput(self._voice_out)
        self.music = None
        if music is not None and music.is_file():
            self.music, self._music_out = QMediaPlayer(), QAudioOutput()
            self.music.setAudioOutput(self._music_out)
            self._music_out.setVolume(0.35)
            self.music.setSource(QUrl.fromLocalFile(str(music)))
        self.playing: Path | None = None

    def follow(self, shot: Shot | None, into: float, total_position: float, playing: bool) -> None:
        """Play what belongs at this moment: ``shot``'s narration ``into`` seconds in, the music at the film's
        position; pause both when not ``playing``."""
        if self.voice is None:
            return
        audio = shot.audio if shot else None
        if audio != self.playing:
            self.playing = audio
            self.voice.stop()
            if audio is not None and audio.is_file():
                self.voice.setSource(QUrl.fromLocalFile(str(audio)))
                self.voice.setPosition(round(into * 1000))
        for player, at in ((self.voice, into), (self.music, total_position)):
            if player is None or player.source().isEmpty():
                continue
            ended = 0 < player.duration() <= at * 1000 + 50
            if playing and player.playbackState() != player.PlaybackState.PlayingState and not ended:
                player.setPosition(round(at * 1000))
                player.play()
            elif not playing:
                player.pause()

    def stop(self) -> None:
        for player in (self.voice, self.music):
            if player is not None:
                player.stop()


class AnimaticPlayer(QDialog):
    """The animatic window. ``sceneShown(scene_id)`` says which scene is on screen, for the timeline."""

    sceneShown = Signal(str)

    def __init__(self, shots: list[Shot], aspect: float, music: Path | None, start: int = 0, parent=None):
        super().__init__(parent)
        self.setObjectName("animatic")
        self.setWindowTitle("Animatic")
        self.shots = shots
        self.clock = AnimaticClock([s.seconds for s in shots])
        self.pixmaps: dict[Path, QPixmap] = {}
        self.frame = Frame(aspect)
        self.caption = QLabel(objectName="animaticCaption")
        self.subtitle = QLabel(objectName="animaticSubtitle", alignment=Qt.AlignmentFlag.AlignCenter)
        self.subtitle.setWordWrap(True)
        self.play_button = QPushButton("Play", objectName="animaticPlay")
        self.play_button.clicked.connect(self.toggle)
        back = QPushButton("◀", objectName="animaticBack", toolTip="The scene before (Left)")
        back.clicked.connect(lambda: self.step(-1))
        on = QPushButton("▶", objectName="animaticNext", toolTip="The next scene (Right)")
        on.clicked.connect(lambda: self.step(+1))
        self.scrub = QSlider(Qt.Orientation.Horizontal, objectName="animaticScrub")
        self.scrub.setRange(0, max(1, round(self.clock.total * 1000)))
        self.scrub.sliderMoved.connect(lambda ms: self.seek(ms / 1000))
        self.time = QLabel(objectName="animaticTime")
        self.sound = Sound(music)
        self.status = QLabel(self.sound.problem, objectName="animaticStatus")
        controls = QHBoxLayout()
        for widget in (back, self.play_button, on, self.scrub, self.time):
            controls.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addWidget(self.frame, 1)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.caption)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        for widget in (back, self.play_button, on, self.scrub):
            widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space and the arrows are the player's own
        self.timer = QTimer(self, interval=TICK_MS)
        self.timer.timeout.connect(self.tick)
        self._shown = -1
        if shots:
            self.clock.seek(self.clock.starts[min(max(0, start), len(shots) - 1)])
        self.tick()

    def _pixmap(self, path: Path | None) -> QPixmap | None:
        if path is None:
            return None
        if path not in self.pixmaps:
            self.pixmaps[path] = QPixmap(str(path))
        return self.pixmaps[path]

    def toggle(self) -> None:
        self.clock.toggle()
        self.timer.start() if self.clock.playing else self.timer.stop()
        self.tick()

    def step(self, by: int) -> None:
        self.clock.step(by)
        self.tick()

    def seek(self, seconds: float) -> None:
        self.clock.seek(seconds)
        self.tick()

    def tick(self) -> None:
        """Draw the moment the clock is at, and keep the sound and the timeline with it."""
        if self.clock.playing and self.clock.finished:
            self.clock.pause()
            self.timer.stop()
        self.play_button.setText("Pause" if self.clock.playing else "Play")
        index = self.clock.shot_at()
        position = self.clock.position
        if not self.scrub.isSliderDown():
            self.scrub.setValue(round(position * 1000))
        self.time.setText(f"{_clock(position)} / {_clock(self.clock.total)}")
        if index < 0:
            self.caption.setText("The project has no scenes yet.")
            return
        shot = self.shots[index]
        into = position - self.clock.starts[index]
        self.frame.show_frame(self._pixmap(shot.image), shot.move, self.clock.progress())
        self.caption.setText(shot.caption)
        line = ""
        if shot.lines:
            weights = [len(text) + 8 for text in shot.lines]
            reach = into / max(shot.seconds, 1e-6) * sum(weights)
            line = shot.lines[min(len(weights) - 1, bisect.bisect_right(_running(weights), reach))]
        self.subtitle.setText(line)
        self.sound.follow(shot, into, position, self.clock.playing)
        if index != self._shown:
            self._shown = index
            self.sceneShown.emit(shot.scene_id)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        keys = {
            Qt.Key.Key_Space: self.toggle,
            Qt.Key.Key_Left: lambda: self.step(-1),
            Qt.Key.Key_Right: lambda: self.step(+1),
        }
        action = keys.get(event.key())
        if action is None:
            super().keyPressEvent(event)
        else:
            action()

    def done(self, result: int) -> None:
        self.timer.stop()
        self.sound.stop()
        super().done(result)


def _running(weights: list[int]) -> list[int]:
    total, out = 0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


def play(ctx: ActionContext) -> AnimaticPlayer | None:
    """Play the open project's storyboard from the current scene, in a window of its own that selects on the
    timeline each scene it shows; None when there is nothing to play or the settings are unreadable (said)."""
    session = ctx.session
    if session is None:
        return None
    ctx.views.commit_fields()
    try:
        settings = session.workspace.settings
    except StudioError as exc:
        QMessageBox.warning(ctx.parent, "Cannot play the animatic", advised(exc, "window"))
        return None
    width, height = (int(n) for n in settings.defaults.resolution.lower().split("x"))
    current = ctx.state.current
    start = session.number_of(current) - 1 if current else 0
    music = Path(settings.export.music).expanduser() if settings.export.music else None
    shots = shots_of(session.project, settings, session.folder.asset_path)
    player = AnimaticPlayer(shots, width / height, music, start, ctx.parent)
    player.sceneShown.connect(lambda scene_id: ctx.views.select_scenes([scene_id]))
    player.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    player.resize(960, 660)
    player.show()
    player.toggle()
    return player
