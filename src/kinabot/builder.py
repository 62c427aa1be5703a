"""Building a new index version from the corpus folder: incremental, reported, one at a time.

Vectors come through :class:`~kinabot.embedcache.CachedEmbedder`, so only new or
changed passages reach the model. Progress goes to a status file beside the index,
which any server process can read, and to a progress bar on a terminal. A lock file
keeps two builds (the command line and an admin request, say) from running at once.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kinabot.corpus import Corpus, load_corpus
from kinabot.embedcache import CachedEmbedder
from kinabot.index import IndexError_, build_index, current_version, is_up_to_date, read_manifest
from kinabot.model import Embedder, load_embedder, model_identity
from kinabot.settings import Settings

STATUS_FILE = ".build-status.json"
LOCK_FILE = ".build.lock"
CACHE_FILE = "embeddings.sqlite3"


class BuildBusy(IndexError_):
    """Another build is running on this index folder."""


@dataclass
class BuildSummary:
    version: str | None
    up_to_date: bool
    documents: int
    passages: int
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "path: reason"
    embedded: int = 0  # texts the model encoded
    reused: int = 0  # texts taken from the cache
    seconds: float = 0.0
    embed_seconds: float = 0.0  # of which getting vectors (cache and model)

    def lines(self) -> list[str]:
        """A human summary, one fact a line."""
        head = (
            f"index {self.version} is up to date"
            if self.up_to_date
            else f"built index {self.version}: {self.documents} documents, {self.passages} passages"
        )
        out = [f"{head} ({self.seconds:.1f} s)"]
        for label, items in (("added", self.added), ("changed", self.changed), ("removed", self.removed)):
            if items:
                out.append(f"{label} {len(items)}: " + ", ".join(items[:10]) + (" …" if len(items) > 10 else ""))
        if not self.up_to_date:
            out.append(f"embedded {self.embedded} texts, reused {self.reused} from the cache")
        out.append(f"skipped {len(self.skipped)} files" + ("" if not self.skipped else ":"))
        out.extend(f"  {s}" for s in self.skipped)
        return out


class Progress:
    """Writes the build's state to the status file (throttled) and drives an optional bar."""

    def __init__(self, status_path: Path, bar: bool) -> None:
        self.path = status_path
        self.bar_enabled = bar
        self.state: dict = {
            "state": "running",
            "pid": os.getpid(),
            "started": _now(),
            "stage": "reading",
            "done": 0,
            "total": 0,
            "eta_seconds": None,
        }
        self._bar = None
        self._unit = "text"
        self._stage_started = time.monotonic()
        self._written = 0.0
        self.write(force=True)

    def stage(self, name: str, total: int, unit: str = "text") -> None:
        self.close_bar()
        self.state.update(stage=name, unit=unit, done=0, total=total, eta_seconds=None)
        self._stage_started = time.monotonic()
        self._unit = unit
        self.write(force=True)

    def advance(self, done: int, more: int = 0) -> None:
        """``done`` more items finished; ``more`` items newly known to be coming."""
        self.state["total"] += more
        if self.bar_enabled and self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=0, desc=self.state["stage"], unit=self._unit, leave=False)
        if self._bar is not None and more:
            self._bar.total = self.state["total"]
            self._bar.refresh()
        self.state["done"] += done
        elapsed = time.monotonic() - self._stage_started
        rate = self.state["done"] / elapsed if elapsed > 0 else 0
        remaining = self.state["total"] - self.state["done"]
        self.state["eta_seconds"] = round(remaining / rate, 1) if rate > 0 else None
        if self._bar is not None:
            self._bar.update(done)
        self.write()

    def finish(self, summary: BuildSummary | None, error: str | None = None) -> None:
        self.close_bar()
        self.state.update(
            state="failed" if error else "done",
            finished=_now(),
            error=error,
            summary=asdict(summary) if summary else None,
            eta_seconds=None,
        )
        self.write(force=True)

    def close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def write(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._written < 0.5:
            return
        self._written = now
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)


