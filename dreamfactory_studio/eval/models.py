"""The models the metrics measure with, each from a local file or the Hugging Face cache, loaded on first use.

Nothing is ever downloaded. A model that is not set, or not where the setting says, raises :class:`BackendError`
with the setting to change; the evaluation reports that metric as not computed and goes on with the others.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dreamfactory_studio.backends.backend_set import make_embedder
from dreamfactory_studio.backends.gpu_stack import require_gpu_stack
from dreamfactory_studio.backends.image.files import open_image
from dreamfactory_studio.backends.vision.clip_embedder import ClipEmbedder
from dreamfactory_studio.backends.vision.faces import DlibFaces
from dreamfactory_studio.core.errors import BackendError, BadModel
from dreamfactory_studio.core.settings import Settings

HF_LAYOUT = (
    "a folder with config.json, safetensors weights and the processor files (as save_pretrained writes)"
)


def _set(key: str) -> str:
    return f"point {key} to one with `dreamfactory-studio settings --set {key}=PATH`"


def _local_file(value: str, key: str, what: str, suffixes: tuple[str, ...]) -> Path:
    if not value:
        raise BackendError(f"no {what} is set; {_set(key)}.")
    path = Path(value).expanduser()
    if not path.is_file():
        raise BackendError(f"there is no {what} at {path} (setting {key}); {_set(key)}.")
    if path.suffix.lower() not in suffixes:
        raise BackendError(f"{path} is not {what} (expected a {' or '.join(suffixes)} file; setting {key}).")
    return path


def _pretrained(value: str, key: str, what: str) -> Path:
    from dreamfactory_studio.backends.image.diffusers_backend import resolve_model

    if not value:
        raise BackendError(f"no {what} is set; {_set(key)} (a local folder or a cached Hugging Face id).")
    return resolve_model(value, layout=HF_LAYOUT, setting=key, marker="config.json")


class DinoEmbedder:
    """Unit-length DINOv2 image features (the CLS token): closer to identity and layout than CLIP's."""

    def __init__(self, folder: Path):
        require_gpu_stack("the DINOv2 similarity ([eval] dino_model)")
        from transformers import AutoImageProcessor, AutoModel

        try:
            self._model = AutoModel.from_pretrained(
                folder, local_files_only=True, use_safetensors=True
            ).eval()
            self._processor = AutoImageProcessor.from_pretrained(folder, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise BackendError(f"the DINOv2 model at {folder} cannot be loaded ({exc}).") from None
        kind = getattr(self._model.config, "model_type", "")
        if kind != "dinov2":
            raise BadModel(
                f"the model at {folder} is a {kind or 'model of unknown kind'}, not DINOv2; set eval.dino_model "
                "to a DINOv2 folder (or leave it empty to compare with CLIP)."
            )
        self.name = f"dinov2:{folder.name}"

    def image(self, path: Path) -> np.ndarray:
        import torch

        with torch.no_grad():
            inputs = self._processor(images=open_image(path), return_tensors="pt")
            vector = self._model(**inputs).pooler_output[0].float().numpy()
        return (vector / (np.linalg.norm(vector) or 1.0)).astype(np.float32)


class FaceFinder:
    """OpenCV's YuNet detector: the most confident face of an image, cropped with a margin."""

    def __init__(self, model: Path, threshold: float = 0.6):
        import cv2

        try:
            self._detector = cv2.FaceDetectorYN.create(str(model), "", (320, 320), threshold, 0.3, 50)
        except cv2.error as exc:
            raise BackendError(f"{model} is not a YuNet face detector OpenCV can read ({exc.err}).") from None
        self.name = f"yunet:{model.name}"

    def crop(self, path: Path):
        """The face as a PIL image, or None when the image shows none."""
        import cv2
        from PIL import Image

        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise BackendError(f"cannot read the image {path}.")
        height, width = image.shape[:2]
        self._detector.setInputSize((width, height))
        _, faces = self._detector.detect(image)
        if faces is None:
            return None
        for face in sorted(faces, key=lambda f: -f[14]):
            x, y, w, h = (float(v) for v in face[:4])
            margin = 0.15 * max(w, h)
            left, top = max(0, int(x - margin)), max(0, int(y - margin))
            right, bottom = min(width, int(x + w + margin)), min(height, int(y + h + margin))
            if right - left >= 8 and bottom - top >= 8:  # boxes mostly off the image are no face
                return Image.fromarray(cv2.cvtColor(image[top:bottom, left:right], cv2.COLOR_BGR2RGB))
        return None


class FeatureNet:
    """A TorchScript feature network, as the reference implementations ship them: Inception-v3 for FID and IS
    (``inception-2015-12-05.pt``, called with uint8 images NCHW) and I3D for FVD and KVD (``i3d_torchscript.pt``,
    called with videos NCTHW in [-1, 1])."""

    def __init__(self, path: Path, what: str):
        require_gpu_stack(what)
        import torch

        try:
            self._net = torch.jit.load(str(path), map_location="cpu").eval()
        except (RuntimeError, ValueError) as exc:
            raise BackendError(f"{path} is not a TorchScript file torch can load ({exc}); {what}.") from None
        self.name = path.name

    def images(self, paths: list[Path], *, probabilities: bool = False, size: int = 299) -> np.ndarray:
        """Pool features (or class probabilities) of images, a few at a time."""
        import torch
        from PIL import Image

        rows = []
        for start in range(0, len(paths), 16):
            batch = []
            for path in paths[start : start + 16]:
                pixels = np.asarray(open_image(path).resize((size, size), Image.BICUBIC))
                batch.append(torch.from_numpy(pixels.copy()).permute(2, 0, 1))
            with torch.no_grad():
                x = torch.stack(batch)
                out = (
                    self._net(x, no_output_bias=True) if probabilities else self._net(x, return_features=True)
                )
            rows.append(out.float().numpy())
        return np.concatenate(rows)

    def videos(self, paths: list[Path], frames: int = 16, size: int = 224) -> np.ndarray:
        """Features of video files, each sampled at ``frames`` evenly spaced frames."""
        import torch

        rows = []
        for path in paths:
            clip = torch.from_numpy(read_frames(path, frames, size)).permute(3, 0, 1, 2).float()
            with torch.no_grad():
                x = (clip / 127.5 - 1).unsqueeze(0)
                rows.append(self._net(x, rescale=False, resize=True, return_features=True).float().numpy())
        return np.concatenate(rows)


def read_frames(path: Path, count: int, size: int) -> np.ndarray:
    """``count`` evenly spaced RGB frames of a video, ``size`` pixels square, as uint8 (T, H, W, 3)."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    if not frames:
        raise BackendError(f"cannot read any frame of the video {path}.")
    picks = np.linspace(0, len(frames) - 1, count).round().astype(int)
    return np.stack(
        [
            cv2.cvtColor(cv2.resize(frames[i], (size, size), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
            for i in picks
        ]
    )


class EvalModels:
    """The models named by the settings, each loaded once; a missing one raises its message each time asked."""

    def __init__(self, settings: Settings):
        self.settings = settings.eval
        self.clip_setting = settings.eval.clip_model or settings.memory.clip_model
        self._cache: dict[str, object] = {}

    def _get(self, name: str, make):
        if name not in self._cache:
            try:
                self._cache[name] = make()
            except BackendError as exc:
                self._cache[name] = exc
        value = self._cache[name]
        if isinstance(value, BackendError):
            raise value
        return value

    def clip(self) -> ClipEmbedder:
        key = "eval.clip_model" if self.settings.clip_model or not self.clip_setting else "memory.clip_model"
        return self._get("clip", lambda: make_embedder(_pretrained(self.clip_setting, key, "CLIP model")))

    def dino(self) -> DinoEmbedder:
        return self._get(
            "dino",
            lambda: DinoEmbedder(_pretrained(self.settings.dino_model, "eval.dino_model", "DINOv2 model")),
        )

    def faces(self) -> FaceFinder | DlibFaces:
        """YuNet when ``eval.face_detector`` is set; else dlib's faces when the extra is installed."""
        from dreamfactory_studio.backends.vision.faces import installed_faces

        if not self.settings.face_detector:
            if (dlib := installed_faces()) is not None:
                return dlib
            raise BackendError(
                "no YuNet face detector is set and dlib's faces are not installed; install them with "
                f"`pip install 'dreamfactory-studio[faces]'`, or {_set('eval.face_detector')}."
            )
        return self._get(
            "faces",
            lambda: FaceFinder(
                _local_file(
                    self.settings.face_detector, "eval.face_detector", "YuNet face detector", (".onnx",)
                )
            ),
        )

    def inception(self) -> FeatureNet:
        what = "Inception-v3 TorchScript file"
        return self._get(
            "inception",
            lambda: FeatureNet(
                _local_file(self.settings.inception, "eval.inception", what, (".pt", ".pth")), what
            ),
        )

    def i3d(self) -> FeatureNet:
        what = "I3D TorchScript file"
        return self._get(
            "i3d", lambda: FeatureNet(_local_file(self.settings.i3d, "eval.i3d", what, (".pt", ".pth")), what)
        )
