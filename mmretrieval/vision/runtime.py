"""Where an image trunk runs: torch, or OpenVINO on a CPU (same weights, same vectors, several times faster).

The OpenVINO model is exported from the torch trunk on first use (``torch.export`` ->
``openvino.convert_model``) into ``cache_dir("openvino")``, keyed by the trunk's feature-cache key
and the OpenVINO version, so a changed trunk re-exports and an unchanged one loads in a second. It
computes in float32 (no bf16/fp16 shortcuts), so its vectors match torch's to float rounding and
share the feature cache and index fingerprint with them.

Choose with ``runtime=`` (``load_model``, ``MMRetrievalModel``, ``build_trunk``; the CLI's ``--runtime`` passes it), else
``$MMRETRIEVAL_RUNTIME``: ``auto`` (default: OpenVINO when the
trunk is on the CPU and the package imports, else torch), ``openvino`` (an error if it cannot be
used) or ``torch``.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from typing import Optional

import torch
from torch import nn

logger = logging.getLogger(__name__)

RUNTIMES = ("auto", "openvino", "torch")
ENV = "MMRETRIEVAL_RUNTIME"
EXPORT_FORMAT = "1"  # bump when the export itself changes, so cached exports are rebuilt


def requested_runtime(runtime: Optional[str] = None) -> str:
    """``runtime``, else ``$MMRETRIEVAL_RUNTIME``, else ``auto``; refuses unknown names."""
    name = (runtime or os.environ.get(ENV) or "auto").strip().lower()
    if name not in RUNTIMES:
        source = "runtime" if runtime else f"${ENV}"
        raise ValueError(f"{source}={name!r} is not a trunk runtime; choose one of {', '.join(RUNTIMES)}")
    return name


def openvino_available() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


class OpenVINOTrunk:
    """Pooled features of ``trunk`` from an OpenVINO model compiled for the CPU (built on first call)."""

    def __init__(self, trunk, strict: bool = False, threads: Optional[int] = None):
        self.trunk = trunk
        self.strict = strict  # False (runtime "auto"): a failed export warns and falls back to torch
        self.threads = threads
        self._compiled = None

    def __call__(self, pixels: torch.Tensor) -> torch.Tensor:
        if self._compiled is None:
            try:
                self._compiled = self._compile()
            except Exception as err:
                if self.strict:
                    raise
                logger.warning("OpenVINO could not run this image trunk (%s: %s); using torch", type(err).__name__, err)
                self._compiled = False
        if self._compiled is False:
            return self.trunk.torch_forward(pixels)
        array = pixels.detach().cpu().float().contiguous().numpy()
        return torch.from_numpy(self._compiled(array)[0].copy())

    @property
    def active(self) -> Optional[bool]:
        """True once compiled, False after a fallback to torch, None before the first call."""
        return None if self._compiled is None else self._compiled is not False

    def _compile(self):
        import openvino as ov

        threads = self.threads or torch.get_num_threads()
        config = {"INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY"}
        return ov.Core().compile_model(str(self.exported()), "CPU", config)

    def export_folder(self):
        """Where this trunk's export lives: keyed by its feature-cache key, the OpenVINO version and format."""
        from importlib.metadata import version

        from ..paths import cache_dir
        from ..identity import trunk_identity

        return cache_dir("openvino") / f"{trunk_identity(self.trunk)}-ov{version('openvino')}-f{EXPORT_FORMAT}"

    def exported(self):
        """Path of the OpenVINO IR (``model.xml`` + ``.bin``) for this trunk, exporting it if missing."""
        import openvino as ov

        folder = self.export_folder()
        if not (folder / "model.xml").is_file():
            logger.info("exporting the image trunk to OpenVINO (once) into %s", folder)
            tmp = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}")
            try:
                ov.save_model(_convert(self.trunk), str(tmp / "model.xml"), compress_to_fp16=False)
                try:
                    os.replace(tmp, folder)
                except OSError:  # another process finished the same export first
                    if not (folder / "model.xml").is_file():
                        raise
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        return folder / "model.xml"


class _Pooled(nn.Module):
    """The trunk's torch forward for pooled features, the graph that is exported."""

    def __init__(self, trunk):
        super().__init__()
        self.trunk = trunk

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.trunk.torch_forward(pixels)


def _convert(trunk):
    import openvino as ov

    size = trunk.input_size or 224
    example = torch.zeros(2, 3, size, size)
    with torch.no_grad():
        program = torch.export.export(_Pooled(trunk).eval(), (example,),
                                      dynamic_shapes=({0: torch.export.Dim("batch")},))
        model = ov.convert_model(program)
    if trunk.input_size:  # a fixed spatial size lets OpenVINO plan every layer ahead
        model.reshape({model.inputs[0]: ov.PartialShape([-1, 3, size, size])})
    return model


def attach_runtime(trunk, runtime: Optional[str] = None, device: Optional[str] = None) -> str:
    """Pick the runtime for ``trunk`` (see the module docstring), attach it, and return its name."""
    name = requested_runtime(runtime)
    on_cpu = torch.device(device or "cpu").type == "cpu"
    if name == "openvino" and not on_cpu:
        raise ValueError(f"the OpenVINO runtime runs on the CPU; this trunk is on {device}. Use runtime='torch'")
    if name == "openvino" and not openvino_available():
        raise ImportError("runtime 'openvino' needs the openvino package: pip install openvino")
    strict = name == "openvino"
    if name == "auto":
        name = "openvino" if on_cpu and openvino_available() else "torch"
    trunk.compiled = OpenVINOTrunk(trunk, strict=strict) if name == "openvino" else None
    return name
