"""Index versions on disk: building, saving, verifying and loading.

Build writes a complete version into a temporary folder and renames it into place;
a ``CURRENT`` file, replaced atomically, names the version to serve. Serving only
reads. Every file is listed in the manifest with its hash, so a truncated or
tampered file is caught at load time and named.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import faiss
import numpy as np

from kinabot import vectorindex
from kinabot.chunking import MAX_UNITS, MIN_UNITS, Passage, chunk_document
from kinabot.corpus import LANGS, Corpus, Document, corpus_hash
from kinabot.e5convert import file_sha256
from kinabot.lexical import LexicalIndex
from kinabot.model import Embedder
from kinabot.scope import Vocabulary
from kinabot.settings import ANN_MIN_VECTORS

logger = logging.getLogger(__name__)

FORMAT = 9
CURRENT = "CURRENT"
MANIFEST = "manifest.json"


class IndexError_(RuntimeError):
    """Base for problems with an index on disk."""


class IndexNotBuilt(IndexError_):
    """There is no index to serve yet."""


class IndexInvalid(IndexError_):
    """An index version is incomplete, damaged, or built for another model."""


@dataclass(frozen=True)
class DocMeta:
    id: str
    lang: str
    title: str
    url: str
    sources: tuple[dict, ...]
    updated: str
    valid_for: str | None
    path: str = ""  # the file it was read from, relative to the corpus folder

    @classmethod
    def of(cls, doc: Document) -> DocMeta:
        sources = tuple(
            {"url": str(s.url), "publisher": s.publisher, "consulted": s.consulted.isoformat()} for s in doc.sources
        )
        url = sources[0]["url"] if sources else ""
        return cls(doc.id, doc.lang, doc.title, url, sources, doc.updated.isoformat(), doc.valid_for, doc.path)


@dataclass
class LoadedIndex:
    """Everything a retriever needs, in memory, read-only."""

    path: Path
    manifest: dict
    passages: list[Passage]
    sentence_ranges: np.ndarray  # (n_passages, 2): rows of each passage's sentences
    sentence_vectors: np.ndarray
    documents: dict[tuple[str, str], DocMeta]
    lang_rows: dict[str, np.ndarray]  # language -> global passage rows
    dense: dict[str, faiss.Index]
    lexical: dict[str, LexicalIndex]
    doc_rows: dict[tuple[str, str], list[int]]  # (doc id, language) -> passage rows in reading order
    means: dict[str, np.ndarray]  # language -> mean vector subtracted before search
    passage_vectors: np.ndarray  # (n_passages, dim), centred, in row order
    passage_lang: np.ndarray  # language of each passage row
    passage_doc: np.ndarray  # document number (into doc_ids) of each passage row
    suggestions: dict[str, list[str]]  # language -> questions to offer before the first one
    outline_vectors: np.ndarray  # (n_documents, dim), centred, in documents.jsonl order
    outline_doc: np.ndarray  # document number (into doc_ids) of each outline row
    doc_ids: list[str]  # distinct document ids
    out_of_scope: dict[str, np.ndarray]  # language -> centred vectors of example questions the corpus does not cover
    vocabulary: Vocabulary
    # language -> approximate index over its sentences (only languages with enough of them), and
    # the global row of each language's first sentence (a language's sentences are contiguous)
    sentence_index: dict[str, faiss.Index] = field(default_factory=dict)
    sentence_start: dict[str, int] = field(default_factory=dict)
    # centred vectors of the passages' innermost headings, and each passage's row in them (-1: none)
    heading_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    passage_heading: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def center_query(self, query: np.ndarray, lang: str) -> np.ndarray:
        shifted = query - self.means.get(lang, self.means["en"])
        return (shifted / max(float(np.linalg.norm(shifted)), 1e-12)).astype(np.float32)

    @property
    def version(self) -> str:
        return str(self.manifest["version"])


def current_version(index_dir: Path) -> Path | None:
    pointer = index_dir / CURRENT
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    return index_dir / name if name else None


def read_manifest(version_dir: Path) -> dict:
    path = version_dir / MANIFEST
    if not path.is_file():
        raise IndexInvalid(f"index version {version_dir.name} has no {MANIFEST}: rebuild with `kinabot build`")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise IndexInvalid(f"{MANIFEST} of index version {version_dir.name} is not valid JSON ({exc.msg})") from None


def is_up_to_date(index_dir: Path, corpus: Corpus, embedder: Embedder, ann_min_vectors: int = ANN_MIN_VECTORS) -> bool:
    """True when the current version was built from this corpus with this model and index size threshold."""
    version = current_version(index_dir)
    if version is None or not version.is_dir():
        return False
    try:
        manifest = read_manifest(version)
    except IndexInvalid:
        return False
    return (
        manifest.get("format") == FORMAT
        and manifest.get("corpus_hash") == corpus_hash(corpus)
        and manifest.get("model", {}).get("fingerprint") == embedder.fingerprint
        and manifest.get("bundled_data") == bundled_data_hash()
        and manifest.get("ann_min_vectors") == ann_min_vectors
    )


def bundled_data_hash() -> str:
    """Hash of the data files shipped with kinabot that an index is built from."""
    return "".join(file_sha256(path)[:16] for path in (REFERENCE_SENTENCES, OUT_OF_SCOPE))


def build_index(
    corpus: Corpus,
    embedder: Embedder,
    index_dir: Path,
    show_progress: bool = False,
    keep: int = 3,
    extra_manifest: dict | None = None,
    ann_min_vectors: int = ANN_MIN_VECTORS,
) -> Path:
    """Embed and index ``corpus`` into a new version folder and make it current."""
    if not corpus.documents:
        raise IndexNotBuilt("the corpus has no valid documents to index")
    docs = sorted(corpus.documents, key=lambda d: (LANGS.index(d.lang), d.id))
    passages: list[Passage] = [p for d in docs for p in chunk_document(d)]
    if not passages:
        raise IndexNotBuilt("the documents produced no passages")
    logger.info("embedding %d passages from %d documents", len(passages), len(docs))
    vectors = embedder.encode_passages([p.embedding_text() for p in passages], show_progress=show_progress)
    sentences = [s for p in passages for s in p.sentence_texts()]
    logger.info("embedding %d sentences", len(sentences))
    sentence_vectors = embedder.encode_passages(sentences, show_progress=show_progress)
    metas = [DocMeta.of(d) for d in docs]
    outline_vectors = embedder.encode_passages([outline(m, passages) for m in metas])
    heading_keys, heading_rows = passage_headings(passages)
    headings = None
    if heading_keys:
        texts = [text for _, text in heading_keys]
        headings = (embedder.encode_passages(texts), [lang for lang, _ in heading_keys], heading_rows)
    oos_langs, oos_questions = out_of_scope_questions()
    oos_vectors = embedder.encode_queries(oos_questions)
    model = {"name": embedder.name, "fingerprint": embedder.fingerprint, "dimension": embedder.dimension}
    suggestions = corpus.suggestions or _title_suggestions(docs)
    return write_index(
        metas,
        passages,
        vectors,
        sentence_vectors,
        model,
        corpus_hash(corpus),
        index_dir,
        keep,
        reference=reference_means(embedder),
        suggestions=suggestions,
        outline_vectors=outline_vectors,
        headings=headings,
        out_of_scope=(oos_vectors, oos_langs),
        extra_manifest=extra_manifest,
        ann_min_vectors=ann_min_vectors,
    )


def write_index(
    docs: list[DocMeta],
    passages: list[Passage],
    vectors: np.ndarray,
    sentence_vectors: np.ndarray,
    model: dict,
    content_hash: str,
    index_dir: Path,
    keep: int = 3,
    reference: dict[str, np.ndarray] | None = None,
    suggestions: dict[str, list[str]] | None = None,
    outline_vectors: np.ndarray | None = None,
    headings: tuple[np.ndarray, list[str], np.ndarray] | None = None,
    out_of_scope: tuple[np.ndarray, list[str]] | None = None,
    extra_manifest: dict | None = None,
    ann_min_vectors: int = ANN_MIN_VECTORS,
) -> Path:
    """Write already-embedded passages as a new version and make it current.

    ``passages`` must be grouped by language in ``LANGS`` order; ``sentence_vectors``
    holds one row per sentence of each passage, in order. A language with at least
    ``ann_min_vectors`` passages (or sentences) gets an approximate index over them.
    """
    langs = [p.lang for p in passages]
    if langs != sorted(langs, key=LANGS.index):
        raise ValueError("passages must be grouped by language (sv, zh, en)")
    means = language_means(vectors, passages, reference)
    vectors = center(vectors, langs, means)
    sentence_vectors = center(sentence_vectors, [p.lang for p in passages for _ in p.sentences], means)
    if outline_vectors is None:
        outline_vectors = np.zeros((len(docs), vectors.shape[1]), dtype=np.float32)
    else:
        outline_vectors = center(outline_vectors, [d.lang for d in docs], means)

    index_dir.mkdir(parents=True, exist_ok=True)
    created = dt.datetime.now(dt.UTC)
    version = f"{created:%Y%m%dT%H%M%S%fZ}-{content_hash[:8]}"
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=index_dir))
    try:
        vector_indexes = _write_version(tmp, docs, passages, vectors, sentence_vectors, ann_min_vectors)
        np.save(tmp / "language_means.npy", np.stack([means[lang] for lang in LANGS]))
        np.save(tmp / "outlines.npy", outline_vectors.astype(np.float32))
        if headings is None:
            heading_vectors, heading_rows = np.zeros((0, vectors.shape[1]), np.float32), np.full(len(passages), -1)
        else:
            heading_vectors, heading_rows = center(headings[0], headings[1], means), headings[2]
        np.save(tmp / "headings.npy", heading_vectors.astype(np.float32))
        np.save(tmp / "passage_headings.npy", np.asarray(heading_rows, dtype=np.int64))
        if out_of_scope is None:
            oos, oos_langs = np.zeros((0, vectors.shape[1]), dtype=np.float32), []
        else:
            oos, oos_langs = center(out_of_scope[0], out_of_scope[1], means), out_of_scope[1]
        np.save(tmp / "out_of_scope.npy", oos)
        (tmp / "out_of_scope_langs.json").write_text(json.dumps(oos_langs), encoding="utf-8")
        (tmp / "suggestions.json").write_text(json.dumps(suggestions or {}, ensure_ascii=False), encoding="utf-8")
        manifest = {
            "format": FORMAT,
            "version": version,
            "created": created.isoformat(),
            "model": model,
            "corpus_hash": content_hash,
            "bundled_data": bundled_data_hash(),
            "chunking": {"min_units": MIN_UNITS, "max_units": MAX_UNITS},
            "documents": dict(Counter(d.lang for d in docs)),
            "passages": dict(Counter(langs)),
            "sentences": len(sentence_vectors),
            "ann_min_vectors": ann_min_vectors,
            "vector_indexes": vector_indexes,
            **(extra_manifest or {}),
            "files": {p.relative_to(tmp).as_posix(): file_sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()},
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        tmp.chmod(0o755)
        final = index_dir / version
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _point_to(index_dir, version)
    _prune(index_dir, keep)
    logger.info("index version %s is current", version)
    return final


def passage_headings(passages: list[Passage]) -> tuple[list[tuple[str, str]], np.ndarray]:
    """Distinct (language, innermost heading) pairs, and each passage's row among them (-1: none)."""
    keys: dict[tuple[str, str], int] = {}
    rows = np.full(len(passages), -1, dtype=np.int64)
    for i, p in enumerate(passages):
        if heading := p.context_heading():
            rows[i] = keys.setdefault((p.lang, heading), len(keys))
    return list(keys), rows


