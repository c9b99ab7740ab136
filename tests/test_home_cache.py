"""The suite keeps out of the user's own folders: feature caches, OpenVINO exports and the default store go to
the session's temporary home (tests/conftest.py), which all tests of the session share."""

import subprocess
import sys
from pathlib import Path

from mmretrieval.cli.main import main
from mmretrieval.paths import cache_root
from mmretrieval.store import default_store_path
from mmretrieval.vision import runtime


def test_writes_go_to_the_session_home_not_the_users(test_home, tiny_model, assets, tmp_path, monkeypatch):
    from mmretrieval.train.cache import image_features

    user_home = tmp_path / "user"  # where ~ points for this test: nothing may appear under it
    user_home.mkdir()
    monkeypatch.setenv("HOME", str(user_home))
    for name in ("XDG_CACHE_HOME", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    cache, store = cache_root(), default_store_path()
    assert cache.is_relative_to(test_home) and store.is_relative_to(test_home)
    features = image_features(tiny_model, [assets / "cat.jpg", assets / "rocket.jpg"], show_progress_bar=False)
    assert not features.failed and any((cache / "features" / "images").rglob("*"))
    model_dir = tiny_model.save(tmp_path / "model")
    assert main(["index", str(assets / "cat.jpg"), "--no-progress", "--model", str(model_dir)]) == 0  # default store
    assert store.is_dir()
    if runtime.openvino_available():  # the trunk export: made once per session, here or by whichever test is first
        from mmretrieval.config import TrunkConfig
        from mmretrieval.vision.trunk import build_trunk

        exported = build_trunk(TrunkConfig(), device="cpu", runtime="openvino").compiled.exported()
        assert exported.is_relative_to(cache / "openvino") and exported.is_file()
    assert [p for p in user_home.rglob("*") if "mmretrieval" in p.parts] == []


def test_subprocesses_inherit_the_home(test_home):
    code = "from mmretrieval.paths import cache_root; from mmretrieval.store import default_store_path; " \
           "print(cache_root()); print(default_store_path())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert len(out) == 2 and all(Path(p).is_relative_to(test_home) for p in out)
