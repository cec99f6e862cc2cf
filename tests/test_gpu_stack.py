"""The managed GPU-stack folder the packaged app installs torch and diffusers into: where it is, how it is put on
the import path, what pip is asked for, and the `gpu-stack` command's install, failure and removal with real pip
runs against a local wheel folder (no network)."""

from __future__ import annotations

import base64
import hashlib
import socket
import sys
import zipfile
from pathlib import Path

import pytest

from dreamfactory_studio.backends import gpu_stack
from dreamfactory_studio.cli import main


@pytest.fixture
def clean_import_path(monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    sys.modules.pop("probe_stack", None)


def _wheel(folder, version: str) -> None:
    """A minimal pure-Python wheel of ``probe-stack``, standing in for the package index."""
    files = {
        "probe_stack/__init__.py": f"VERSION = {version!r}\n",
        f"probe_stack-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: probe-stack\nVersion: {version}\n",
        f"probe_stack-{version}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(text.encode())}")
    record.append(f"probe_stack-{version}.dist-info/RECORD,,")
    files[f"probe_stack-{version}.dist-info/RECORD"] = "\n".join(record) + "\n"
    with zipfile.ZipFile(folder / f"probe_stack-{version}-py3-none-any.whl", "w") as made:
        for name, text in files.items():
            made.writestr(name, text)


def _processes_naming(text: str) -> list[int]:
    """The processes whose command line holds ``text`` (Linux's /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.fixture
def local_index(tmp_path, monkeypatch):
    """pip sees only a folder of wheels: no index, no machine-wide pip settings."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    monkeypatch.setenv("PIP_CONFIG_FILE", str(tmp_path / "no-pip.conf"))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    monkeypatch.delenv("PIP_CONSTRAINT", raising=False)
    return wheels


def test_the_managed_folder_is_per_python_version_in_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("DREAMFACTORY_DATA_DIR", str(tmp_path / "data"))
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert gpu_stack.managed_dir() == tmp_path / "data" / "gpu-stack" / version


def test_the_managed_folder_goes_first_on_the_import_path_once(clean_import_path):
    assert gpu_stack.use_managed_stack() is False and str(gpu_stack.managed_dir()) not in sys.path
    package = gpu_stack.managed_dir() / "probe_stack"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("VERSION = 'managed'\n")
    assert gpu_stack.use_managed_stack() and gpu_stack.use_managed_stack()
    assert sys.path[0] == str(gpu_stack.managed_dir()) and sys.path.count(sys.path[0]) == 1
    import probe_stack

    assert probe_stack.VERSION == "managed"


def test_the_stack_asked_of_pip_is_the_one_the_package_declares():
    wanted = gpu_stack.requirements()
    names = sorted(r.split(">")[0].split("=")[0] for r in wanted)
    assert names == ["accelerate", "diffusers", "ftfy", "peft", "safetensors", "torch", "transformers"]
    assert "torch==2.5.1" in gpu_stack.requirements("torch==2.5.1")
    assert not any(r.startswith("torch>") for r in gpu_stack.requirements("torch==2.5.1"))
    command = gpu_stack.install_command(gpu_stack.managed_dir(), torch_index="https://example.invalid/whl")
    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    assert command[command.index("--target") + 1] == str(gpu_stack.managed_dir())
    assert command[command.index("--only-binary") + 1] == ":all:"  # nothing is compiled on the user's machine
    assert command[command.index("--extra-index-url") + 1] == "https://example.invalid/whl"


def test_install_replaces_the_stack_status_reports_it_and_remove_deletes_it(
    local_index, monkeypatch, capsys, clean_import_path
):
    for version in ("1.0", "2.0"):
        _wheel(local_index, version)
        monkeypatch.setattr(gpu_stack, "requirements", lambda torch=None, v=version: [f"probe-stack=={v}"])
        assert main(["gpu-stack", "install"]) == 0
    out = capsys.readouterr().out
    assert f"installed into {gpu_stack.managed_dir()}" in out
    assert (gpu_stack.managed_dir() / "probe_stack-2.0.dist-info").is_dir()
    assert not (gpu_stack.managed_dir() / "probe_stack-1.0.dist-info").exists(), (
        "an install replaces the last"
    )
    assert [p.name for p in gpu_stack.managed_dir().parent.iterdir()] == [gpu_stack.managed_dir().name]
    assert main(["gpu-stack", "remove"]) == 0
    assert not gpu_stack.managed_dir().exists()
    assert "removed" in capsys.readouterr().out


def test_a_failed_install_says_so_and_keeps_the_stack_there_was(local_index, monkeypatch, capsys):
    _wheel(local_index, "1.0")
    monkeypatch.setattr(gpu_stack, "requirements", lambda torch=None: ["probe-stack==1.0"])
    assert main(["gpu-stack", "install"]) == 0
    monkeypatch.setattr(gpu_stack, "requirements", lambda torch=None: ["probe-stack==9.9"])
    capsys.readouterr()
    assert main(["gpu-stack", "install"]) == 1
    err = capsys.readouterr().err
    assert "pip could not install the GPU stack" in err and "nothing was changed" in err
    assert "Traceback" not in err
    assert (gpu_stack.managed_dir() / "probe_stack-1.0.dist-info").is_dir()
    assert [p.name for p in gpu_stack.managed_dir().parent.iterdir()] == [gpu_stack.managed_dir().name]


def test_status_names_what_is_missing(monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "diffusers" else real(name, *a)
    )
    assert main(["gpu-stack"]) == 0
    out = capsys.readouterr().out
    assert "(not installed)" in out and "missing: diffusers" in out
    assert f"torch        {__import__('torch').__version__}" in out


def test_the_settings_show_the_stack_and_install_it_in_a_child_process_that_can_fail_or_be_cancelled(
    window, qtbot, local_index, monkeypatch
):
    """The window runs the CLI's install; with no index pip fails, and the dialog says so in pip's words."""
    import importlib.util

    from dreamfactory_studio.app.settings_dialog import SettingsDialog

    dialog = SettingsDialog(window)
    assert dialog.find("gpuStackState").text().startswith(f"torch {__import__('torch').__version__}")
    assert dialog.find("gpuStackInstall").text() == "Reinstall…"
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "torch" else real(n, *a))
    dialog._show_gpu_stack()
    assert dialog.find("gpuStackState").text().startswith("Not installed: torch missing")
    assert dialog.find("gpuStackInstall").text() == "Install…"

    installer = dialog.install_gpu_stack()
    with qtbot.waitSignal(installer.process.finished, timeout=120_000):
        pass
    assert installer.state.text().startswith("✘ The install failed")
    assert "pip could not install the GPU stack" in installer.output.toPlainText()
    assert not gpu_stack.managed_dir().exists()
    installer.reject()

    # An index that takes the connection and never answers keeps pip waiting until Cancel.
    silent = socket.create_server(("127.0.0.1", 0))
    monkeypatch.delenv("PIP_NO_INDEX")
    monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{silent.getsockname()[1]}/simple")
    installer = dialog.install_gpu_stack()
    qtbot.waitUntil(lambda: "installing" in installer.output.toPlainText(), timeout=60_000)
    qtbot.wait(1500)
    assert installer.process.state() != installer.process.ProcessState.NotRunning
    staging = f"{gpu_stack.managed_dir()}.installing"
    assert _processes_naming(staging), "pip runs in its own process"
    installer.reject()  # Cancel while pip runs
    qtbot.waitUntil(lambda: installer.state.text().startswith("Cancelled"), timeout=30_000)
    qtbot.waitUntil(lambda: not _processes_naming(staging), timeout=10_000)  # pip stopped too
    assert installer.isVisible(), "the dialog stays to say what happened"
    assert not gpu_stack.managed_dir().exists()
    silent.close()
