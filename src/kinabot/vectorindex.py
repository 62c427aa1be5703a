"""Vector indexes: exact search below a size, an inverted-file (IVF) index above it.

Exact search reads every vector for every question, about 50 ns each on one core: 10,000
vectors take half a millisecond, but the 450,000 sentence vectors of a 100,000-passage index
take 20 ms, more than encoding the question. An IVF index groups the vectors into clusters around
k-means centroids at build time and, per question, reads only the vectors of the
``nprobe`` clusters whose centroids are nearest, a few thousand vectors instead of all.

IVF rather than an HNSW graph, by measurement on clustered vectors (see
``benchmarks/bench_ann.py``): at the same recall it builds several times faster on two
cores, and it keeps its recall when many vectors are identical (the same sentence on many
pages), where an HNSW graph loses its way among the duplicates.

The IVF index keeps its vectors as 16-bit floats: half the memory to read per probe, so a
search takes about two thirds of the time (0.43 → 0.29 ms for 150,000 vectors at nprobe 64),
and the rounding (about 1e-3 of each coordinate) leaves the same neighbours found. Final
scores are not affected: they come from the exact 32-bit sentence vectors.
"""

from __future__ import annotations

import math

import faiss
import numpy as np

# Vectors per cluster: about 4 * sqrt(n) clusters. Fewer, larger clusters make each probe
# cost more; more, smaller ones make training slower and recall per probe lower.
CLUSTERS_PER_SQRT = 4
# k-means sees this many vectors per centroid at most (faiss asks for at least 39): enough
# for stable centroids, and it bounds training time at a million vectors.
TRAIN_PER_CLUSTER = 40
TRAIN_ITERATIONS = 10
# How an IVF index stores its vectors (faiss's index_factory name).
STORAGE = "SQfp16"


def clusters_for(n: int) -> int:
    """The number of IVF clusters for ``n`` vectors."""
    return max(1, min(round(CLUSTERS_PER_SQRT * math.sqrt(n)), n // 39))


def build(vectors: np.ndarray, min_vectors: int, seed: int = 1234) -> faiss.Index:
    """An inner-product index over ``vectors``: exact below ``min_vectors`` rows, IVF from there on."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    if n < min_vectors:
        flat = faiss.IndexFlatIP(dim)
        flat.add(vectors)
        return flat
    nlist = clusters_for(n)
    index = faiss.index_factory(dim, f"IVF{nlist},{STORAGE}", faiss.METRIC_INNER_PRODUCT)
    ivf = faiss.extract_index_ivf(index)
    ivf.cp.niter = TRAIN_ITERATIONS
    ivf.cp.seed = seed
    ivf.cp.max_points_per_centroid = TRAIN_PER_CLUSTER  # faiss samples that many itself
    index.train(vectors)
    index.add(vectors)
    return index


def is_approximate(index: faiss.Index) -> bool:
    return not isinstance(index, faiss.IndexFlat)


def describe(index: faiss.Index) -> str:
    """A short name for the manifest: ``Flat``, or ``IVF<clusters>,SQfp16`` in faiss's factory terms."""
    if not is_approximate(index):
        return "Flat"
    storage = "SQfp16" if isinstance(faiss.downcast_index(index), faiss.IndexIVFScalarQuantizer) else "Flat"
    return f"IVF{faiss.extract_index_ivf(index).nlist},{storage}"


def search(index: faiss.Index, queries: np.ndarray, k: int, nprobe: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores and ids of the best ``k`` vectors for each query row; ids are -1 where fewer were found.

    On one thread: a question's search is a fraction of a millisecond, too short to share,
    and faiss's OpenMP team, once woken, spins on the other core while the model encodes
    the next question (measured in the service at 100,000 passages: encode 12.9 ms with
    the team, 10.8 ms without). The calling thread's setting is put back afterwards, so
    that builds still train on every core.
    """
    queries = np.ascontiguousarray(queries.reshape(-1, index.d), dtype=np.float32)
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        if is_approximate(index):
            params = faiss.SearchParametersIVF()
            params.nprobe = nprobe
            return index.search(queries, k, params=params)
        return index.search(queries, k)
    finally:
        faiss.omp_set_num_threads(threads)
