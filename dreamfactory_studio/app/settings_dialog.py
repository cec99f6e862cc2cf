"""The settings dialog (``ui/settings.ui``): LLM presets with a connection test, the API key in the OS keyring,
the image, monitor, video and speech backends, and the defaults for new projects."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QCompleter, QFileDialog, QFormLayout, QLabel, QMessageBox, QWidget

from dreamfactory_studio.app.forms import FormDialog
from dreamfactory_studio.app.gpu_stack_dialog import GpuStackInstallDialog, stack_summary
from dreamfactory_studio.app.jobs import Jobs
from dreamfactory_studio.backends import gpu_stack
from dreamfactory_studio.core.backend_registry import BACKENDS
from dreamfactory_studio.core.errors import StudioError
from dreamfactory_studio.core.secrets import store_api_key
from dreamfactory_studio.core.settings import (
    ENV_PREFIX,
    LLM_PRESETS,
    Settings,
    load_settings,
    save_settings,
)


def _combo_text(combo: QComboBox, value: str) -> None:
    index = combo.findText(value)
    if index < 0:
        combo.addItem(value)
        index = combo.count() - 1
    combo.setCurrentIndex(index)


class SettingsDialog(FormDialog):
    """Loads the form, fills it from ``settings.toml`` (not the environment's overrides) and saves it back."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("settings", parent)
        self.jobs = Jobs(self.dialog)
        self.saved: Settings | None = None
        f = self.find
        preset = f("llmPreset")
        preset.addItem("Custom", "")
        for name, (label, _url, _model) in LLM_PRESETS.items():
            preset.addItem(label, name)
        preset.activated.connect(self._preset_chosen)
        for combo, kind in (
            ("imageBackend", "painter"),
            ("videoBackend", "video"),
            ("speechBackend", "speech"),
        ):
            for entry in BACKENDS:
                if entry.kind == kind:  # the setting's value shown, what it is on hover
                    f(combo).addItem(entry.name)
                    f(combo).setItemData(f(combo).count() - 1, entry.label, Qt.ItemDataRole.ToolTipRole)
        f("testConnection").clicked.connect(self.test_connection)
        f("storeKey").clicked.connect(self.store_key)
        f("imageBrowse").clicked.connect(self._browse_checkpoint)
        f("ipAdapterBrowse").clicked.connect(lambda: self._browse_file("ipAdapter", "IP-Adapter"))
        f("identityAdapterBrowse").clicked.connect(lambda: self._browse_file("identityAdapter", "IP-Adapter"))
        f("modelsFolderBrowse").clicked.connect(
            lambda: self._browse("modelsFolder", "Choose a models folder")
        )
        f("modelsFolder").editingFinished.connect(self._list_models)
        f("modelsFound").activated.connect(self._model_found)
        f("videoBrowse").clicked.connect(lambda: self._browse("videoModel"))
        f("testImage").clicked.connect(self.test_image_server)
        f("serverModels").activated.connect(self._server_model)
        f("serverModels").setVisible(False)
        f("imageWorkflowBrowse").clicked.connect(self._browse_workflow)
        f("gpuStackInstall").clicked.connect(self.install_gpu_stack)
        self._show_gpu_stack()
        self.voice_line = QLabel(objectName="speechResolved", wordWrap=True)
        form = f("speechBackend").parentWidget().layout()
        if isinstance(form, QFormLayout):
            row, _role = form.getWidgetPosition(f("speechBackend"))
            form.insertRow(row + 1, "", self.voice_line)
        f("speechBackend").currentTextChanged.connect(lambda _text: self._say_voice())
        from dreamfactory_studio.app.models_page import ModelsPage

        self.models_page = ModelsPage(self._use_model)
        f("tabs").addTab(self.models_page, "Models")
        f("buttonBox").accepted.connect(self.accept)
        f("buttonBox").rejected.connect(self.dialog.reject)
        self.jobs.finished.connect(self._tested)
        try:
            settings = load_settings(environment=False)
        except StudioError as exc:
            QMessageBox.warning(parent, "Settings", f"{exc} The dialog shows the defaults.")
            settings = Settings()
        self.fill(settings)
        overridden = sorted(k for k in os.environ if k.startswith(ENV_PREFIX) and not k.endswith("_DIR"))
        note = f("environmentNote")
        note.setText(
            f"Set in the environment, and winning over these: {', '.join(overridden)}." if overridden else ""
        )
        note.setVisible(bool(overridden))

    # -- the form and the settings ------------------------------------------------------------------------

    def fill(self, s: Settings) -> None:
        f = self.find
        f("llmUrl").setText(s.llm.base_url)
        f("llmModel").setText(s.llm.model)
        f("llmTimeout").setValue(s.llm.timeout)
        f("llmStream").setChecked(s.llm.stream)
        match = next((n for n, (_l, url, _m) in LLM_PRESETS.items() if url == s.llm.base_url), "")
        f("llmPreset").setCurrentIndex(max(0, f("llmPreset").findData(match)))
        _combo_text(f("imageBackend"), s.image.backend)
        f("imageModel").setText(s.image.model)
        f("imageUrl").setText(s.image.base_url)
        f("imageWorkflow").setText(s.image.workflow)
        _combo_text(f("imageDevice"), s.image.device)
        _combo_text(f("imagePrecision"), s.image.precision)
        f("imageSteps").setValue(s.image.steps)
        f("imageGuidance").setValue(s.image.guidance)
        _combo_text(f("imageOffload"), s.image.offload)
        f("imageTiling").setChecked(s.image.vae_tiling)
        _combo_text(f("imageQuantize"), s.image.quantize)
        f("ipAdapter").setText(s.image.ip_adapter)
        f("identityAdapter").setText(s.image.identity_adapter)
        f("modelsFolder").setText(s.image.models_folder)
        self._list_models()
        f("monitorUrl").setText(s.monitor.base_url)
        f("monitorModel").setText(s.monitor.model)
        _combo_text(f("videoBackend"), s.video.backend)
        f("videoModel").setText(s.video.model)
        _combo_text(f("videoDevice"), s.video.device)
        _combo_text(f("speechBackend"), s.speech.backend)
        f("speechVoice").setText(s.speech.voice)
        self._voice_model = s.speech.voice_model
        self._say_voice()
        f("defaultScenes").setValue(s.defaults.scenes)
        _combo_text(f("defaultStyle"), s.defaults.style)
        _combo_text(f("defaultResolution"), s.defaults.resolution)
        _combo_text(f("defaultFps"), str(s.defaults.fps))
        self._base = s

    def settings(self) -> Settings:
        """The settings the form holds; :class:`pydantic.ValidationError` when a value is refused."""
        f = self.find
        data = self._base.model_dump()
        data["llm"].update(
            base_url=f("llmUrl").text().strip(),
            model=f("llmModel").text().strip(),
            timeout=f("llmTimeout").value(),
            stream=f("llmStream").isChecked(),
        )
        data["image"].update(
            backend=f("imageBackend").currentText(),
            model=f("imageModel").text().strip(),
            device=f("imageDevice").currentText(),
            precision=f("imagePrecision").currentText(),
            steps=f("imageSteps").value(),
            guidance=f("imageGuidance").value(),
            offload=f("imageOffload").currentText(),
            vae_tiling=f("imageTiling").isChecked(),
            quantize=f("imageQuantize").currentText(),
            ip_adapter=f("ipAdapter").text().strip(),
            identity_adapter=f("identityAdapter").text().strip(),
            models_folder=f("modelsFolder").text().strip(),
            base_url=f("imageUrl").text().strip(),
            workflow=f("imageWorkflow").text().strip(),
        )
        data["monitor"].update(
            base_url=f("monitorUrl").text().strip(), model=f("monitorModel").text().strip()
        )
        data["video"].update(
            backend=f("videoBackend").currentText(),
            model=f("videoModel").text().strip(),
            device=f("videoDevice").currentText(),
        )
        data["speech"].update(backend=f("speechBackend").currentText(), voice=f("speechVoice").text().strip())
        data["defaults"].update(
            scenes=f("defaultScenes").value(),
            style=f("defaultStyle").currentText().strip(),
            resolution=f("defaultResolution").currentText().strip(),
            fps=int(f("defaultFps").currentText()),
        )
        return Settings.model_validate(data)

    def accept(self) -> None:
        try:
            settings = self.settings()
            save_settings(settings)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            QMessageBox.warning(self.dialog, "Settings", f"The setting {where} is not valid: {first['msg']}.")
            return
        except OSError as exc:
            QMessageBox.warning(self.dialog, "Settings", f"The settings cannot be saved: {exc}.")
            return
        self.saved = settings
        self.dialog.accept()

    # -- actions ------------------------------------------------------------------------------------------

    def _say_voice(self) -> None:
        """Which voice will speak the narration, ``auto`` resolved: said where the choice is made."""
        from dreamfactory_studio.backends.backend_set import speech_backend
        from dreamfactory_studio.core.settings import SpeechSettings

        if not hasattr(self, "voice_line"):
            return
        chosen = self.find("speechBackend").currentText() or "auto"
        model = getattr(self, "_voice_model", "")
        entry = speech_backend(SpeechSettings(backend=chosen, voice_model=model))
        if entry.name == "silence" and chosen == "auto":
            self.voice_line.setText(
                "Speaks: nothing. No voice is set up, so the narration is silent (subtitles only); get one on the "
                "Models page (MMS-TTS), install espeak-ng, or choose openai."
            )
        else:
            self.voice_line.setText(
                f"Speaks: {entry.label}" + (f" ({model})" if entry.name == "local" else ".")
            )

    def _use_model(self, fills: dict[str, str]) -> None:
        """A fetched model's settings into the form (saved with OK, like any other change)."""
        from dreamfactory_studio.core.settings import set_setting

        settings = self.settings()
        for key, value in fills.items():
            settings = set_setting(settings, key, value)
        self.fill(settings)

    def show_models(self) -> None:
        """Open on the Models page."""
        self.find("tabs").setCurrentWidget(self.models_page)

    def _preset_chosen(self, index: int) -> None:
        from dreamfactory_studio.core.settings import apply_llm_preset

        name = self.find("llmPreset").itemData(index)
        if not name:
            return
        try:
            llm = self.settings().llm
        except ValidationError:
            llm = self._base.llm.model_copy()
        apply_llm_preset(llm, name)
        self.find("llmUrl").setText(llm.base_url)
        self.find("llmModel").setText(llm.model)

    def test_connection(self) -> None:
        from dreamfactory_studio.backends.backend_set import check_llm

        try:
            llm = self.settings().llm
        except ValidationError as exc:
            self._tested("test", str(exc.errors()[0]["msg"]))
            return
        self.find("connectionResult").setText("Asking the server…")
        self.find("testConnection").setEnabled(False)
        self.jobs.start("test", lambda: check_llm(llm), self._answered)

    def test_image_server(self) -> None:
        """Ask the ComfyUI server what it is, off the window's thread, and offer its checkpoints."""
        import asyncio

        from dreamfactory_studio.backends.comfyui.server_check import check

        url = self.find("imageUrl").text().strip()
        self.find("imageResult").setText("Asking the server…")
        self.find("testImage").setEnabled(False)
        lines: list[str] = []
        self.jobs.start(
            "test image",
            lambda: asyncio.to_thread(check, url, 10.0, lines.append),
            lambda facts: self._image_answered(lines, facts),
        )

    def _image_answered(self, lines: list[str], facts: dict) -> None:
        self.find("testImage").setEnabled(True)
        self.find("imageResult").setText("✔ " + "\n".join(lines))
        found = self.find("serverModels")
        found.clear()
        found.addItem(f"Choose one of its {len(facts['checkpoints'])} checkpoints", None)
        for name in facts["checkpoints"]:
            found.addItem(name, name)
        found.setVisible(True)
        # the server's IP-Adapter and video models, offered as the fields that name them are typed
        for field, names in (("ipAdapter", facts["ip_adapters"]), ("videoModel", facts["video_checkpoints"])):
            completer = QCompleter(names, self.find(field))
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            self.find(field).setCompleter(completer)

    def _server_model(self, index: int) -> None:
        name = self.find("serverModels").itemData(index)
        if name:
            self.find("imageModel").setText(name)
            _combo_text(self.find("imageBackend"), "comfyui")

    def _browse_workflow(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.dialog, "A ComfyUI workflow in API format", "", "Workflows (*.json);;All files (*)"
        )
        if path:
            self.find("imageWorkflow").setText(path)

    def _answered(self, message: str) -> None:
        self.find("connectionResult").setText(f"✔ {message}")

    def _tested(self, what: str, error: str) -> None:
        if what == "test image":
            self.find("testImage").setEnabled(True)
            if error:
                self.find("imageResult").setText(f"✘ {error}")
            return
        self.find("testConnection").setEnabled(True)
        if error:
            self.find("connectionResult").setText(f"✘ {error}")

    def store_key(self) -> None:
        key = self.find("llmKey").text().strip()
        if not key:
            QMessageBox.information(self.dialog, "API key", "Type the key first.")
            return
        try:
            store_api_key(self.find("llmUrl").text().strip(), key)
        except StudioError as exc:
            QMessageBox.warning(self.dialog, "API key", str(exc))
            return
        self.find("llmKey").clear()
        self.find("llmKey").setPlaceholderText("kept in the OS keyring")
        self.find("connectionResult").setText("The key is in the OS keyring.")

    def _show_gpu_stack(self) -> None:
        self.find("gpuStackState").setText(stack_summary())
        self.find("gpuStackInstall").setText("Install…" if gpu_stack.missing_parts() else "Reinstall…")

    def install_gpu_stack(self) -> GpuStackInstallDialog:
        """Open the install dialog and start pip; the settings show the new stack when it is in place."""
        self.installer = GpuStackInstallDialog(self.dialog)
        self.installer.succeeded.connect(self._show_gpu_stack)
        self.installer.start()
        self.installer.open()
        return self.installer

    def _browse(self, field: str, title: str = "Choose a diffusers model folder") -> None:
        folder = QFileDialog.getExistingDirectory(self.dialog, title)
        if folder:
            self.find(field).setText(folder)
            if field == "modelsFolder":
                self._list_models()

    def _browse_file(self, field: str, what: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self.dialog, f"Choose an {what}", "", f"{what} (*.safetensors)")
        if path:
            self.find(field).setText(path)

    def _browse_checkpoint(self) -> None:
        """A single-file checkpoint, or a diffusers folder by its model_index.json."""
        path, _ = QFileDialog.getOpenFileName(
            self.dialog,
            "Choose a checkpoint",
            "",
            "Checkpoints (*.safetensors model_index.json);;All files (*)",
        )
        if path:
            chosen = Path(path)
            self.find("imageModel").setText(
                str(chosen.parent if chosen.name == "model_index.json" else chosen)
            )

    def _list_models(self) -> None:
        """Offer the checkpoints of the models folder (read from their headers, nothing loaded)."""
        from dreamfactory_studio.backends.image.checkpoints import list_models

        found = self.find("modelsFound")
        found.clear()
        folder = self.find("modelsFolder").text().strip()
        if not folder:
            found.addItem("Set a models folder to choose from its checkpoints", None)
            found.setEnabled(False)
            return
        try:
            models = list_models(Path(folder))
        except StudioError as exc:
            found.addItem(str(exc), None)
            found.setEnabled(False)
            return
        found.addItem(
            f"{len(models.checkpoints)} checkpoints, {len(models.loras)} LoRAs, {len(models.ip_adapters)} "
            "IP-Adapters: choose a checkpoint…",
            None,
        )
        for path in models.checkpoints:
            found.addItem(path.name, str(path))
        found.setEnabled(bool(models.checkpoints))

    def _model_found(self, index: int) -> None:
        path = self.find("modelsFound").itemData(index)
        if path:
            self.find("imageModel").setText(path)
            _combo_text(self.find("imageBackend"), "diffusers")
