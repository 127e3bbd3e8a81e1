"""`claims train nli`: the recipe is seeded (two runs give the same weights), saves only what it
trained, and treats the binary `not_entailment` rows as "anything but entailment"."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from claims.comparison.nli import ADAPTER_FILE, CONFIG_FILE, LABELS, NliClassifier
from claims.errors import ClaimsError
from claims.training.nli import TrainSettings, loss_fn, read_pairs, train

ROWS = [
    ("A man is riding a red bicycle down the hill.", "A person is cycling.", "entailment"),
    ("A man is riding a red bicycle down the hill.", "A man is asleep in bed.", "contradiction"),
    ("A woman reads a book in the park.", "The woman is reading for a class.", "neutral"),
    ("Two dogs run across a snowy field.", "Animals are outside.", "entailment"),
    ("Two dogs run across a snowy field.", "The dogs are sleeping indoors.", "not_entailment"),
    ("The shop opens at nine every morning.", "The shop is closed all week.", "contradiction"),
    ("Children play football in the street.", "Kids are playing a game.", "entailment"),
    ("Children play football in the street.", "The children are at the beach.", "not_entailment"),
]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("nli")
    lines = [
        json.dumps({"premise": p, "hypothesis": h, "label": y, "source": "own", "split": "train"})
        for p, h, y in ROWS * 4
    ]
    (folder / "pairs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_training_is_seeded_and_ships_only_trained_tensors(data_dir: Path, tmp_path: Path) -> None:
    settings = TrainSettings(batch_size=8, log_every=1)
    log = io.StringIO()
    record = train(data_dir, tmp_path / "a", settings, log=log)
    train(data_dir, tmp_path / "b", settings, log=io.StringIO())
    a = load_file(str(tmp_path / "a" / ADAPTER_FILE))
    b = load_file(str(tmp_path / "b" / ADAPTER_FILE))
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)  # same seed, same weights
    assert all("lora_" in k or k.startswith("head.") for k in a)  # never a base weight
    assert (tmp_path / "a" / ADAPTER_FILE).stat().st_size < 10 * 2**20
    assert record["train_pairs"] == len(ROWS) * 4
    assert "pairs/s" in log.getvalue()
    config = json.loads((tmp_path / "a" / CONFIG_FILE).read_text(encoding="utf-8"))
    assert config["trained"]["settings"]["seed"] == settings.seed
    scores = NliClassifier(tmp_path / "a").predict([ROWS[0][:2]])
    assert len(scores) == 1


def test_not_entailment_rows_push_entailment_down_only() -> None:
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
    binary = torch.tensor([-1, -1])
    loss = loss_fn(logits, binary, LABELS)
    p = torch.softmax(logits, dim=-1)
    expected = -torch.log(1 - p[:, LABELS.index("entailment")]).mean()
    assert float(loss) == pytest.approx(float(expected), rel=1e-5)


def test_read_pairs_names_the_bad_line(tmp_path: Path) -> None:
    (tmp_path / "pairs.jsonl").write_text('{"premise": "a"}\n', encoding="utf-8")
    with pytest.raises(ClaimsError, match=r"pairs\.jsonl:1"):
        read_pairs(tmp_path)
    with pytest.raises(ClaimsError, match=r"no pairs\.jsonl"):
        read_pairs(tmp_path / "missing")