def read_status(index_dir: Path) -> dict:
    """The last build's status, or ``{"state": "none"}``."""
    try:
        status = json.loads((index_dir / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {"state": "none"}
    if status.get("state") == "running" and not _lock_held(index_dir):
        status["state"] = "failed"
        status["error"] = "the build stopped before it finished"
    return status


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / LOCK_FILE).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildBusy("another build is running on this index folder") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _lock_held(index_dir: Path) -> bool:
    try:
        with build_lock(index_dir):
            return False
    except BuildBusy:
        return True


def cached_embedder(settings: Settings, embedder: Embedder | None = None) -> CachedEmbedder:
    """The cache in front of ``embedder``, or of the configured model, loaded only if needed."""
    path = settings.index_dir / CACHE_FILE
    if embedder is not None:
        return CachedEmbedder(path, embedder)
    _, name, fingerprint = model_identity(settings)
    return CachedEmbedder(path, lambda: load_embedder(settings), fingerprint=fingerprint, name=name)


def build(
    settings: Settings,
    force: bool = False,
    embedder: Embedder | None = None,
    bar: bool = False,
    on_corpus: Callable[[Corpus], None] | None = None,
) -> BuildSummary:
    """Build a new version if the corpus, model or bundled data changed (or ``force``)."""
    started = time.monotonic()
    with build_lock(settings.index_dir):
        progress = Progress(settings.index_dir / STATUS_FILE, bar)
        try:
            summary = _build(settings, force, embedder, progress, on_corpus)
        except BaseException as exc:
            progress.finish(None, error=str(exc) if isinstance(exc, (IndexError_, OSError)) else type(exc).__name__)
            raise
        summary.seconds = round(time.monotonic() - started, 2)
        progress.finish(summary)
        return summary


def _build(
    settings: Settings,
    force: bool,
    embedder: Embedder | None,
    progress: Progress,
    on_corpus: Callable[[Corpus], None] | None,
) -> BuildSummary:
    progress.stage("reading", 0, unit="file")

    def file_read(done: int, total: int) -> None:
        progress.advance(done, more=total - progress.state["total"])

    corpus = load_corpus(settings.corpus_dir, max_bytes=settings.max_file_bytes, on_file=file_read)
    if on_corpus is not None:
        on_corpus(corpus)
    previous = _previous_files(settings.index_dir)
    added, changed, removed = _diff(previous, corpus.files)
    skipped = [str(e) for e in corpus.errors]
    cache = cached_embedder(settings, embedder)
    try:
        if not force and is_up_to_date(settings.index_dir, corpus, cache, settings.ann_min_vectors):
            version = current_version(settings.index_dir)
            manifest = read_manifest(version) if version else {}
            return BuildSummary(
                version.name if version else None,
                True,
                len(corpus.documents),
                sum(manifest.get("passages", {}).values()),
                skipped=skipped,
            )
        progress.stage("embedding", 0, unit="text")
        cache.on_progress = progress.advance
        path = build_index(
            corpus,
            cache,
            settings.index_dir,
            keep=settings.keep_versions,
            extra_manifest={"source_files": corpus.files},
            ann_min_vectors=settings.ann_min_vectors,
        )
    finally:
        cache.close()
    manifest = read_manifest(path)
    return BuildSummary(
        path.name,
        False,
        len(corpus.documents),
        sum(manifest["passages"].values()),
        added,
        changed,
        removed,
        skipped,
        cache.embedded,
        cache.reused,
        embed_seconds=round(cache.seconds, 2),
    )


def _previous_files(index_dir: Path) -> dict[str, str] | None:
    version = current_version(index_dir)
    if version is None or not version.is_dir():
        return None
    try:
        return dict(read_manifest(version).get("source_files", {}))
    except IndexError_:
        return None


def _diff(before: dict[str, str] | None, after: dict[str, str]) -> tuple[list[str], list[str], list[str]]:
    if before is None:
        return sorted(after), [], []
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(p for p in set(after) & set(before) if after[p] != before[p])
    return added, changed, removed


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
