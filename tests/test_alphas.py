"""The alpha grid decoded as one batch equals a separate guided run at each alpha."""
from __future__ import annotations

import pytest

from thinklogit_app.core.alphas import DEFAULT_ALPHAS, decode_alphas
from thinklogit_app.core.engine import DecodeSettings, run_to_end
from thinklogit_app.core.trace import flips

PROMPT = "Q:12+34+56+78\n"



def settings(**kw) -> DecodeSettings:
    return DecodeSettings(**{"alpha": 1.0, "schedule": "constant", "temperature": 0.0, "max_new_tokens": 16,
                             "repeat_limit": 0} | kw)


def separate(trio, alpha, **kw):
    return run_to_end(trio, PROMPT, settings(alpha=alpha, **kw), streams=("guided",))["guided"]


def test_default_grid_is_0_to_3_by_a_quarter():
    assert DEFAULT_ALPHAS == (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 2.75, 3.0)


def test_greedy_rows_equal_separate_runs_at_each_alpha(padded_trio):
    rows = decode_alphas(padded_trio, PROMPT, DEFAULT_ALPHAS, settings())
    assert len({tuple(r.ids) for r in rows}) > 1, "the grid should change the text somewhere"
    for row in rows:
        run = separate(padded_trio, row.alpha)
        assert row.ids == run.ids, f"alpha {row.alpha}"
        assert row.stop_reason == run.stop_reason
        assert row.flips == flips(run.records)
        assert row.changes == pytest.approx([r.guided_prob - r.target_prob for r in run.records], abs=1e-5)


def test_rows_that_stop_early_leave_the_others_going(trio):
    rows = decode_alphas(trio, PROMPT, (0.0, 1.0, 3.0), settings(max_new_tokens=40, repeat_limit=10))
    for row in rows:
        assert row.ids == separate(trio, row.alpha, max_new_tokens=40, repeat_limit=10).ids


def test_sampled_rows_equal_separate_sampled_runs(endless_trio):
    kw = {"temperature": 1.0, "top_p": 0.9, "seed": 3, "schedule": "warmup:2"}
    rows = decode_alphas(endless_trio, PROMPT, (0.5, 2.0), settings(**kw))
    for row in rows:
        assert row.ids == separate(endless_trio, row.alpha, **kw).ids
