"""The image memory (the paper's image vector database): the Base Frame and every keyframe, by embedding.

Stored in ``PROJECT/memory/`` as ``index.json`` and ``vectors.npy``. The embedding is CLIP's image features
when a local CLIP model is configured (then frames can be found by a scene's text through CLIP's text
features), else the colour-and-structure descriptor of
:mod:`~dreamfactory_studio.backends.vision.descriptor` (then text search matches the frames' descriptions by
shared words). A project holds tens to hundreds of frames, so a brute-force cosine search in numpy answers in
microseconds; an ANN index (faiss, hnswlib) would not earn its dependency at this size. Changing the embedding
starts the memory afresh; frames are added again as they are drawn.
"""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import numpy as np

from dreamfactory_studio.backends.vision.clip_embedder import ClipEmbedder
from dreamfactory_studio.backends.vision.descriptor import DESCRIPTOR, image_descriptor
from dreamfactory_studio.core.atomic import atomic_write_bytes, atomic_write_text
from dreamfactory_studio.core.project_folder import MEMORY, ProjectFolder

log = logging.getLogger(__name__)


def _tokens(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.lower()) if len(w) > 2}


class ImageMemory:
    def __init__(self, folder: ProjectFolder, embedder: ClipEmbedder | None = None):
        self.folder = folder
        self.embedder = embedder
        self.kind = embedder.name if embedder else DESCRIPTOR
        self._embedded: dict[str, np.ndarray] = {}
        self.root = folder.inside(MEMORY)
        self.entries: list[dict] = []
        self.vectors = np.zeros((0, 0), dtype=np.float32)
        index, vectors = folder.inside(f"{MEMORY}/index.json"), folder.inside(f"{MEMORY}/vectors.npy")
        if index.exists() and vectors.exists():
            try:
                data = json.loads(index.read_text(encoding="utf-8"))
                if data.get("descriptor") == self.kind:
                    entries, stored = list(data["entries"]), np.load(vectors, allow_pickle=False)
                    if len(entries) != len(stored) or not all(isinstance(e, dict) for e in entries):
                        raise ValueError("the index and the vectors disagree")
                    self.entries, self.vectors = entries, stored
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                # The memory is made from the keyframes alone: a damaged one starts afresh, losing nothing.
                log.warning("the image memory in %s is damaged (%s); it starts afresh", self.root, exc)
            # Another descriptor: start again; the frames are re-added as scenes are drawn.

    def __len__(self) -> int:
        return len(self.entries)

    def _save(self) -> None:
        self.root.mkdir(exist_ok=True)
        buffer = io.BytesIO()
        np.save(buffer, self.vectors)
        atomic_write_bytes(self.folder.inside(f"{MEMORY}/vectors.npy"), buffer.getvalue())
        atomic_write_text(
            self.folder.inside(f"{MEMORY}/index.json"),
            json.dumps({"descriptor": self.kind, "entries": self.entries}),
        )

    def _embed(self, image: Path) -> np.ndarray:
        # A take is judged by similarity and then added: embed each file once (a CLIP pass is not free).
        key = str(Path(image).resolve())
        if key not in self._embedded:
            self._embedded[key] = self.embedder.image(image) if self.embedder else image_descriptor(image)
        return self._embedded[key]

    def add(self, asset: str, scene_id: str, text: str) -> np.ndarray:
        """Remember a frame (an asset of the project) with the words that describe it."""
        vector = self._embed(self.folder.asset_path(asset))
        for index, entry in enumerate(self.entries):
            if entry["asset"] == asset:
                self.entries[index] = {"asset": asset, "scene_id": scene_id, "text": text}
                self.vectors[index] = vector
                self._save()
                return vector
        self.entries.append({"asset": asset, "scene_id": scene_id, "text": text})
        self.vectors = vector[None, :] if self.vectors.size == 0 else np.vstack([self.vectors, vector])
        self._save()
        return vector

    def vector_of(self, asset: str) -> np.ndarray:
        for index, entry in enumerate(self.entries):
            if entry["asset"] == asset:
                return self.vectors[index]
        return self._embed(self.folder.asset_path(asset))

    def similarity(self, image: Path, asset: str) -> float:
        """Cosine similarity between an image file and a remembered frame."""
        return float(self._embed(image) @ self.vector_of(asset))

    def nearest(
        self, *, image: Path | None = None, text: str = "", among: set[str], k: int = 1
    ) -> list[tuple[str, float]]:
        """The ``k`` frames among ``among`` (assets) closest to an image, or to a text by shared words."""
        candidates = [(i, e) for i, e in enumerate(self.entries) if e["asset"] in among]
        if not candidates or k <= 0:
            return []
        if image is not None or self.embedder is not None:
            query = self._embed(image) if image is not None else self.embedder.text(text)
            scored = [(e["asset"], float(self.vectors[i] @ query)) for i, e in candidates]
        else:
            words = _tokens(text)
            scored = [
                (e["asset"], len(words & _tokens(e["text"])) / (len(words | _tokens(e["text"])) or 1))
                for _, e in candidates
            ]
        return sorted(scored, key=lambda pair: -pair[1])[:k]
