"""The `claims` command: a thin shell over the library (typer + rich)."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from claims.batch.cli import batch_app
from claims.errors import ClaimsError

if TYPE_CHECKING:
    from claims.comparison.nli import NliClassifier
    from claims.evaluation.attribution import GoldArticle

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # keep stderr for our own messages
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

app = typer.Typer(help="Attributed claims from news reports.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure quality on annotated corpora.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
train_app = typer.Typer(
    help="Rebuild a shipped model from its licensed data.", no_args_is_help=True
)
app.add_typer(train_app, name="train")
app.add_typer(batch_app, name="batch")
err = Console(stderr=True)
T = TypeVar("T")


class OutputFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"


def _extraction(document: Any, claims: list[Any]) -> dict[str, Any]:
    return {
        "document": document.model_dump(mode="json"),
        "claims": [c.model_dump(mode="json") for c in claims],
    }


@app.command()
def extract(
    files: Annotated[list[str], typer.Argument(help="Text or HTML files; - reads stdin.")],
    format: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.json,
    outlet: Annotated[str | None, typer.Option(help="Outlet the reports come from.")] = None,
    published_at: Annotated[
        datetime | None, typer.Option(help="Publication date, to resolve 'Sunday' etc.")
    ] = None,
) -> None:
    """Extract every claim of each report: speaker, cue, content, claimant, normalised values."""
    from claims.extraction.extract import Extractor
    from claims.extraction.ingest import read_document

    extractor = Extractor()
    failed = 0
    results: list[dict[str, Any]] = []
    for path in files:
        try:
            document = read_document(path, outlet=outlet, published_at=published_at)
            result = _extraction(document, extractor.run(document))
        except ClaimsError as exc:
            failed += 1
            err.print(
                f"[red]error[/red] {exc.code}: {escape(str(exc))}", highlight=False, soft_wrap=True
            )
            continue
        if format is OutputFormat.jsonl:
            sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        else:
            results.append(result)
    if format is OutputFormat.json:
        payload: Any = results[0] if len(files) == 1 and results else results
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    if failed:
        raise typer.Exit(code=1)


class CompareFormat(StrEnum):
    json = "json"
    markdown = "markdown"


class RelationScorerChoice(StrEnum):
    model = "model"
    rules = "rules"


@app.command()
def compare(
    input: Annotated[str, typer.Argument(help="JSONL: one {id, text, ...} per line; - is stdin.")],
    format: Annotated[CompareFormat, typer.Option("--format", "-f")] = CompareFormat.json,
    scorer: Annotated[
        RelationScorerChoice,
        typer.Option(
            help="model: the trained NLI model reviews the rules' conflicts and proposes its "
            "own; rules: frames and wording rules only. Each relation names its scorer."
        ),
    ] = RelationScorerChoice.model,
) -> None:
    """Group reports into incidents; relate their claims (corroborate / conflict) with reasons."""
    from rich.progress import Progress

    from claims.comparison.compare import Comparer
    from claims.extraction.ingest import read_jsonl_documents
    from claims.formats.render import render_markdown

    try:
        documents = read_jsonl_documents(input)
    except ClaimsError as exc:
        err.print(f"[red]error[/red] {exc.code}: {escape(str(exc))}", highlight=False)
        raise typer.Exit(code=2) from exc
    comparer = Comparer(learned=None) if scorer is RelationScorerChoice.rules else Comparer()
    with Progress(console=err, transient=True, disable=len(documents) < 20) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        result = comparer.run(documents, progress=progress)
    if format is CompareFormat.markdown:
        sys.stdout.write(render_markdown(result, {d.id: d.outlet for d in documents}))
    else:
        sys.stdout.write(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
        sys.stdout.write("\n")


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Interface to bind; loopback by default.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Worker processes, each with its own models (~0.8 GB); default: one per core.",
        ),
    ] = None,
) -> None:
    """Run the REST API (settings from CLAIMS_* environment variables; docs at /docs)."""
    from api.server import default_workers
    from api.server import serve as run_server

    run_server(host=host, port=port, workers=workers or default_workers())


def _load_corpus(loader: Callable[[Path], T], directory: Path) -> T:
    """An evaluation corpus, or a one-line error and exit code 2 (missing or malformed data)."""
    try:
        return loader(directory)
    except (FileNotFoundError, ValueError) as exc:
        err.print(f"[red]error[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(code=2) from exc


def _original_split(directory: Path) -> dict[str, str]:
    """doc_key → `original_split` as the corpus distributes it (empty when it has none)."""
    out: dict[str, str] = {}
    if not (directory / "documents.jsonl").exists():
        return out
    with (directory / "documents.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if "original_split" in record:
                out[str(record["doc_key"])] = str(record["original_split"])
    return out


def _write_json(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


@eval_app.command("attribution")
def eval_attribution(
    directory: Annotated[
        Path, typer.Argument(help="A PolNeAR-format folder (attributions.jsonl).")
    ],
    split: Annotated[
        str, typer.Option(help="all | dev | held-out (a fixed hash split of the articles).")
    ] = "all",
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write scores here.")] = None,
    agreement: Annotated[
        bool,
        typer.Option(
            "--agreement",
            help="Score the other annotators of multiply annotated articles against the primary "
            "one (human agreement, same metric), and the extractor on the same articles.",
        ),
    ] = False,
) -> None:
    """Score attribution spans against the corpus's primary annotations."""
    from claims.evaluation.attribution import load_polnear, score, split_articles
    from claims.evaluation.run import predict_attributions

    gold = _load_corpus(load_polnear, directory)
    if split != "all":
        dev, held_out = split_articles(gold)
        gold = dev if split == "dev" else held_out
    if agreement:
        _attribution_agreement(directory, gold, json_out)
        return
    started = time.perf_counter()
    predicted = predict_attributions(gold)
    elapsed = time.perf_counter() - started
    report = score(gold, predicted)
    console = Console(width=140)
    report.render(console)
    words = sum(len(a.text.split()) for a in gold)
    console.print(f"{len(gold)} articles, {words} words, extraction {words / elapsed:.0f} words/s")
    if json_out is not None:
        _write_json(json_out, report.to_dict())


