"""`claims batch compare|extract`: a thin typer shell over `claims.batch.run`.

Imported by `claims/cli.py` at start-up, so it imports nothing heavy (no pyarrow, no models)
until a command runs.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from claims.errors import ClaimsError

batch_app = typer.Typer(
    help="Batch extraction and comparison over news archives (Parquet out).",
    no_args_is_help=True,
)
_err = Console(stderr=True)


class EngineChoice(StrEnum):
    local = "local"
    ray = "ray"


class ScorerChoice(StrEnum):
    model = "model"
    rules = "rules"


Inputs = Annotated[
    list[str],
    typer.Argument(
        help="JSON Lines ({id, text, ...} per line), Parquet, or folders of .txt/.html."
    ),
]
Out = Annotated[Path, typer.Option("--out", "-o", help="Output folder (resumed if it exists).")]
EngineOpt = Annotated[
    EngineChoice,
    typer.Option(help="local: a process pool on this machine; ray: Ray Data (local or --address)."),
]
Workers = Annotated[
    int | None, typer.Option(min=1, help="Worker processes / actors (default: all cores).")
]
Address = Annotated[
    str | None, typer.Option(help="Ray cluster address (ray://host:10001 or auto).")
]
PartitionSize = Annotated[
    int, typer.Option(min=1, help="Documents per extraction task and resumable part.")
]


def _run(
    mode: str,
    inputs: list[str],
    out: Path,
    engine: EngineChoice,
    workers: int | None,
    address: str | None,
    scorer: ScorerChoice,
    partition_size: int,
    relate_chunk: int,
    write_json: bool,
) -> None:
    from claims.batch.progress import reporter, summary_table
    from claims.batch.run import BatchOptions, run_batch

    options = BatchOptions(
        out=out,
        engine=engine.value,
        workers=workers or os.cpu_count() or 1,
        address=address,
        scorer=scorer.value,
        partition_size=partition_size,
        relate_chunk=relate_chunk,
        write_json=write_json,
    )
    try:
        summary = run_batch(
            inputs,
            options,
            mode="extract" if mode == "extract" else "compare",
            reporter=reporter(_err),
        )
    except ClaimsError as exc:
        _err.print(f"[red]error[/red] {exc.code}: {escape(str(exc))}", highlight=False)
        raise typer.Exit(code=2) from exc
    _err.print(summary_table(summary.to_dict()))


@batch_app.command("compare")
def batch_compare(
    inputs: Inputs,
    out: Out,
    engine: EngineOpt = EngineChoice.local,
    workers: Workers = None,
    address: Address = None,
    scorer: Annotated[
        ScorerChoice, typer.Option(help="As in `claims compare`: model (default) or rules.")
    ] = ScorerChoice.model,
    partition_size: PartitionSize = 32,
    relate_chunk: Annotated[
        int, typer.Option(min=1, help="Incidents per relate task and resumable part.")
    ] = 4,
    json_out: Annotated[
        bool,
        typer.Option(
            "--json/--no-json", help="Also write comparison.json (the `claims compare` output)."
        ),
    ] = True,
) -> None:
    """Group reports into incidents and relate their claims; Parquet tables in --out."""
    _run(
        "compare",
        inputs,
        out,
        engine,
        workers,
        address,
        scorer,
        partition_size,
        relate_chunk,
        json_out,
    )


@batch_app.command("extract")
def batch_extract(
    inputs: Inputs,
    out: Out,
    engine: EngineOpt = EngineChoice.local,
    workers: Workers = None,
    address: Address = None,
    partition_size: PartitionSize = 32,
) -> None:
    """Extract every report's claims; documents.parquet and claims.parquet in --out."""
    _run(
        "extract",
        inputs,
        out,
        engine,
        workers,
        address,
        ScorerChoice.rules,  # extraction does not relate: skip loading the NLI model
        partition_size,
        8,
        False,
    )
