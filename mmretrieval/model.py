"""The joint image-text model: frozen text tower + frozen image trunk + trainable adapter."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from tqdm.auto import tqdm

from .adapter import JointSpace, VisionAdapter
from .config import ModelConfig
from .encoding import as_list, default_device, finish, pixel_batches
from .images import load_image
from .text.towers import build_text_tower
from .vision.trunk import build_trunk
from .vision.views import PLAIN, VIEWS, average_views, view_pixels

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "adapter.safetensors"
SPACES = ("centred", "raw")


class MMRetrievalModel(nn.Module):
    """CLIP-style model whose text side is a frozen text embedding model.

    ``encode_text`` and ``encode_image`` take sentence-transformers' argument names and
    return vectors in one joint space (cosine similarity compares them). With ``space="raw"`` in
    the config that space is the text model's own: full-dim text vectors are exactly the text
    model's, and Matryoshka prefixes come from the fitted rotation (see ``matryoshka_prefix``).
    ``runtime`` picks where the image trunk runs (``auto``, ``openvino``, ``torch``; see ``vision.runtime``).
    """

    def __init__(self, config: ModelConfig, device: Optional[str] = None, runtime: Optional[str] = None):
        super().__init__()
        device = device or default_device()
        if config.space not in SPACES:
            raise ValueError(f"config {config.name!r}: unknown space {config.space!r}; choose one of {', '.join(SPACES)}")
        self.config = config
        self.text_tower = build_text_tower(config.text, device=device, embed_dim=config.embed_dim)
        self.trunk = build_trunk(config.trunk, device=device, runtime=runtime,
                                 classifier=config.concept_prior is not None)
        if self.text_tower.dim != config.embed_dim:
            raise ValueError(
                f"config {config.name!r} says embed_dim={config.embed_dim} but {config.text.model} "
                f"gives {self.text_tower.dim}-d vectors"
            )
        self.adapter = VisionAdapter(config.adapter, self.trunk.output_dim, config.embed_dim).to(device)
        if config.trunk.tta_flip and self.adapter.needs_grid:
            raise ValueError(f"config {config.name!r}: trunk.tta_flip averages pooled features, but the "
                             f"{config.adapter.kind} adapter reads the grid; turn one of them off")
        self.space = JointSpace(config.embed_dim).to(device)
        self.query_maps = None  # per-language maps of text queries for ranking images (see language_map)
        self.bank = None  # a QueryBank of typical queries: search discounts hub photos with it (see query_bank)
        self.concept_prior = None  # a ConceptPrior: class-name vectors of the trunk's head (see concept_prior)
        self.eval()

    @property
    def device(self) -> torch.device:
        return self.space.rotation.device

    @property
    def embed_dim(self) -> int:
        return self.config.embed_dim

    @property
    def raw_space(self) -> bool:
        """True when full-dim vectors live in the text model's own space (``config.space == "raw"``)."""
        return self.config.space == "raw"

    # ---- text -------------------------------------------------------------------------
    def encode_text(
        self,
        sentences,
        task: Optional[str] = "retrieval.query",
        prompt: Optional[str] = None,
        batch_size: int = 32,
        show_progress_bar: Optional[bool] = None,
        normalize_embeddings: bool = True,
        truncate_dim: Optional[int] = None,
        convert_to_numpy: bool = True,
        convert_to_tensor: bool = False,
    ):
        """Embed text(s) into the joint space (``task`` as in Jina-embeddings-v3).

        A raw-space model returns the text tower's own output at full dim, untouched.
        """
        fmt = dict(convert_to_numpy=convert_to_numpy, convert_to_tensor=convert_to_tensor)
        if self.raw_space and truncate_dim in (None, self.embed_dim):
            return self.text_tower.encode(
                sentences, task=task, prompt=prompt, batch_size=batch_size, show_progress_bar=show_progress_bar,
                normalize_embeddings=normalize_embeddings, truncate_dim=truncate_dim, **fmt,
            )
        texts, single = as_list(sentences)
        raw = self.text_tower.encode(
            texts, task=task, prompt=prompt, batch_size=batch_size,
            show_progress_bar=show_progress_bar, convert_to_tensor=True,
        )
        return self._finish(self.text_to_joint(raw), normalize_embeddings, truncate_dim, single=single, **fmt)

    def image_queries(self, texts, vectors):
        """The vectors that rank images for the text queries ``texts`` whose ``encode_text`` vectors are
        ``vectors`` (one row each): ``vectors`` themselves, except where the model carries a query map for a
        query's language (``language_map``: a German query moved toward its English translation)."""
        if self.query_maps is None:
            return vectors
        texts, _ = as_list(texts)
        tensor = torch.as_tensor(vectors)
        mapped = self.query_maps.apply(tensor.reshape(len(texts), -1), texts).reshape(tensor.shape)
        return mapped if isinstance(vectors, torch.Tensor) else mapped.numpy()

    def text_to_joint(self, text_embeddings: torch.Tensor) -> torch.Tensor:
        """Map normalised text-tower vectors into the joint space (a raw-space model keeps them as they are)."""
        if self.raw_space:
            return text_embeddings.cpu()
        with torch.no_grad():
            return self.space(text_embeddings.to(self.device)).cpu()

    def image_to_joint(self, adapter_output: torch.Tensor) -> torch.Tensor:
        """The adapter's output as a joint-space image vector (raw space: ``JointSpace.place_image``)."""
        return self.space.place_image(adapter_output, self.config.image_mean_cos) if self.raw_space else adapter_output

    def matryoshka_prefix(self, joint: torch.Tensor, dim: int) -> torch.Tensor:
        """Unit ``dim``-d Matryoshka prefixes of full joint vectors (text or image alike).

        Centred models store their rotation in the joint space itself, so this is the first ``dim``
        coordinates. A raw-space model first maps its vectors into its fitted space
        (``JointSpace.prefix_space``: the caption-mean direction removed, then rotated).
        """
        return self._finish(torch.as_tensor(joint).float(), True, dim, convert_to_numpy=False, convert_to_tensor=True)

    def _finish(self, joint, normalize_embeddings, truncate_dim, **fmt):
        """``finish``, with a raw-space model's prefixes taken in its fitted space."""
        if self.raw_space and truncate_dim not in (None, self.embed_dim):
            with torch.no_grad():
                joint = self.space.prefix_space(joint.to(self.device)).cpu()
        return finish(joint, normalize_embeddings=normalize_embeddings, truncate_dim=truncate_dim, **fmt)

    # ---- images -----------------------------------------------------------------------
    def encode_image(
        self,
        images,
        batch_size: int = 32,
        show_progress_bar: Optional[bool] = None,
        normalize_embeddings: bool = True,
        truncate_dim: Optional[int] = None,
        convert_to_numpy: bool = True,
        convert_to_tensor: bool = False,
        num_workers: int = 4,
    ):
        """Embed image(s): paths, bytes or PIL images. A bad file raises ``ImageLoadError``."""
        items, single = as_list(images)
        out = torch.empty(len(items), self.embed_dim)
        show = show_progress_bar if show_progress_bar is not None else len(items) > 4 * batch_size
        chunks = pixel_batches(self.preprocess, items, batch_size, num_workers)
        for idx, pixels, errors in tqdm(chunks, desc="images", total=-(-len(items) // batch_size), disable=not show):
            if errors:
                raise next(iter(errors.values()))
            out[idx] = self.embed_pixels(pixels).float().cpu()
        return self._finish(out, normalize_embeddings, truncate_dim, convert_to_numpy=convert_to_numpy,
                            convert_to_tensor=convert_to_tensor, single=single)

    def preprocess(self, image) -> torch.Tensor:
        """Load (path/bytes/PIL) and turn one image into the trunk's input tensor."""
        return self.trunk.preprocess(load_image(image, min_size=self.trunk.input_size))

    @torch.inference_mode()
    def embed_pixels(self, pixels: torch.Tensor) -> torch.Tensor:
        """Trunk + adapter on a preprocessed batch; un-normalised joint vectors."""
        return self.adapter_forward(*self.trunk_features(pixels))

    @torch.inference_mode()
    def trunk_features(self, pixels: torch.Tensor, view: Optional[str] = None, grid: Optional[bool] = None):
        """``(pooled, grid or None)`` of a preprocessed batch: what the adapter consumes and training caches.

        ``view`` (``"plain"`` / ``"mirrored"``) gives that view alone; None what the model uses (with
        ``trunk.tta_flip`` both views averaged). ``grid`` defaults to whether the adapter reads the grid.
        """
        grid = self.adapter.needs_grid if grid is None else grid
        pixels = pixels.to(self.device)
        if view is None and self.config.trunk.tta_flip:
            if grid:
                raise ValueError("flip test-time augmentation averages pooled features only; it has no grid")
            return average_views(*self.view_features(pixels)), None
        pixels = view_pixels(pixels, view or PLAIN)
        return self.trunk(pixels, return_grid=True) if grid else (self.trunk(pixels), None)

    @torch.inference_mode()
    def view_features(self, pixels: torch.Tensor, views: tuple[str, ...] = VIEWS) -> tuple[torch.Tensor, ...]:
        """Pooled trunk features of each of ``views`` of a preprocessed batch, from one trunk call."""
        pixels = pixels.to(self.device)
        return self.trunk(torch.cat([view_pixels(pixels, v) for v in views])).split(len(pixels))

    def adapter_forward(self, pooled: torch.Tensor, grid: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Joint-space image vectors from trunk features (un-normalised in a centred space), with the concept
        prior mixed in where the config has one (``concept_prior.with_concepts``). Training calls it too, so an
        adapter trained with a prior learns the residual around it."""
        joint = self.image_to_joint(self.adapter(pooled.float(), None if grid is None else grid.float()))
        if self.config.concept_prior is None:
            return joint
        from .concept_prior import with_concepts

        return with_concepts(self, joint, pooled)

    def identity(self):
        """Which vectors this model makes, independent of the runtime: see :mod:`mmretrieval.identity`."""
        from .identity import model_identity

        return model_identity(self)

    # ---- persistence --------------------------------------------------------------------
    def trainable_state_dict(self) -> dict[str, torch.Tensor]:
        """The adapter and joint-space tensors: all a saved model stores besides its config."""
        state = {f"adapter.{k}": v for k, v in self.adapter.state_dict().items()}
        state.update({f"space.{k}": v for k, v in self.space.state_dict().items()})
        return {k: v.detach().cpu().contiguous() for k, v in state.items()}

    def weights_state_dict(self) -> dict[str, torch.Tensor]:
        """What a saved model's weights file holds: the trainable tensors and any query maps."""
        maps = self.query_maps.state_dict() if self.query_maps is not None else {}
        return {**self.trainable_state_dict(), **maps}

    def load_weights_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Load a weights file's tensors (:meth:`weights_state_dict`)."""
        from .languages.maps import PREFIX

        self.load_trainable_state_dict(state)
        self.set_query_maps({key[len(PREFIX):]: value for key, value in state.items() if key.startswith(PREFIX)})

    def set_query_maps(self, maps: dict[str, torch.Tensor]) -> None:
        """Use these per-language query maps (``language_map``; empty: none) for :meth:`image_queries`."""
        from .languages.maps import QueryMaps

        keep = self.space.mean_direction() if self.raw_space and self.space.text_mean.any() else None
        self.query_maps = QueryMaps(maps, keep=keep) if maps else None  # (keep: see QueryMaps)

    def load_trainable_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        adapter = {k[len("adapter."):]: v for k, v in state.items() if k.startswith("adapter.")}
        space = {k[len("space."):]: v for k, v in state.items() if k.startswith("space.")}
        self.adapter.load_state_dict(adapter)
        self.space.load_state_dict(space)

    def save(self, directory) -> Path:
        """Write ``config.json`` + ``adapter.safetensors`` (+ ``query_bank.safetensors``, ``concept_prior.safetensors``);
        the towers are referenced by name."""
        out = save_model_files(directory, self.config, self.weights_state_dict())
        for companion in (self.bank, self.concept_prior):
            if companion is not None:
                companion.save(out)
        return out

    def save_pretrained(self, directory, training_log=None) -> Path:
        """``save`` plus a ``README.md`` model card from the run's ``log.jsonl`` (see ``mmretrieval.hub``)."""
        from .hub import save_pretrained

        return save_pretrained(self, directory, training_log=training_log)

    def push_to_hub(self, repo_id: str, private: Optional[bool] = None, token: Optional[str] = None,
                    commit_message: str = "Upload mmretrieval adapter", training_log=None) -> str:
        """Upload config, adapter weights and model card to the Hub repo ``repo_id``; returns the commit URL."""
        from .hub import push_to_hub

        return push_to_hub(self, repo_id, private=private, token=token, commit_message=commit_message,
                           training_log=training_log)

    @classmethod
    def load(cls, directory, device: Optional[str] = None, runtime: Optional[str] = None) -> "MMRetrievalModel":
        """A saved model folder (what :meth:`save` writes); ``runtime`` as in :func:`mmretrieval.load_model`."""
        from .concept_prior import load_prior
        from .query_bank import load_bank

        path = Path(directory).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(f"model folder {str(directory)!r} does not exist")
        config, state = read_model_files(path)
        model = cls(config, device=device, runtime=runtime)
        model.load_weights_state_dict(state)
        model.bank = load_bank(path)  # (query_bank.safetensors, if the folder has one)
        model.concept_prior = load_prior(path)  # (concept_prior.safetensors: the config says if it needs one)
        model.source_dir = path  # where a model card looks for the run's training log
        return model


def read_model_files(directory: Path) -> tuple[ModelConfig, dict[str, torch.Tensor]]:
    """``(config, trained tensors)`` of a saved model folder, without building the towers."""
    if not (directory / CONFIG_FILE).is_file():
        raise FileNotFoundError(f"{directory} holds no {CONFIG_FILE}; is it a saved mmretrieval model?")
    return ModelConfig.load(directory / CONFIG_FILE), load_file(str(directory / WEIGHTS_FILE))


def save_model_files(directory, config: ModelConfig, state: dict[str, torch.Tensor]) -> Path:
    """Write a saved model folder (``config.json`` + ``adapter.safetensors``) from a config and trained tensors."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config.save(directory / CONFIG_FILE)
    save_file(state, str(directory / WEIGHTS_FILE), metadata={"format": "pt"})
    return directory
