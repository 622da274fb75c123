"""The benchmark runs all variants on the same models and reports consistent ratios
(speed itself is measured by `python -m thinklogit_app bench`, never asserted here)."""
from conftest import make_trio
from thinklogit_app.evaluation.speed import format_table, run_bench
from thinklogit_app.models.synthetic import numbered_tokenizer


def test_bench_reports_every_variant_and_ratio():
    result = run_bench(make_trio(), max_new_tokens=4, repeats=1)
    ms = result["ms_per_token"]
    assert {"generate", "guided", "side_by_side", "guided_untraced", "floor", "floor_interleaved"} <= set(ms)
    assert all(v > 0 for v in ms.values())
    assert abs(ms["floor"] - sum(result["floor_parts_ms"].values())) < 0.01
    assert abs(result["ratios"]["guided/floor"] - ms["guided"] / ms["floor"]) < 0.01
    assert "guided/floor" in format_table(result)


def test_numbered_tokenizer_decodes_every_id():
    tok = numbered_tokenizer(1000)
    assert tok("t5 t999").input_ids == [5, 999]
    assert tok.decode([7]) == "t7"
