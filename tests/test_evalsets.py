from __future__ import annotations

from kinabot.evalsets import spread


def test_a_slice_is_spread_over_the_whole_set() -> None:
    queries = [(f"q{i}", "sv", f"question {i}", {f"p{i}"}) for i in range(10)]
    assert [q[0] for q in spread(queries, 4)] == ["q0", "q2", "q5", "q7"]
    assert spread(queries, None) == queries
    assert spread(queries, 50) == queries
