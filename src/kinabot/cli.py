"""Command line: ``kinabot build / ask / serve``; a thin shell over the core."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from kinabot.errors import KinabotError
from kinabot.index import IndexError_
from kinabot.settings import Settings

app = typer.Typer(help="kinabot: answers about Kronoberg and Suzhou from the region's documents.", no_args_is_help=True)
logger = logging.getLogger("kinabot")


def _settings() -> Settings:
    """The settings from the environment; a bad value ends the command with a clear message."""
    from pydantic import ValidationError

    from kinabot.observability import configure_logging

    try:
        settings = Settings()
    except ValidationError as exc:
        for err in exc.errors():
            name = "KINABOT_" + "_".join(str(p) for p in err["loc"]).upper()
            typer.echo(f"error: {name}: {err['msg']}", err=True)
        raise typer.Exit(2) from None
    configure_logging(settings.log_level, "text" if sys.stderr.isatty() else settings.log_format)
    return settings


@app.command()
def build(
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if the corpus and model are unchanged.")] = False,
) -> None:
    """Build a new index version from the corpus folder, embedding only new and changed passages.

    Exits with 3 when some files were skipped (each is named with the reason), 4 when
    another build is running.
    """
    from kinabot.builder import BuildBusy
    from kinabot.builder import build as run_build

    settings = _settings()
    try:
        summary = run_build(settings, force=force, bar=sys.stderr.isatty())
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except BuildBusy as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(4) from None
    except IndexError_ as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    for line in summary.lines():
        typer.echo(line)
    if summary.skipped:
        raise typer.Exit(3)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in Swedish, Chinese or English.")],
    lang: Annotated[str | None, typer.Option(help="Force the question's language: sv, zh or en.")] = None,
    top_k: Annotated[int, typer.Option(min=1, max=20, help="Passages to show.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full answer as JSON.")] = False,
) -> None:
    """Answer one question from the current index."""
    from kinabot.search import Retriever

    settings = _settings()
    if lang is not None and lang not in ("sv", "zh", "en"):
        typer.echo(f"error: --lang must be one of sv, zh, en (got {lang!r})", err=True)
        raise typer.Exit(2)
    try:
        retriever = Retriever.from_settings(settings)
        result = retriever.ask(question, lang=lang, top_k=top_k)
    except (KinabotError, IndexError_) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(asdict(result), ensure_ascii=False, indent=2))
        return
    typer.echo(f"[{result.language}] {result.question}\n")
    if result.no_answer:
        typer.echo(result.message or "")
        typer.echo(result.contact or "")
    else:
        typer.echo(result.answer or "")
        for src in result.sources:
            typer.echo(f"\n  source: {src.title} [{src.lang}] {src.url}")
    typer.echo("\npassages:")
    for i, p in enumerate(result.passages, start=1):
        flag = " (below threshold)" if p.below_threshold else ""
        typer.echo(f"  {i}. {p.title} [{p.lang}] relevance {p.relevance:.3f}{flag}")
        typer.echo(f"     {' › '.join(p.headings)}")
        typer.echo(f"     » {p.text[p.match_start : p.match_end]}")


@app.command("eval")
def evaluate(
    external: Annotated[
        bool, typer.Option("--external", help="Score the external sets (XQuAD, Swedish FAQ, FLORES, NTREX) instead.")
    ] = False,
    evaldata: Annotated[Path, typer.Option(help="Folder of the external sets.")] = Path("../shared/evaldata"),
    limit: Annotated[int | None, typer.Option(help="Queries per external set (default all).")] = None,
    qa: Annotated[Path, typer.Option(help="Folder of labelled questions (*.jsonl).")] = Path("qa"),
    split: Annotated[str, typer.Option(help="Which part to score: dev, test or all.")] = "test",
    failures: Annotated[bool, typer.Option("--failures", help="List the questions kinabot got wrong.")] = False,
    output: Annotated[Path | None, typer.Option(help="Also write the figures as JSON here.")] = None,
    report: Annotated[Path | None, typer.Option(help="With --external, also write a Markdown table here.")] = None,
) -> None:
    """Score retrieval on the labelled questions: hit@1, hit@3, MRR per language, no-answer precision/recall."""
    from kinabot.evaluate import evaluate_qa, format_table, load_qa, save_json
    from kinabot.search import Retriever

    settings = _settings()
    if external:
        _evaluate_external(settings, evaldata, limit, output, report)
        return
    if split not in ("dev", "test", "all"):
        typer.echo(f"error: --split must be dev, test or all (got {split!r})", err=True)
        raise typer.Exit(2)
    try:
        items = [i for i in load_qa(qa) if split == "all" or i.split == split]
        retriever = Retriever.from_settings(settings)
    except (ValueError, KinabotError, IndexError_) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if not items:
        typer.echo(f"error: no labelled questions in {qa} for split {split!r}", err=True)
        raise typer.Exit(1)
    result = evaluate_qa(retriever, items)
    typer.echo(f"{len(items)} questions ({split}), index {retriever.index.version}")
    typer.echo(format_table(result))
    if failures:
        for f in result.failures:
            typer.echo(
                f"  {f['qid']}: {f['question']!r} expected {f['expected']} got {f['got']} "
                f"no_answer={f['no_answer']} relevance={f['relevance']}"
            )
    if output is not None:
        save_json(result, output)


def _evaluate_external(
    settings: Settings, evaldata: Path, limit: int | None, output: Path | None, report: Path | None
) -> None:
    import tempfile

    from kinabot.embedcache import CachedEmbedder
    from kinabot.evalsets import standard_tasks
    from kinabot.evaluate import format_external, markdown_report, run_task
    from kinabot.index import reference_means
    from kinabot.model import load_embedder

    if not evaldata.is_dir():
        typer.echo(f"error: no evaluation data in {evaldata}: pass --evaldata PATH", err=True)
        raise typer.Exit(2)
    embedder = load_embedder(settings)
    cache = CachedEmbedder(settings.model_cache_dir.parent / "eval-embeddings.sqlite", embedder)
    reference = reference_means(embedder)
    results = []
    with tempfile.TemporaryDirectory(prefix="kinabot-eval-") as work:
        for task in standard_tasks(evaldata, limit):
            results.append(run_task(task, embedder, cache, settings, Path(work), reference))
            typer.echo(f"  {task.name}: done", err=True)
    typer.echo(f"model {embedder.name} ({embedder.fingerprint}), fusion {settings.fusion}")
    typer.echo(format_external(results))
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps({"model": embedder.name, "results": results}, indent=2, ensure_ascii=False))
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(markdown_report(results, embedder.name, settings), encoding="utf-8")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default KINABOT_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default KINABOT_PORT).")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=16, help="Server processes sharing the index (default KINABOT_WORKERS).")
    ] = None,
) -> None:
    """Serve the HTTP API on the current index, switching to new versions as they are built."""
    import os

    import uvicorn

    settings = _settings()
    count = workers or settings.workers
    os.environ["KINABOT_LOG_FORMAT"] = "text" if sys.stderr.isatty() else settings.log_format
    os.environ["KINABOT_WORKERS"] = str(count)  # each worker reads its settings from the environment
    options: dict = {
        "factory": True,
        "host": host or settings.host,
        "port": port or settings.port,
        "log_config": None,
        "access_log": False,
        "proxy_headers": False,  # kinabot reads X-Forwarded-For itself, only from KINABOT_TRUSTED_PROXIES
        "server_header": False,
        "timeout_graceful_shutdown": 10,
    }
    if count == 1:
        uvicorn.run("kinabot.api:app_from_environment", **options)
        return
    # Not uvicorn's own workers: kinabot's send each new connection to the least busy one.
    from kinabot.workers import serve_workers

    raise typer.Exit(serve_workers(uvicorn.Config("kinabot.api:app_from_environment", workers=count, **options), count))


@app.command()
def report(
    since: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD (default 30 days before --until).")] = None,
    until: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD (default today).")] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Also write the report as CSV to this file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """What people asked in a period: per language and day, no-answer rate, top and unanswered questions,
    feedback per document."""
    import datetime as dt

    from kinabot.records import Store
    from kinabot.report import format_report, period, report_csv

    settings = _settings()
    try:
        first, last = period(
            dt.date.fromisoformat(since) if since else None,
            dt.date.fromisoformat(until) if until else None,
            dt.datetime.now(dt.UTC).date(),
        )
    except ValueError as exc:
        typer.echo(f"error: --since and --until take dates as YYYY-MM-DD ({exc})", err=True)
        raise typer.Exit(2) from None
    store = Store(settings.database)
    try:
        store.start()
        result = store.report(first, last)
    except Exception as exc:
        typer.echo(f"error: the database cannot be read ({type(exc).__name__})", err=True)
        raise typer.Exit(1) from None
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(asdict(result), ensure_ascii=False, indent=2, default=str))
    else:
        typer.echo(format_report(result))
    if csv_out is not None:
        csv_out.parent.mkdir(parents=True, exist_ok=True)
        csv_out.write_text(report_csv(result), encoding="utf-8")
        typer.echo(f"wrote {csv_out}", err=True)


def main() -> None:  # pragma: no cover - console script entry
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
