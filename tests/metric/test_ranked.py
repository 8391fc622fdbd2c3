"""Ranking relationships (strongest first, ties broken by name) compares names only among ties;
it must order rows exactly as ranking every name did (`reference_ranked`, the previous
implementation, kept verbatim)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from hypothesis import given
from hypothesis import strategies as st

from rapport.metric.relationships import ranked as _ranked


def reference_ranked(
    strengths: npt.NDArray[np.float64], names: list[str], live: npt.NDArray[np.bool_]
) -> npt.NDArray[np.int64]:
    """`_ranked` before it compared names among ties only."""
    rows = np.flatnonzero(live)
    if len(rows) == 0:
        return rows.astype(np.int64)
    rank_by_name = np.empty(len(names), dtype=np.int64)
    rank_by_name[np.argsort(np.array(names, dtype=object), kind="stable")] = np.arange(len(names))
    order = np.lexsort((rank_by_name[rows], -strengths[rows]))
    return rows[order].astype(np.int64)


# Few distinct strengths, so that ties are common; NaN and both zeros included.
strength_values = st.sampled_from([0.0, -0.0, 0.25, 0.5, 0.9, 1e-300, float("nan")]) | st.floats(
    min_value=0, max_value=1
)


@given(rows=st.lists(st.tuples(strength_values, st.text(max_size=4), st.booleans()), max_size=40))
def test_ranking_equals_ranking_every_name(rows: list[tuple[float, str, bool]]) -> None:
    strengths = np.array([r[0] for r in rows], dtype=np.float64)
    names = [r[1] for r in rows]  # duplicates included: equal names keep row order
    live = np.array([r[2] for r in rows], dtype=np.bool_)
    got = _ranked(strengths, names, live)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, reference_ranked(strengths, names, live))


def test_large_tie_free_and_all_tied_rankings_equal_the_reference() -> None:
    rng = np.random.default_rng(3)
    names = [f"peer{i}" for i in rng.permutation(5_000)]
    live = rng.random(5_000) < 0.9
    for strengths in (rng.random(5_000), np.repeat(rng.random(100), 50)):
        np.testing.assert_array_equal(
            _ranked(strengths, names, live), reference_ranked(strengths, names, live)
        )
