"""A local neural voice: a VITS text-to-speech model (Meta's MMS-TTS and kin) from a folder or the Hugging Face
cache, run on the CPU through transformers, loaded once on first use. Nothing is downloaded while it runs:
`dreamfactory-studio models get mms-tts-eng --use` fetches one beforehand."""

from __future__ import annotations

import asyncio
import io
import threading
import wave

from dreamfactory_studio.core.errors import BackendError, BadModel
from dreamfactory_studio.core.settings import SpeechSettings


class LocalVoice:
    def __init__(self, settings: SpeechSettings):
        from dreamfactory_studio.backends.image.diffusers_backend import resolve_model

        if not settings.voice_model:
            raise BadModel(
                "no local voice is set; fetch one with `dreamfactory-studio models get mms-tts-eng --use`, or set "
                "[speech] voice_model to a VITS folder."
            )
        self.path = resolve_model(
            settings.voice_model,
            layout="a VITS voice folder (config.json, model.safetensors, vocab.json)",
            setting="[speech] voice_model",
            marker="config.json",
        )
        self.speed = settings.words_per_second / 2.5  # 2.5 words a second is the model's own pace
        self.label = f"local voice {self.path.name}"
        self._model = None
        self._lock = threading.Lock()

    def signature(self) -> str:
        return f"local-voice:{self.path}:{self.speed:.2f}"

    def _load(self):
        from dreamfactory_studio.backends.gpu_stack import require_gpu_stack

        require_gpu_stack("the local voice")
        from transformers import AutoTokenizer, VitsModel

        try:
            model = VitsModel.from_pretrained(self.path, use_safetensors=True, local_files_only=True).eval()
            tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
        except (OSError, ValueError, KeyError) as exc:
            raise BadModel(
                f"the voice at {self.path} cannot be loaded ({exc}); expected a VITS folder."
            ) from None
        model.speaking_rate = self.speed
        return model, tokenizer

    def _speak(self, text: str) -> bytes:
        import numpy as np
        import torch

        with self._lock:  # one model, loaded once, one line at a time
            if self._model is None:
                self._model = self._load()
            model, tokenizer = self._model
            inputs = tokenizer(text, return_tensors="pt")
            if inputs["input_ids"].shape[-1] == 0:
                raise BackendError(f"the voice {self.path.name} has no sounds for: {text[:60]!r}")
            with torch.no_grad():
                wave_data = model(**inputs).waveform[0].float().numpy()
        samples = (np.clip(wave_data, -1.0, 1.0) * 32767).astype("<i2")
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(model.config.sampling_rate)
            out.writeframes(samples.tobytes())
        return buffer.getvalue()

    async def speak(self, text: str) -> bytes | None:
        return await asyncio.to_thread(self._speak, text) if text.strip() else None