def _attribution_agreement(directory: Path, gold: list[GoldArticle], json_out: Path | None) -> None:
    """Human-vs-human and extractor-vs-human scores on the articles several people annotated."""
    from claims.evaluation.attribution import agreement_pairs, load_polnear_others, score
    from claims.evaluation.run import predict_attributions

    others = _load_corpus(load_polnear_others, directory)
    shared = [a for a in gold if others.get(a.article_id)]
    if not shared:
        err.print("[red]error[/red] no article in this split has more than one annotator")
        raise typer.Exit(code=2)
    pairs, human = agreement_pairs(shared, others)
    console = Console(width=140)
    console.print(f"{len(shared)} articles annotated {len(pairs) + len(shared)} times in all")
    console.print("[bold]Other annotators vs the primary one[/bold]")
    humans = score(pairs, human)
    humans.render(console)
    console.print("[bold]claims vs the primary annotator, same articles[/bold]")
    ours = score(shared, predict_attributions(shared))
    ours.render(console)
    if json_out is not None:
        _write_json(json_out, {"humans": humans.to_dict(), "claims": ours.to_dict()})


@eval_app.command("incidents")
def eval_incidents(
    directory: Annotated[
        Path,
        typer.Argument(
            help="ECB+/NewsWCL50-style documents.jsonl folder, or a BASIL articles.jsonl folder."
        ),
    ],
    split: Annotated[
        str,
        typer.Option(
            help="all | dev | held-out (by topic hash) | val | test (the corpus's own "
            "`original_split` field, e.g. ECB+'s validation and test topics)."
        ),
    ] = "all",
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write scores here.")] = None,
) -> None:
    """B³ of grouping documents into incidents against `subtopic_id` / `event_id` /
    BASIL's `triplet-uuid`."""
    from datetime import datetime

    from claims.comparison.incidents import DocumentGrouper, Profile
    from claims.evaluation.incidents import load_incident_corpus, score_incidents, split_by_topic
    from claims.extraction.nlp import load_spacy

    docs = _load_corpus(load_incident_corpus, directory)
    if split in {"val", "test"}:
        docs = [d for d in docs if _original_split(directory).get(d.doc_id) == split]
    elif split != "all":
        dev, held_out = split_by_topic(docs)
        docs = dev if split == "dev" else held_out
    nlp = load_spacy()
    started = time.perf_counter()
    profiles = [
        Profile.from_doc(
            parsed,
            datetime.combine(d.published_at, datetime.min.time()) if d.published_at else None,
        )
        for d, parsed in zip(docs, nlp.pipe((d.text for d in docs), batch_size=16), strict=True)
    ]
    labels = DocumentGrouper().run(profiles)
    elapsed = time.perf_counter() - started
    report = score_incidents(
        docs, {d.doc_id: str(lab) for d, lab in zip(docs, labels, strict=True)}
    )
    console = Console(width=140)
    report.render(console)
    console.print(f"{len(docs)} documents grouped in {elapsed:.1f} s (parsing included)")
    if json_out is not None:
        _write_json(json_out, report.to_dict())