def outline(doc: DocMeta, passages: list[Passage]) -> str:
    """A document's title and section headings: what a reader scans to see if it is the right page."""
    headings: list[str] = []
    for p in passages:
        if p.doc_id == doc.id and p.lang == doc.lang:
            headings += [h for h in p.headings[1:] if h not in headings]
    return doc.title + "\n" + "; ".join(headings)


def _title_suggestions(docs: list[Document], per_language: int = 4) -> dict[str, list[str]]:
    """Without a suggestions file, offer the first article titles of each language."""
    out: dict[str, list[str]] = {}
    for doc in docs:
        titles = out.setdefault(doc.lang, [])
        if len(titles) < per_language:
            titles.append(doc.title)
    return out


def language_means(
    vectors: np.ndarray, passages: list[Passage], reference: dict[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """Mean vector of each language, to subtract before search.

    multilingual-e5 vectors carry a strong language component: a Swedish question
    prefers any Swedish passage to the Chinese one that answers it. Subtracting each
    language's mean removes most of that component (on FLORES sv+zh in one index, the
    translation at rank 1 goes from about 15% to about 90%). The mean is taken over
    articles that exist in more than one language, so that it differs between languages
    by language rather than by subject. A language with too few such passages falls back
    to all its passages, then to the mean of a bundled set of parallel sentences
    (``reference``), then to the overall mean.
    """
    langs_of: dict[str, set[str]] = {}
    for p in passages:
        langs_of.setdefault(p.doc_id, set()).add(p.lang)
    overall = vectors.mean(axis=0)
    means = {}
    for lang in LANGS:
        parallel = [i for i, p in enumerate(passages) if p.lang == lang and len(langs_of[p.doc_id]) > 1]
        every = [i for i, p in enumerate(passages) if p.lang == lang]
        if len(parallel) >= MIN_MEAN_PASSAGES:
            means[lang] = vectors[parallel].mean(axis=0)
        elif len(every) >= MIN_MEAN_PASSAGES:
            means[lang] = vectors[every].mean(axis=0)
        elif reference is not None and lang in reference:
            means[lang] = reference[lang]
        else:
            means[lang] = overall
    return {k: v.astype(np.float32) for k, v in means.items()}


# Fewer passages than this give too noisy a mean to trust.
MIN_MEAN_PASSAGES = 8
REFERENCE_SENTENCES = Path(__file__).parent / "data" / "reference_sentences.jsonl"
OUT_OF_SCOPE = Path(__file__).parent / "data" / "out_of_scope.jsonl"


def out_of_scope_questions() -> tuple[list[str], list[str]]:
    """Languages and texts of the bundled examples of questions the region's documents do not cover."""
    rows = [json.loads(line) for line in OUT_OF_SCOPE.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["lang"] for r in rows], [r["question"] for r in rows]


def reference_means(embedder: Embedder) -> dict[str, np.ndarray]:
    """Mean vector per language of the bundled parallel sentences, embedded as passages."""
    rows = [json.loads(line) for line in REFERENCE_SENTENCES.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {lang: embedder.encode_passages([r[lang] for r in rows]).mean(axis=0) for lang in LANGS}


def center(vectors: np.ndarray, langs: list[str], means: dict[str, np.ndarray]) -> np.ndarray:
    """Subtract each vector's language mean and renormalise, so inner product is cosine again."""
    if not len(vectors):
        return vectors.astype(np.float32)
    shifted = vectors - np.stack([means[lang] for lang in langs])
    norms = np.linalg.norm(shifted, axis=1, keepdims=True)
    return np.ascontiguousarray(shifted / np.maximum(norms, 1e-12), dtype=np.float32)


def _write_version(
    folder: Path,
    docs: list[DocMeta],
    passages: list[Passage],
    vectors: np.ndarray,
    sentence_vectors: np.ndarray,
    ann_min_vectors: int,
) -> dict[str, str]:
    """Write the version's files; returns the kind of each vector index written, by file stem."""
    with (folder / "documents.jsonl").open("w", encoding="utf-8") as fh:
        for doc in docs:
            fh.write(json.dumps(asdict(doc), ensure_ascii=False) + "\n")
    with (folder / "passages.jsonl").open("w", encoding="utf-8") as fh:
        for p in passages:
            fh.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
    # Every passage and sentence vector stays in passages.npy and sentences.npy: answers and
    # final scores use exact cosines. The vector indexes only find candidates; from a size on
    # they are approximate, with their vectors stored in 16 bits (see kinabot.vectorindex).
    np.save(folder / "passages.npy", vectors.astype(np.float32))
    np.save(folder / "sentences.npy", sentence_vectors.astype(np.float32))
    kinds: dict[str, str] = {}
    start = 0
    for lang in LANGS:
        rows = [i for i, p in enumerate(passages) if p.lang == lang]
        if not rows:
            continue
        dense = vectorindex.build(vectors[rows], ann_min_vectors)
        faiss.write_index(dense, str(folder / f"dense-{lang}.faiss"))
        kinds[f"dense-{lang}"] = vectorindex.describe(dense)
        count = sum(len(passages[i].sentences) for i in rows)
        if count >= ann_min_vectors:
            sentences = vectorindex.build(sentence_vectors[start : start + count], ann_min_vectors)
            faiss.write_index(sentences, str(folder / f"sentences-{lang}.faiss"))
            kinds[f"sentences-{lang}"] = vectorindex.describe(sentences)
        start += count
        lexical = LexicalIndex.build(lang, [passages[i].embedding_text() for i in rows])
        lexical.save(folder / f"lexical-{lang}")
    return kinds


def _point_to(index_dir: Path, version: str) -> None:
    tmp = index_dir / f".{CURRENT}.tmp"
    tmp.write_text(version + "\n", encoding="utf-8")
    os.replace(tmp, index_dir / CURRENT)


def _prune(index_dir: Path, keep: int) -> None:
    current = current_version(index_dir)
    versions = sorted(p for p in index_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in versions[: max(0, len(versions) - keep)]:
        if current is not None and old.name != current.name:
            shutil.rmtree(old, ignore_errors=True)


def verify_version(version_dir: Path) -> dict:
    """Check that every file the manifest lists is present and unchanged."""
    if not version_dir.is_dir():
        raise IndexNotBuilt(f"index version {version_dir.name} does not exist: run `kinabot build`")
    manifest = read_manifest(version_dir)
    if manifest.get("format") != FORMAT:
        raise IndexInvalid(
            f"index version {version_dir.name} has format {manifest.get('format')}, "
            f"this kinabot reads {FORMAT}: rebuild"
        )
    for name, digest in manifest.get("files", {}).items():
        path = version_dir / name
        if not path.is_file():
            raise IndexInvalid(f"index version {version_dir.name} is missing {name}: rebuild with `kinabot build`")
        if file_sha256(path) != digest:
            raise IndexInvalid(f"{name} in index version {version_dir.name} does not match its manifest hash: rebuild")
    return manifest


def _by_language(vectors: np.ndarray, langs: list[str]) -> dict[str, np.ndarray]:
    if len(langs) != len(vectors):
        raise IndexInvalid("out_of_scope.npy and out_of_scope_langs.json disagree: rebuild")
    return {lang: vectors[[i for i, la in enumerate(langs) if la == lang]] for lang in sorted(set(langs))}


def load_index(index_dir: Path, version: str | None = None) -> LoadedIndex:
    """Load and verify the current version (or the one named)."""
    version_dir = index_dir / version if version else current_version(index_dir)
    if version_dir is None:
        raise IndexNotBuilt(f"no index in {index_dir.name or index_dir}: run `kinabot build` first")
    manifest = verify_version(version_dir)
    documents: dict[tuple[str, str], DocMeta] = {}
    for line in (version_dir / "documents.jsonl").read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        raw["sources"] = tuple(raw["sources"])
        meta = DocMeta(**raw)
        documents[(meta.id, meta.lang)] = meta
    passages: list[Passage] = []
    for line in (version_dir / "passages.jsonl").read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        raw["headings"] = tuple(raw["headings"])
        raw["sentences"] = tuple(tuple(s) for s in raw["sentences"])
        passages.append(Passage(**raw))
    counts = np.array([len(p.sentences) for p in passages], dtype=np.int64)
    ends = np.cumsum(counts)
    ranges = np.stack([ends - counts, ends], axis=1)
    sentence_vectors = np.load(version_dir / "sentences.npy")
    dim = int(manifest["model"]["dimension"])
    if sentence_vectors.shape != (int(ends[-1]) if len(ends) else 0, dim):
        raise IndexInvalid(f"sentences.npy in {version_dir.name} does not match passages.jsonl: rebuild")
    lang_rows: dict[str, np.ndarray] = {}
    dense: dict[str, faiss.Index] = {}
    lexical: dict[str, LexicalIndex] = {}
    sentence_index: dict[str, faiss.Index] = {}
    sentence_start: dict[str, int] = {}
    for lang in LANGS:
        rows = np.array([i for i, p in enumerate(passages) if p.lang == lang], dtype=np.int64)
        if not len(rows):
            continue
        index = faiss.read_index(str(version_dir / f"dense-{lang}.faiss"))
        if index.ntotal != len(rows) or index.d != dim:
            raise IndexInvalid(f"dense-{lang}.faiss in {version_dir.name} does not match passages.jsonl: rebuild")
        lang_rows[lang] = rows
        dense[lang] = index
        lexical[lang] = LexicalIndex.load(lang, version_dir / f"lexical-{lang}", len(rows))
        start, end = int(ranges[rows[0], 0]), int(ranges[rows[-1], 1])
        sentence_start[lang] = start
        name = f"sentences-{lang}.faiss"
        if name in manifest.get("files", {}):
            index = faiss.read_index(str(version_dir / name))
            if index.ntotal != end - start or index.d != dim:
                raise IndexInvalid(f"{name} in {version_dir.name} does not match passages.jsonl: rebuild")
            sentence_index[lang] = index
    doc_rows: dict[tuple[str, str], list[int]] = {}
    for row, p in enumerate(passages):
        doc_rows.setdefault((p.doc_id, p.lang), []).append(row)
    stacked = np.load(version_dir / "language_means.npy")
    if stacked.shape != (len(LANGS), dim):
        raise IndexInvalid(f"language_means.npy in {version_dir.name} has the wrong shape: rebuild")
    means: dict[str, np.ndarray] = {lang: stacked[i] for i, lang in enumerate(LANGS)}
    outlines = np.load(version_dir / "outlines.npy")
    if outlines.shape != (len(documents), dim):
        raise IndexInvalid(f"outlines.npy in {version_dir.name} does not match documents.jsonl: rebuild")
    heading_vectors = np.load(version_dir / "headings.npy")
    passage_heading = np.load(version_dir / "passage_headings.npy")
    if (
        heading_vectors.shape[1:] != (dim,)
        or passage_heading.shape != (len(passages),)
        or int(passage_heading.max(initial=-1)) >= len(heading_vectors)
    ):
        raise IndexInvalid(f"headings.npy in {version_dir.name} does not match passages.jsonl: rebuild")
    passage_vectors = np.load(version_dir / "passages.npy")
    if passage_vectors.shape != (len(passages), dim):
        raise IndexInvalid(f"passages.npy in {version_dir.name} does not match passages.jsonl: rebuild")
    if len(counts) and counts.min() < 1:
        raise IndexInvalid(f"a passage in {version_dir.name} has no sentences: rebuild")
    doc_ids = sorted({doc_id for doc_id, _ in documents})
    doc_number = {doc_id: i for i, doc_id in enumerate(doc_ids)}
    return LoadedIndex(
        version_dir,
        manifest,
        passages,
        ranges,
        sentence_vectors,
        documents,
        lang_rows,
        dense,
        lexical,
        doc_rows,
        means,
        passage_vectors,
        np.array([p.lang for p in passages]),
        np.array([doc_number[p.doc_id] for p in passages], dtype=np.int64),
        json.loads((version_dir / "suggestions.json").read_text(encoding="utf-8")),
        outlines,
        np.array([doc_number[doc_id] for doc_id, _ in documents], dtype=np.int64),
        doc_ids,
        _by_language(
            np.load(version_dir / "out_of_scope.npy"),
            json.loads((version_dir / "out_of_scope_langs.json").read_text(encoding="utf-8")),
        ),
        Vocabulary(p.text for p in passages),
        sentence_index,
        sentence_start,
        heading_vectors,
        passage_heading,
    )
