"""An optional ONNX Runtime int8 backend for the embedding stage (the `onnx` extra).

`OnnxEmbedder` is a drop-in `Embedder`: the same model, the same L2-normalised float32 rows in input
order, the same LRU cache (it subclasses `SentenceTransformerEmbedder` and replaces only how the
model is loaded and run). On this project's 2-core machines the int8 model embeds about 1.5-2.5×
faster than torch fp32, with a cosine to the fp32 vectors of about 0.99 (DESIGN.md §6).

`warm_up()` builds the int8 model once per model and machine and then reuses it:

1. export the sentence-transformers model (transformer + mean pooling; normalisation stays in numpy)
   with `torch.onnx.export` (the dynamo exporter, which needs `onnxscript`);
2. quantise it with `onnxruntime.quantization.quantize_dynamic`: int8 weights, one scale per output
   channel, activations quantised at run time. Only the MatMul weights are quantised: quantising
   the token-embedding table as well saves 36 MB but drops the worst-case cosine to fp32 from ~0.987
   to ~0.980 at no gain in speed;
3. write `<cache_dir>/<model>-int8.onnx` (default cache_dir `~/.cache/claims/onnx`) and beside it a
   sidecar `<model>-int8.json` naming the SHA-256 of every model file it was built from. Both are
   written to a temporary name and renamed into place; the sidecar is removed before and written
   after the model, so a crash or a concurrent builder never leaves a sidecar describing another
   file. A later `warm_up()` (any process) reuses the file when the sidecar matches the model files
   and the build settings, and re-exports otherwise.

Running needs only `onnxruntime`, `tokenizers` (the model directory's `tokenizer.json`) and numpy:
torch is imported for the export alone. The export takes ~10-15 s on 2 cores.

Only local models can be exported: the bundled all-MiniLM-L6-v2 or a sentence-transformers model
directory whose modules are a Transformer, mean pooling and optionally Normalize.

`onnxruntime`, `onnx` and `onnxscript` are imported through `importlib` so that type checking and
the rest of the package work without the extra installed.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import itertools
import json
import logging
import os
import re
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
import numpy.typing as npt

from claims.comparison.embed import (
    DEFAULT_CACHE_SIZE,
    DEFAULT_EMBEDDING_MODEL,
    SentenceTransformerEmbedder,
    Vectors,
    load_sentence_transformer,
    resolve_model_path,
)
from claims.errors import ModelNotAvailableError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

DEFAULT_ONNX_CACHE_DIR = Path("~/.cache/claims/onnx")
# One text per run: see `OnnxEmbedder` on why batching changes the vectors.
DEFAULT_ONNX_BATCH_SIZE = 1
ONNX_INSTALL_HINT = "`pip install 'claims[onnx]'` (onnxruntime, onnx, onnxscript)"

# Bump when the exported graph or the quantisation changes, so old files are rebuilt.
EXPORT_FORMAT = 1
OPSET = 18
QUANTISATION: dict[str, Any] = {
    "method": "quantize_dynamic",
    "weight_type": "QInt8",
    "per_channel": True,
    "reduce_range": False,
    "op_types": ["MatMul"],
}
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "sentence_embedding"

_POOLING = "sentence_transformers.models.Pooling"
_TRANSFORMER = "sentence_transformers.models.Transformer"
_NORMALIZE = "sentence_transformers.models.Normalize"
# Files that define the model; anything else in the directory (README, other formats) is ignored.
_MODEL_FILE_SUFFIXES = frozenset({".json", ".txt", ".safetensors", ".bin", ".model"})


@dataclass(frozen=True)
class ModelFiles:
    """What `warm_up()` learns about a local sentence-transformers model directory."""

    path: Path
    max_seq_length: int
    fingerprint: dict[str, str]  # relative path -> SHA-256 of the file


class OnnxEmbedder(SentenceTransformerEmbedder):
    """Embeds texts with an int8 ONNX Runtime export of a sentence-transformers model.

    Same settings as `SentenceTransformerEmbedder`, plus `cache_dir` for the exported model.
    `threads` is how many threads this embedder runs on (not torch's, not process-wide): with one
    text per run they embed different texts side by side, each run single-threaded (ONNX Runtime
    spreads one short text over two threads badly: ~1.05× instead of ~2×); with batches they are
    ONNX Runtime's intra-op threads. None lets ONNX Runtime choose. The embedding cache, its keys
    `(model_name, text)`, the de-duplication and the ordering are the base class's.

    `batch_size` defaults to 1 here, not 64. Dynamic quantisation picks one int8 scale per
    activation tensor per run, over every row of the batch and its padding, so in a batch a text's
    vector depends on its batch-mates (cosine ~0.988 between a text embedded alone and inside a
    batch of 64). One text per run keeps `embed()` pure, as the `Embedder` contract wants: the same
    text always gets the same vector, whatever it was embedded with and whatever the cache held.
    Batches are ~20% faster; pass `batch_size` > 1 where that matters more than repeatability.
    """

    def __init__(
        self,
        model_name: str = DEFAULT_EMBEDDING_MODEL,
        batch_size: int = DEFAULT_ONNX_BATCH_SIZE,
        threads: int | None = None,
        cache_size: int = DEFAULT_CACHE_SIZE,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(model_name, batch_size=batch_size, threads=threads, cache_size=cache_size)
        base = DEFAULT_ONNX_CACHE_DIR if cache_dir is None else Path(cache_dir)
        self.cache_dir = base.expanduser()
        self._session: Any = None  # onnxruntime.InferenceSession
        self._input_names: tuple[str, ...] = ()
        self._pad_id = 0
        self._pool: ThreadPoolExecutor | None = None
        self._tokenizer: Tokenizer | None = None
        self._warm_lock = threading.Lock()
        self.exported = False  # whether this instance's warm_up() built the file (tests, logs)
        self.export_seconds: float | None = None

    @property
    def onnx_path(self) -> Path:
        """Where the int8 model is (or will be) kept."""
        return self.cache_dir / f"{_file_stem(self.model_name)}-int8.onnx"

    @property
    def sidecar_path(self) -> Path:
        return self.onnx_path.with_suffix(".json")

    def warm_up(self) -> None:
        if self._session is not None:
            return
        with self._warm_lock:
            if self._session is not None:
                return
            ort = _import_onnxruntime()
            files = _model_files(self.model_name)
            wanted = _build_settings(self.model_name, files)
            manifest = _read_sidecar(self.sidecar_path)
            if not _reusable(manifest, wanted, self.onnx_path):
                started = time.perf_counter()
                manifest = _export_int8(files, self.onnx_path, self.sidecar_path, wanted)
                self.export_seconds = time.perf_counter() - started
                self.exported = True
                log.info(
                    "exported %s to %s in %.1f s",
                    self.model_name,
                    self.onnx_path,
                    self.export_seconds,
                )
            assert manifest is not None
            tokenizer = _load_tokenizer(files)
            options = ort.SessionOptions()
            side_by_side = self.batch_size == 1 and self.threads is not None and self.threads > 1
            if self.threads is not None:
                options.intra_op_num_threads = 1 if side_by_side else self.threads
            options.inter_op_num_threads = 1
            try:
                session = ort.InferenceSession(
                    str(self.onnx_path), options, providers=["CPUExecutionProvider"]
                )
            except Exception as exc:  # onnxruntime raises its own untyped exception classes
                raise ModelNotAvailableError(
                    f"ONNX model {self.onnx_path} cannot be loaded ({exc}); delete it and its "
                    f"sidecar to rebuild"
                ) from exc
            inputs = tuple(i.name for i in session.get_inputs())
            unknown = set(inputs) - set(INPUT_NAMES)
            if unknown:
                raise ModelNotAvailableError(
                    f"ONNX model {self.onnx_path} expects unsupported inputs {sorted(unknown)}"
                )
            self._dimension = int(manifest["dimension"])
            self._tokenizer = tokenizer
            self._input_names = inputs
            self._pad_id = int(manifest.get("pad_id") or 0)
            if side_by_side:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="onnx-embed")
            self._session = session

    @property
    def model(self) -> NoReturn:
        """There is no torch model here; the ONNX Runtime session is `session`."""
        raise AttributeError("OnnxEmbedder runs an ONNX Runtime session, not a torch model")

    @property
    def session(self) -> Any:
        """The `onnxruntime.InferenceSession` (after `warm_up()`)."""
        self.warm_up()
        return self._session

    @property
    def dimension(self) -> int:
        self.warm_up()
        assert self._dimension is not None
        return self._dimension

    def _encode(self, texts: list[str]) -> Vectors:
        """Rows for `texts` in their order: on the pool's threads when there is one."""
        self.warm_up()
        if self._pool is None or self.threads is None or len(texts) < 2:
            return self._encode_serial(texts)
        n = min(len(texts), self.threads)
        bounds = [len(texts) * i // n for i in range(n + 1)]
        slices = [texts[a:b] for a, b in itertools.pairwise(bounds)]
        return np.concatenate(list(self._pool.map(self._encode_serial, slices)))

    def _encode_serial(self, texts: list[str]) -> Vectors:
        """Rows for `texts` in their order; batches (if > 1) of similar length, to pad less."""
        session = self._session
        assert self._tokenizer is not None
        # sentence-transformers strips texts before tokenising; the ids come out the same here.
        ids = [e.ids for e in self._tokenizer.encode_batch([t.strip() for t in texts])]
        order = sorted(range(len(texts)), key=lambda i: -len(ids[i]))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            width = max(len(ids[i]) for i in chunk)
            input_ids = np.full((len(chunk), width), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                input_ids[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1
            arrays = {
                "input_ids": input_ids,
                "attention_mask": mask,
                "token_type_ids": np.zeros_like(input_ids),  # single sentences: segment 0
            }
            feeds = {name: arrays[name] for name in self._input_names}
            (pooled,) = session.run([OUTPUT_NAME], feeds)
            out[chunk] = _l2_normalise(np.asarray(pooled, dtype=np.float32))
        if out.shape != (len(texts), self.dimension):
            raise RuntimeError(
                f"model {self.model_name!r} returned shape {out.shape} for {len(texts)} texts"
            )
        return out


def _l2_normalise(rows: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.maximum(norms, 1e-12), dtype=np.float32)


def _file_stem(model_name: str) -> str:
    """A file name for the model: the bundled model's aliases share one file."""
    if model_name.lower() in {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}:
        return DEFAULT_EMBEDDING_MODEL
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", model_name.strip("/\\")).strip("._")
    return stem or "model"


def _import(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ModelNotAvailableError(
            f"the ONNX embedding backend needs {module.split('.')[0]}, which is not installed; "
            f"{ONNX_INSTALL_HINT}"
        ) from exc


def _import_onnxruntime() -> Any:
    return _import("onnxruntime")


def _model_files(model_name: str) -> ModelFiles:
    """The local model directory, checked to be an exportable mean-pooling model, fingerprinted."""
    path = Path(resolve_model_path(model_name))
    if not path.is_dir():
        raise ModelNotAvailableError(
            f"the ONNX backend exports local models only: {model_name!r} is neither the bundled "
            f"{DEFAULT_EMBEDDING_MODEL!r} nor a sentence-transformers model directory"
        )
    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
        config = _read_json(path / "sentence_bert_config.json")
    except (OSError, ValueError) as exc:
        raise ModelNotAvailableError(
            f"{path} is not a sentence-transformers model directory ({exc})"
        ) from exc
    types = [m.get("type") for m in modules]
    pooling = [m for m in modules if m.get("type") == _POOLING]
    if (
        not types
        or types[0] != _TRANSFORMER
        or len(pooling) != 1
        or not set(types) <= {_TRANSFORMER, _POOLING, _NORMALIZE}
    ):
        raise ModelNotAvailableError(
            f"the ONNX backend supports Transformer + Pooling (+ Normalize) models only; {path} "
            f"has {types}"
        )
    pool_dir = path / str(pooling[0].get("path", ""))
    pool = _read_json(pool_dir / "config.json")
    modes = {k for k, v in pool.items() if k.startswith("pooling_mode") and v is True}
    if modes != {"pooling_mode_mean_tokens"}:
        raise ModelNotAvailableError(
            f"the ONNX backend supports mean pooling only; {path} uses {sorted(modes)}"
        )
    if not (path / "tokenizer.json").is_file():
        raise ModelNotAvailableError(f"{path} has no tokenizer.json (a fast tokenizer is needed)")
    max_seq_length = int(config.get("max_seq_length") or 512)
    return ModelFiles(path, max_seq_length, _fingerprint(path, [pool_dir]))


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def _fingerprint(root: Path, subdirs: list[Path]) -> dict[str, str]:
    """SHA-256 of the files that define the model: top-level weights/configs, module configs."""
    files = [p for p in root.iterdir() if p.is_file() and p.suffix in _MODEL_FILE_SUFFIXES]
    for sub in subdirs:
        if sub != root and sub.is_dir():
            files += [p for p in sub.iterdir() if p.is_file() and p.suffix == ".json"]
    out: dict[str, str] = {}
    for p in sorted(files):
        with p.open("rb") as fh:
            out[p.relative_to(root).as_posix()] = hashlib.file_digest(fh, "sha256").hexdigest()
    return out


def _build_settings(model_name: str, files: ModelFiles) -> dict[str, Any]:
    """What the sidecar must match for the file to be reused."""
    return {
        "format": EXPORT_FORMAT,
        "opset": OPSET,
        "quantisation": QUANTISATION,
        "max_seq_length": files.max_seq_length,
        "model_files": files.fingerprint,
    }


def _read_sidecar(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _reusable(manifest: dict[str, Any] | None, wanted: dict[str, Any], onnx_path: Path) -> bool:
    if manifest is None or any(manifest.get(k) != v for k, v in wanted.items()):
        return False
    try:
        return onnx_path.stat().st_size == manifest.get("onnx_bytes")
    except OSError:
        return False


def _load_tokenizer(files: ModelFiles) -> Tokenizer:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(files.path / "tokenizer.json"))
    # tokenizer.json may carry fixed-length padding; batches are padded here, to their longest row.
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=files.max_seq_length)
    return tokenizer


def _export_int8(
    files: ModelFiles, onnx_path: Path, sidecar_path: Path, settings: dict[str, Any]
) -> dict[str, Any]:
    """Export, quantise, atomically install the int8 model and its sidecar; return the sidecar."""
    for module in ("onnx", "onnxscript", "onnxruntime.quantization"):
        _import(module)
    started = time.perf_counter()
    st = load_sentence_transformer(str(files.path))
    dimension = st.get_embedding_dimension()
    if dimension is None:
        raise ModelNotAvailableError(f"embedding model {files.path} declares no vector dimension")
    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".export-", dir=onnx_path.parent) as tmp:
        work = Path(tmp)
        fp32, int8 = work / "fp32.onnx", work / "int8.onnx"
        try:
            input_names = _export_fp32(st, fp32)
            # the quantiser writes scratch files (shape-inference models) to the working
            # directory: keep them in the temporary folder, not wherever the user ran us
            with contextlib.chdir(work):
                _quantise(fp32, work / "prepared.onnx", int8)
        except ModelNotAvailableError:
            raise
        except Exception as exc:  # torch.export / onnxscript / onnxruntime: many error types
            raise ModelNotAvailableError(
                f"exporting {files.path} to ONNX failed: {type(exc).__name__}: {exc}"
            ) from exc
        manifest = {
            **settings,
            "dimension": int(dimension),
            "inputs": list(input_names),
            "pad_id": int(st.tokenizer.pad_token_id or 0),
            "onnx_bytes": int8.stat().st_size,
            "export_seconds": round(time.perf_counter() - started, 2),
            "built_from": str(files.path),
            "versions": _versions(),
        }
        staged_sidecar = work / "sidecar.json"
        staged_sidecar.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
        # Sidecar off, model in, sidecar on: a sidecar never names a file it was not written for.
        with contextlib.suppress(FileNotFoundError):
            sidecar_path.unlink()
        os.replace(int8, onnx_path)
        os.replace(staged_sidecar, sidecar_path)
    return manifest


def _export_fp32(st: SentenceTransformer, path: Path) -> tuple[str, ...]:
    """torch.onnx.export of transformer + mean pooling: ids and mask in, unnormalised rows out."""
    import torch

    transformer: Any = st[0].auto_model  # a transformers PreTrainedModel
    tokenizer: Any = st.tokenizer
    names = tuple(n for n in INPUT_NAMES if n in tokenizer.model_input_names)
    if names[:2] != INPUT_NAMES[:2]:
        raise ModelNotAvailableError(
            f"the ONNX backend needs a tokenizer with input_ids and attention_mask, got {names}"
        )

    class MeanPooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor | None = None,
        ) -> torch.Tensor:
            extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
            hidden = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, **extra
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled: torch.Tensor = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return pooled

    # Two rows of different lengths, so neither dimension is specialised to the example.
    example = tokenizer(
        ["The minister said six people were hurt.", "Rescuers reached the village."],
        padding=True,
        return_tensors="pt",
    )
    kwargs = {name: example[name].to(torch.int64) for name in names}
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence")
    dynamic = {name: {0: batch, 1: seq} for name in names}
    was_training = transformer.training
    transformer.eval()
    try:
        with _quiet(), torch.no_grad():
            torch.onnx.export(
                MeanPooled(),
                (),
                str(path),
                kwargs=kwargs,
                input_names=list(names),
                output_names=[OUTPUT_NAME],
                opset_version=OPSET,
                dynamo=True,
                dynamic_shapes=dynamic,
                external_data=False,
                verbose=False,
            )
    finally:
        transformer.train(was_training)
    return names


def _quantise(fp32: Path, prepared: Path, int8: Path) -> None:
    quantization = _import("onnxruntime.quantization")
    shape_inference = _import("onnxruntime.quantization.shape_inference")
    with _quiet():
        # ONNX Runtime's recommended preparation (graph clean-up, shape inference) before
        # quantising; symbolic shape inference does not complete on the exported attention.
        shape_inference.quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
        quantization.quantize_dynamic(
            str(prepared),
            str(int8),
            per_channel=QUANTISATION["per_channel"],
            reduce_range=QUANTISATION["reduce_range"],
            weight_type=quantization.QuantType.QInt8,
            op_types_to_quantize=QUANTISATION["op_types"],
        )


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The exporter and the quantiser warn about things that do not matter here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _versions() -> dict[str, str]:
    out: dict[str, str] = {}
    for name in ("torch", "onnx", "onnxscript", "onnxruntime", "transformers"):
        with contextlib.suppress(ImportError):
            out[name] = str(getattr(importlib.import_module(name), "__version__", "?"))
    return out