@eval_app.command("cases")
def eval_cases(
    directory: Annotated[
        Path, typer.Argument(help="A folder of cases: <case>/documents.jsonl + <case>/gold.json.")
    ],
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="List missed and false conflicts per case.")
    ] = False,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write scores here.")] = None,
    scorer: Annotated[
        RelationScorerChoice,
        typer.Option(help="model (default, as `claims compare`) or rules: frames and rules only."),
    ] = RelationScorerChoice.model,
) -> None:
    """Multi-outlet cases against a fact-checker's gold: incidents (B³), conflicts (recall,
    precision, reasons), corroborations, neutral traps, wire copies, first reports."""
    from claims.comparison.compare import Comparer
    from claims.evaluation.cases import evaluate_cases, render, summarise

    comparer = Comparer() if scorer is RelationScorerChoice.model else Comparer(learned=None)
    started = time.perf_counter()
    try:
        scores = evaluate_cases(directory, lambda docs: comparer.run(docs).model_dump(mode="json"))
    except ValueError as exc:
        err.print(f"[red]error[/red]: {escape(str(exc))}", highlight=False)
        raise typer.Exit(code=2) from exc
    elapsed = time.perf_counter() - started
    console = Console(width=160)
    render(scores, console, verbose=verbose)
    console.print(f"{len(scores)} cases compared in {elapsed:.1f} s (models loaded once)")
    if json_out is not None:
        _write_json(
            json_out, {"summary": summarise(scores), "cases": [s.to_dict() for s in scores]}
        )


class ConflictScorer(StrEnum):
    rules = "rules"
    nli = "nli"


@eval_app.command("conflicts")
def eval_conflicts(
    emergent: Annotated[Path, typer.Argument(help="Emergent CSV (or its folder).")],
    fnc1: Annotated[
        Path | None, typer.Option(help="Also score FNC-1 stances from this folder.")
    ] = None,
    climate_fever: Annotated[
        Path | None,
        typer.Option(help="Also score Climate-FEVER (DISPUTED claims, REFUTES evidence)."),
    ] = None,
    tune: Annotated[
        bool, typer.Option(help="Re-tune the rule knobs on the dev half before scoring.")
    ] = False,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write scores here.")] = None,
    scorer: Annotated[
        ConflictScorer,
        typer.Option(
            help="rules: the cue rules; nli: the trained NLI model reads every pair (FNC-1 pairs "
            "whose headline is in Emergent are then left out)."
        ),
    ] = ConflictScorer.rules,
    weights: Annotated[
        Path | None,
        typer.Option(help="NLI weights folder for --scorer nli (default: the shipped ones)."),
    ] = None,
) -> None:
    """Flag Emergent claims whose coverage conflicts (for and against); optionally FNC-1 and
    Climate-FEVER."""
    console = Console(width=140)
    if scorer is ConflictScorer.nli:
        if tune:
            err.print("[red]error[/red] --tune applies to the rules only; the model is not tuned")
            raise typer.Exit(code=2)
        report = _conflicts_model(console, emergent, fnc1, climate_fever, _nli_classifier(weights))
    else:
        report = _conflicts_rules(console, emergent, fnc1, climate_fever, tune)
    if json_out is not None:
        _write_json(json_out, report)


