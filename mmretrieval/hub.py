"""Share trained adapters through the Hugging Face Hub: a saved model folder + model card, up and down.

Only the adapter (``config.json`` + ``adapter.safetensors``) travels; the frozen towers are referenced by
name, so the model card's ``base_model`` names them and ``load_model`` fetches them as usual.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Optional

from .model_card import find_run, model_card, read_run

MODEL_FILES = ["config.json", "adapter.safetensors", "query_bank.safetensors", "README.md"]
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def looks_like_repo_id(name: str) -> bool:
    """``user/repo`` (one slash, Hub characters), not a relative path like ``./x`` or ``runs/x/best``."""
    return bool(_REPO_ID.match(name)) and not name.endswith((".json", ".safetensors"))


def save_pretrained(model, directory, repo_id: Optional[str] = None, training_log=None) -> Path:
    """Save ``model`` (config + adapter weights) with a ``README.md`` model card.

    ``training_log``: a run folder, its ``log.jsonl``, or None to look next to the folder the model was
    loaded from (``runs/x/best`` -> ``runs/x/log.jsonl``).
    """
    directory = model.save(directory)
    run = find_run(training_log if training_log is not None else getattr(model, "source_dir", None))
    records, recipe = read_run(run)
    model_card(model.config, repo_id, records, recipe).save(directory / "README.md")
    return directory


def push_to_hub(model, repo_id: str, private: Optional[bool] = None, token: Optional[str] = None,
                commit_message: str = "Upload mmretrieval adapter", training_log=None) -> str:
    """Create ``repo_id`` if needed and upload the saved model in one commit; returns the commit URL."""
    from huggingface_hub import HfApi

    if not looks_like_repo_id(repo_id):
        raise ValueError(f"{repo_id!r} is not a Hub repo id; give 'user/name' or 'org/name'")
    api = HfApi(token=token)
    repo_id = api.create_repo(repo_id=repo_id, private=private, exist_ok=True).repo_id
    with tempfile.TemporaryDirectory() as tmp:
        folder = save_pretrained(model, Path(tmp) / "model", repo_id=repo_id, training_log=training_log)
        commit = api.upload_folder(repo_id=repo_id, folder_path=folder, commit_message=commit_message)
    return str(getattr(commit, "commit_url", commit))


def download(repo_id: str, revision: Optional[str] = None) -> Path:
    """The local snapshot folder of a shared model (the HF cache; offline it must already be there)."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError

    try:
        return Path(snapshot_download(repo_id, revision=revision, allow_patterns=MODEL_FILES))
    except RepositoryNotFoundError as err:
        raise FileNotFoundError(f"no model folder {repo_id!r} here and no Hub repo {repo_id!r} "
                                "(private? log in with `hf auth login`)") from err
    except LocalEntryNotFoundError as err:
        raise FileNotFoundError(f"no model folder {repo_id!r} here, and Hub model {repo_id!r} is not in the local "
                                "HF cache (offline?); download it once while online") from err
    except HfHubHTTPError as err:
        raise ConnectionError(f"could not fetch Hub model {repo_id!r}: {err}") from err
