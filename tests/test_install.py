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