_SPLITS = ("dev", "held_out", "all")
_MODEL_SPLITS = ("dev", "held_out (dev data)", "all (dev data)")
"""Split labels for the model: both Emergent halves have been looked at, neither is held out."""


def _conflicts_rules(
    console: Console, emergent: Path, fnc1: Path | None, climate_fever: Path | None, tune: bool
) -> dict[str, Any]:
    from claims.evaluation.conflicts_run import run_climate_fever, run_emergent, run_fnc

    report: dict[str, Any] = {"emergent": run_emergent(emergent, tune=tune)}
    _emergent_table(console, report["emergent"], "Emergent: claims whose coverage conflicts")
    if fnc1 is not None:
        report["fnc1"] = run_fnc(fnc1, tune=tune)
        console.print(_fnc_table(report["fnc1"], "FNC-1 stance", _SPLITS))
    if climate_fever is not None:
        report["climate_fever"] = run_climate_fever(climate_fever)
        console.print(
            _climate_table(report["climate_fever"], "Climate-FEVER (rules untuned for it)")
        )
    return report


def _conflicts_model(
    console: Console,
    emergent: Path,
    fnc1: Path | None,
    climate_fever: Path | None,
    classifier: NliClassifier,
) -> dict[str, Any]:
    """The same corpora and tables with the NLI model reading every pair (`run_*_nli`)."""
    from claims.evaluation.conflicts_run import run_climate_fever_nli, run_emergent_nli, run_fnc_nli

    report: dict[str, Any] = {"emergent": run_emergent_nli(emergent, classifier)}
    block = report["emergent"]
    _emergent_table(
        console,
        block,
        "Emergent: claims whose coverage conflicts (model)",
        _MODEL_SPLITS,
        f"; both halves are development data; {block['pairs_per_second']} pairs/s",
    )
    if fnc1 is not None:
        report["fnc1"] = run_fnc_nli(fnc1, emergent, classifier)
        _fnc_model_tables(console, report["fnc1"])
    if climate_fever is not None:
        report["climate_fever"] = run_climate_fever_nli(climate_fever, classifier)
        _climate_model_table(console, report["climate_fever"])
    return report


def _fnc_model_tables(console: Console, block: dict[str, Any]) -> None:
    """The model's FNC-1 table, then the rules' on the same pairs (the fair comparison)."""
    table = _fnc_table(block, "FNC-1 stance (model for related pairs)", _SPLITS)
    table.caption = (
        f"{block['n_pairs_kept']} of {block['n_pairs_before_filter']} pairs kept "
        f"({block['n_pairs_removed_emergent_headline']} have a headline in Emergent); "
        f"related/unrelated by the rules' cosine/overlap; the model read "
        f"{block['model_pairs']} distinct related pairs, {block['pairs_per_second']} pairs/s"
    )
    console.print(table)
    console.print(
        _fnc_table(block["rules_same_pairs"], "FNC-1 stance (rules, same pairs)", _SPLITS)
    )


def _climate_model_table(console: Console, block: dict[str, Any]) -> None:
    table = _climate_table(block, "Climate-FEVER (model, untuned for it)")
    table.add_row(
        "evidence 3-way (macro)", str(block["stance"]["n_headlines"]), "—", "—",
        f"{block['stance']['macro_f1']:.3f}",
    )  # fmt: skip
    table.caption = f"{block['pairs_per_second']} pairs/s"
    console.print(table)


