from __future__ import annotations

from pathlib import Path

import pytest

from kinabot.embedcache import CachedEmbedder
from kinabot.evalsets import standard_tasks
from kinabot.evaluate import MODES, ranking_metrics, run_task

EVALDATA = Path(__file__).resolve().parent.parent.parent / "shared" / "evaldata"
SLICE = 100
TASKS = standard_tasks(EVALDATA, limit=SLICE)


def test_ranking_metrics_of_a_known_list() -> None:
    scores = ranking_metrics(["a", "x", "b"], {"b"})
    assert scores["R@1"] == 0.0 and scores["R@5"] == 1.0
    assert scores["MRR@10"] == pytest.approx(1 / 3)
    assert scores["nDCG@10"] == pytest.approx(0.5)
    assert ranking_metrics(["b"], {"b"})["nDCG@10"] == 1.0


def test_tasks_have_queries_with_relevant_passages_in_the_pool() -> None:
    for task in TASKS:
        assert len(task.queries) == SLICE
        for _, _, _, relevant in task.queries:
            assert relevant and relevant <= set(task.passages)


@pytest.fixture(scope="module")
def harness(embedder, tmp_path_factory: pytest.TempPathFactory):
    from kinabot.index import reference_means

    work = tmp_path_factory.mktemp("eval")
    return CachedEmbedder(work / "cache.sqlite", embedder), reference_means(embedder), work


@pytest.mark.slow
@pytest.mark.parametrize("task", [pytest.param(t, id=t.name) for t in TASKS])
def test_full_pipeline_is_not_below_dense_only(task, harness, embedder, settings) -> None:
    cache, reference, work = harness
    result = run_task(task, embedder, cache, settings, work, reference)
    assert set(result["scores"]) == set(MODES)
    full, dense = result["scores"]["full"]["nDCG@10"], result["scores"]["dense"]["nDCG@10"]
    assert full >= dense - 1e-9, (full, dense)
