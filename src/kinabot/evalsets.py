"""External evaluation sets (XQuAD, Swedish FAQ, FLORES, NTREX) as retrieval tasks.

Each task is a pool of passages in one or more languages and queries whose relevant
passages are known. They are read from ``../shared/evaldata`` (or ``KINABOT_EVALDATA``
for the CLI), never copied into the project.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

LANG_FILES = {
    "flores": {"sv": "swe_Latn.devtest", "zh": "zho_Hans.devtest", "en": "eng_Latn.devtest"},
    "ntrex": {
        "sv": "newstest2019-ref.swe.txt",
        "zh": "newstest2019-ref.zho-CN.txt",
        "en": "newstest2019-ref.eng-US.txt",
    },
}


Query = tuple[str, str, str, set[str]]  # (qid, lang, text, relevant ids)


@dataclass
class Task:
    """A retrieval task: ``passages`` (id -> (lang, text)) and queries with their relevant ids."""

    name: str
    passages: dict[str, tuple[str, str]]
    queries: list[Query] = field(default_factory=list)
    exclude: dict[str, set[str]] = field(default_factory=dict)  # qid -> passage ids not to count (the query itself)


def spread(queries: list[Query], limit: int | None) -> list[Query]:
    """``limit`` queries evenly spaced over the set (all of them when there is no limit).

    The sets run article by article: the first hundred XQuAD questions are all about one
    American football final, so a slice from the start would judge one topic.
    """
    if limit is None or limit >= len(queries):
        return queries
    step = len(queries) / limit
    return [queries[int(i * step)] for i in range(limit)]


def xquad(root: Path, query_lang: str, passage_lang: str, limit: int | None = None) -> Task:
    """XQuAD questions against the 240 paragraphs of one language."""
    data = {
        lang: json.loads((root / "xquad" / f"xquad.{lang}.json").read_text(encoding="utf-8")) for lang in ("en", "zh")
    }
    passages: dict[str, tuple[str, str]] = {}
    queries = []
    for a, article in enumerate(data[passage_lang]["data"]):
        for p, paragraph in enumerate(article["paragraphs"]):
            passages[f"p{a}-{p}"] = (passage_lang, paragraph["context"])
    for a, article in enumerate(data[query_lang]["data"]):
        for p, paragraph in enumerate(article["paragraphs"]):
            for qa in paragraph["qas"]:
                queries.append((qa["id"], query_lang, qa["question"], {f"p{a}-{p}"}))
    return Task(f"xquad {query_lang}→{passage_lang}", passages, spread(queries, limit))


def swefaq(root: Path, limit: int | None = None) -> Task:
    """Swedish FAQ: every candidate answer of every question pooled into one index."""
    passages: dict[str, tuple[str, str]] = {}
    ids: dict[str, str] = {}
    queries = []
    lines = (root / "swefaq" / "swefaq_dev.jsonl").read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(x for x in lines if x.strip()):
        row = json.loads(line)
        for answer in row["candidate_answers"]:
            key = answer.strip()
            if key not in ids:
                ids[key] = f"a{len(ids)}"
                passages[ids[key]] = ("sv", key)
        queries.append((f"q{n}", "sv", row["question"], {ids[row["candidate_answers"][row["label"]].strip()]}))
    return Task("swefaq sv→sv (pooled)", passages, spread(queries, limit))


def _lines(root: Path, name: str, lang: str) -> list[str]:
    folder = "flores200_devtest" if name == "flores" else "ntrex128"
    return (root / folder / LANG_FILES[name][lang]).read_text(encoding="utf-8").splitlines()


def flores(root: Path, query_lang: str, langs: tuple[str, ...] = ("sv", "zh"), limit: int | None = None) -> Task:
    """FLORES sentences of ``langs`` in one index; a query's own sentence is left out, its translations count."""
    lines = {lang: _lines(root, "flores", lang) for lang in langs}
    passages = {f"{lang}{i}": (lang, text) for lang in langs for i, text in enumerate(lines[lang])}
    queries = []
    exclude = {}
    for i, text in enumerate(lines[query_lang]):
        qid = f"{query_lang}{i}"
        queries.append((qid, query_lang, text, {f"{lang}{i}" for lang in langs if lang != query_lang}))
        exclude[qid] = {qid}
    name = f"flores {query_lang}→{'+'.join(langs)} (mixed)"
    queries = spread(queries, limit)
    return Task(name, passages, queries, {q[0]: exclude[q[0]] for q in queries})


def ntrex(root: Path, query_lang: str, passage_langs: tuple[str, ...], size: int = 4, limit: int | None = None) -> Task:
    """One NTREX sentence against passages of ``size`` consecutive sentences of the same article."""
    doc_ids = (root / "ntrex128" / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").splitlines()
    by_doc: dict[str, list[int]] = defaultdict(list)
    for i, doc in enumerate(doc_ids):
        by_doc[doc].append(i)
    lines = {lang: _lines(root, "ntrex", lang) for lang in {query_lang, *passage_langs}}
    passages: dict[str, tuple[str, str]] = {}
    holder: dict[tuple[str, int], str] = {}
    for doc, rows in by_doc.items():
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            for lang in passage_langs:
                pid = f"{lang}-{doc}-{start}"
                joiner = "" if lang == "zh" else " "
                passages[pid] = (lang, joiner.join(lines[lang][i] for i in chunk))
                for i in chunk:
                    holder[(lang, i)] = pid
    queries = []
    exclude: dict[str, set[str]] = {}
    others = [lang for lang in passage_langs if lang != query_lang]
    for i, text in enumerate(lines[query_lang]):
        qid = f"{query_lang}{i}"
        queries.append((qid, query_lang, text, {holder[(lang, i)] for lang in others}))
        if query_lang in passage_langs:  # the passage holding the query sentence itself does not count
            exclude[qid] = {holder[(query_lang, i)]}
    kind = "mixed" if len(passage_langs) > 1 else "one language"
    name = f"ntrex {query_lang}→{'+'.join(passage_langs)} ({kind})"
    queries = spread(queries, limit)
    return Task(name, passages, queries, {q[0]: exclude[q[0]] for q in queries if q[0] in exclude})


def standard_tasks(root: Path, limit: int | None = None) -> list[Task]:
    """The sets and directions the retrieval goals are stated for."""
    return [
        xquad(root, "en", "zh", limit),
        xquad(root, "zh", "zh", limit),
        xquad(root, "en", "en", limit),
        xquad(root, "zh", "en", limit),
        swefaq(root, limit),
        flores(root, "sv", limit=limit),
        flores(root, "zh", limit=limit),
        ntrex(root, "sv", ("zh",), limit=limit),
        ntrex(root, "zh", ("sv",), limit=limit),
        ntrex(root, "sv", ("sv", "zh"), limit=limit),
        ntrex(root, "zh", ("sv", "zh"), limit=limit),
    ]