def _emergent_table(
    console: Console,
    report: dict[str, Any],
    title: str,
    labels: Sequence[str] = _SPLITS,
    caption_extra: str = "",
) -> None:
    table = Table(title=title)
    for column in ("split", "claims", "P", "R", "F1", "F1 95% CI", "stance macro-F1"):
        table.add_column(column, justify="right" if column != "split" else "left")
    for split, label in zip(_SPLITS, labels, strict=True):
        block = report[split]
        flags = block["conflicting"]
        low, high = block["f1_ci95"]
        table.add_row(
            label, str(flags["n_items"]), f"{flags['precision']:.3f}", f"{flags['recall']:.3f}",
            f"{flags['f1']:.3f}", f"{low:.2f}–{high:.2f}", f"{block['stance']['macro_f1']:.3f}",
        )  # fmt: skip
    table.caption = "CI: bootstrap over claims (2,000 resamples, seeded)" + caption_extra
    console.print(table)


def _fnc_table(report: dict[str, Any], title: str, labels: Sequence[str]) -> Table:
    table = Table(title=title)
    for column in ("split", "pairs", "disagree F1", "macro-F1", "accuracy"):
        table.add_column(column, justify="right" if column != "split" else "left")
    for split, label in zip(_SPLITS, labels, strict=True):
        b = report[split]
        table.add_row(
            label, str(b["n_pairs"]), f"{b['disagree_f1']:.3f}", f"{b['macro_f1']:.3f}",
            f"{b['accuracy']:.3f}",
        )  # fmt: skip
    return table


def _climate_table(block: dict[str, Any], title: str) -> Table:
    flags, refutes = block["conflicting"], block["stance"]["per_class"]["against"]
    low, high = block["f1_ci95"]
    table = Table(title=title)
    for column in ("what", "items", "P", "R", "F1"):
        table.add_column(column, justify="left" if column == "what" else "right")
    table.add_row(
        "claims DISPUTED", str(flags["n_items"]), f"{flags['precision']:.3f}",
        f"{flags['recall']:.3f}", f"{flags['f1']:.3f} ({low:.2f}–{high:.2f})",
    )  # fmt: skip
    table.add_row(
        "evidence REFUTES", str(block["stance"]["n_headlines"]), f"{refutes['precision']:.3f}",
        f"{refutes['recall']:.3f}", f"{refutes['f1']:.3f}",
    )  # fmt: skip
    return table


def _nli_classifier(weights: Path | None, threads: int | None = None) -> NliClassifier:
    """The NLI model, loaded now so that missing weights fail before any corpus is read."""
    from claims.comparison.nli import NliClassifier

    classifier = NliClassifier(weights, threads=threads)
    try:
        return classifier.warm_up()
    except ClaimsError as exc:
        err.print(f"[red]error[/red] {exc.code}: {escape(str(exc))}", highlight=False)
        raise typer.Exit(code=2) from exc


def _nli_dev_report(
    data: Path, classifier: NliClassifier, limit: int | None = None
) -> dict[str, Any]:
    """`run_nli_dev`, printed as the per-source table; bad data is a one-line error, exit 2."""
    from claims.evaluation.nli import render_nli_dev, run_nli_dev

    try:
        report = run_nli_dev(data, classifier, limit)
    except ClaimsError as exc:
        err.print(f"[red]error[/red] {exc.code}: {escape(str(exc))}", highlight=False)
        raise typer.Exit(code=2) from exc
    title = "NLI dev split" + (f" (sample of {limit})" if limit is not None else "")
    render_nli_dev(report, Console(width=140), title)
    return report


