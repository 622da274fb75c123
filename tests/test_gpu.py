"""CUDA-only checks (scripts/gpu_check.sh runs them on a GPU host; they skip without CUDA):
a 4-bit nf4 target decodes on the GPU, the guider pair overlapped on side CUDA streams gives
the serial run's tokens, and side-by-side decoding equals separate runs on the GPU."""
from __future__ import annotations

import pytest
import torch

from conftest import make_trio, save_trio
from thinklogit_app.core.engine import DecodeSettings, run_to_end
from thinklogit_app.core.processor import ThinkLogitProcessor
from thinklogit_app.models.loading import load_model, load_tokenizer
from thinklogit_app.core.trio import Trio

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (scripts/gpu_check.sh)")]

PROMPT = "Q:12+34\n"


def greedy(n=24, alpha=1.0):
    return DecodeSettings(alpha=alpha, schedule="constant", temperature=0.0, top_p=1.0, max_new_tokens=n,
                          repeat_limit=0)


@pytest.fixture(scope="module")
def gpu_trio():
    """The tiny random trio on the GPU in float32 (no bf16 near-ties between batched and single rows)."""
    trio = make_trio(eos_reachable=False)
    for model in (trio.target, trio.guider, trio.base):
        model.to("cuda")
    return trio


def test_a_4bit_target_decodes_on_the_gpu(tmp_path):
    import bitsandbytes as bnb

    save_trio(make_trio(eos_reachable=False), tmp_path)
    target = load_model(str(tmp_path / "target"), "4bit", "cuda")
    assert any(isinstance(m, bnb.nn.Linear4bit) for m in target.modules())
    guider, base = (load_model(str(tmp_path / role), "none", "cuda") for role in ("guider", "base"))
    trio = Trio.checked(target, guider, base, load_tokenizer(str(tmp_path / "target")))
    at_zero = run_to_end(trio, PROMPT, greedy(alpha=0.0))
    assert at_zero["guided"].ids == at_zero["baseline"].ids and len(at_zero["guided"].ids) == 24
    guided = run_to_end(trio, PROMPT, greedy(), streams=("guided",))["guided"].ids
    ids = trio.tokenizer(PROMPT, return_tensors="pt").input_ids.to("cuda")
    proc = ThinkLogitProcessor(guider, base, 1.0)
    out = target.generate(ids, max_new_tokens=24, do_sample=False, logits_processor=[proc])
    assert out[0, ids.shape[1]:].tolist() == guided


def test_overlapped_side_streams_give_the_serial_tokens(gpu_trio):
    for settings in (greedy(), DecodeSettings(alpha=1.5, schedule="warmup:4", temperature=0.8, top_p=0.9,
                                              max_new_tokens=24, seed=5, repeat_limit=0)):
        serial = run_to_end(gpu_trio, PROMPT, settings, overlap=False)
        overlapped = run_to_end(gpu_trio, PROMPT, settings, overlap=True)
        for name in ("baseline", "guided"):
            assert overlapped[name].ids == serial[name].ids


def test_side_by_side_equals_separate_runs_on_the_gpu(gpu_trio):
    settings = DecodeSettings(alpha=1.0, schedule="constant", temperature=0.8, top_p=0.95, max_new_tokens=30,
                              seed=3, repeat_limit=0)
    both = run_to_end(gpu_trio, PROMPT, settings)
    assert both["baseline"].ids == run_to_end(gpu_trio, PROMPT, settings, streams=("baseline",))["baseline"].ids
    assert both["guided"].ids == run_to_end(gpu_trio, PROMPT, settings, streams=("guided",))["guided"].ids


def test_a_synthetic_nf4_target_of_real_shape_runs():
    import bitsandbytes as bnb

    from thinklogit_app.models.synthetic import synthetic_trio

    trio = synthetic_trio("qwen2.5-0.5b", "qwen2.5-0.5b", target_quantization="4bit")
    assert any(isinstance(m, bnb.nn.Linear4bit) for m in trio.target.modules())
    streams = run_to_end(trio, "t1 t2 t3 t4", greedy(n=8))
    assert len(streams["guided"].ids) == len(streams["baseline"].ids) == 8
