"""The package needs no CUDA wheels: a CPU-only torch build runs it, and the README says how to get one."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def test_dependencies_name_no_cuda_wheels():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra]
    assert not [d for d in wanted if re.search(r"nvidia|cuda|\+cu\d", d, re.I)]
    assert any(re.match(r"torch\b", d) for d in project["dependencies"])  # any build of torch will do


def test_readme_quick_start_shows_the_cpu_only_torch_build():
    quick_start = (ROOT / "README.md").read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert f"pip install torch torchvision --index-url {CPU_INDEX}" in quick_start


def test_models_run_where_cuda_is_unavailable(tiny_model, assets, monkeypatch):
    import torch

    from mmretrieval.encoding import default_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert default_device() == "cpu"
    vector = tiny_model.encode_image(str(assets / "cat.jpg"))
    assert vector.shape == (tiny_model.embed_dim,)


def _quick_start_commands() -> list[str]:
    """The set-up command of the README's Quick start (its first command line: the main job)."""
    quick_start = (ROOT / "README.md").read_text().split("## Quick start", 1)[1]
    block = quick_start.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")][:1]


def _pip_calls(command: str, tmp_path: Path, gpu: bool) -> list[str]:
    """Run ``command`` with stand-ins for python3 (making a venv of stand-ins) and nvidia-smi; its pip calls."""
    import subprocess

    stubs, work, log = tmp_path / "stubs", tmp_path / "work", tmp_path / "calls.log"
    stubs.mkdir(parents=True)
    work.mkdir()
    (stubs / "tool").write_text(f'#!/bin/sh\necho "$(basename "$0") $*" >> {log}\n')
    (stubs / "python3").write_text(f'#!/bin/sh\n[ "$1 $2" = "-m venv" ] && mkdir -p .venv/bin && '
                                   f'for n in pip python mmretrieval; do cp {stubs}/tool .venv/bin/$n; done\n')
    (stubs / "nvidia-smi").write_text(f"#!/bin/sh\nexit {0 if gpu else 9}\n")  # 9: no driver or no GPU
    for stub in stubs.iterdir():
        stub.chmod(0o755)
    subprocess.run(["/bin/sh", "-c", command], cwd=work, env={"PATH": f"{stubs}:/usr/bin:/bin"}, check=True,
                   timeout=30)
    return [line for line in log.read_text().splitlines() if line.startswith("pip ")]


def test_quick_start_gets_cpu_torch_without_a_gpu_and_cuda_torch_with_one(tmp_path):
    for i, command in enumerate(_quick_start_commands()):
        cpu = _pip_calls(command, tmp_path / f"cpu{i}", gpu=False)
        assert cpu[0] == f"pip install torch torchvision --index-url {CPU_INDEX}", command
        assert len(cpu) == 2 and " -e " in cpu[1] and "index-url" not in cpu[1]
        gpu = _pip_calls(command, tmp_path / f"gpu{i}", gpu=True)
        assert len(gpu) == 1 and " -e " in gpu[0] and "index-url" not in gpu[0]  # PyPI's torch, CUDA included