@eval_app.command("nli")
def eval_nli(
    data: Annotated[Path, typer.Argument(help="NLI pairs: a pairs.jsonl or its folder.")],
    weights: Annotated[
        Path | None, typer.Option(help="Weights folder (default: the shipped ones).")
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write scores here.")] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Score a seeded sample of this many dev pairs.")
    ] = None,
) -> None:
    """Accuracy and macro-F1 of the NLI model on the dev split, per source, and pairs/s."""
    from claims.comparison.nli import NliClassifier

    # Not warmed here: `run_nli_dev` times the load apart, and a missing folder is a ClaimsError.
    report = _nli_dev_report(data, NliClassifier(weights), limit)
    if json_out is not None:
        _write_json(json_out, report)


@train_app.command("nli")
def train_nli(
    data: Annotated[Path, typer.Argument(help="NLI pairs: a pairs.jsonl or its folder.")],
    out: Annotated[
        Path | None,
        typer.Option(help="Where the adapters go (default: the package's claims/data/nli)."),
    ] = None,
    epochs: Annotated[
        float | None, typer.Option(help="Passes over the training split (default 1).")
    ] = None,
    max_pairs: Annotated[
        int | None, typer.Option(min=1, help="Train on a seeded sample of this many pairs.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Order and initial weights.")] = None,
    threads: Annotated[int | None, typer.Option(min=1, help="Torch CPU threads.")] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the record and dev scores here.")
    ] = None,
) -> None:
    """Train the NLI adapters and head on the `train` split, then score the `dev` split."""
    from claims.comparison.nli import NliClassifier, bundled_weights_dir
    from claims.training.nli import TrainSettings, train

    recipe = TrainSettings()  # the recipe's own defaults, for every option not given
    settings = TrainSettings(
        seed=recipe.seed if seed is None else seed,
        epochs=recipe.epochs if epochs is None else epochs,
        max_pairs=max_pairs,
        threads=threads,
    )
    target = out or bundled_weights_dir()
    try:
        record = train(data, target, settings)
    except ClaimsError as exc:
        err.print(f"[red]error[/red] {exc.code}: {escape(str(exc))}", highlight=False)
        raise typer.Exit(code=2) from exc
    err.print(f"saved {target} ({record['seconds']} s); scoring the dev split", highlight=False)
    report = _nli_dev_report(data, NliClassifier(target, threads=threads))
    if json_out is not None:
        _write_json(json_out, {"training": record, "dev": report})


@eval_app.command("matching")
def eval_matching(
    directory: Annotated[Path, typer.Argument(help="CheckThat! 2020 Task 2 folder.")],
    split: Annotated[str, typer.Option(help="train | dev | all (the task's own splits).")] = "dev",
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write scores here.")] = None,
) -> None:
    """Rank the verified claims for each tweet by embedding cosine, against a TF-IDF baseline."""
    from claims.comparison.embed import SentenceTransformerEmbedder
    from claims.evaluation.matching import KS, evaluate, load_checkthat, tfidf_vectors

    corpus = _load_corpus(lambda d: load_checkthat(d, split), directory)
    embedder = SentenceTransformerEmbedder(cache_size=0)

    def embedded(queries: Sequence[str], claims: Sequence[str]) -> tuple[Any, Any]:
        return embedder.embed(list(queries)), embedder.embed(list(claims))

    started = time.perf_counter()
    scores = evaluate(corpus, {"embedding (claims)": embedded, "TF-IDF baseline": tfidf_vectors})
    table = Table(
        title=f"Claim matching, CheckThat! 2020 Task 2 ({split})",
        caption=(
            f"{len(corpus.queries)} tweets × {len(corpus.claims)} verified claims, "
            f"{time.perf_counter() - started:.0f} s"
        ),
    )
    for column in ("ranker", "MAP@5", "MRR", *(f"R@{k}" for k in KS)):
        table.add_column(column, justify="left" if column == "ranker" else "right")
    for name, s in scores.items():
        table.add_row(
            name, f"{s.map_at_5:.3f}", f"{s.mrr:.3f}", *(f"{s.recall[k]:.3f}" for k in KS)
        )
    Console(width=140).print(table)
    if json_out is not None:
        _write_json(json_out, {name: s.to_dict() for name, s in scores.items()})


def main() -> None:  # pragma: no cover
    app()
