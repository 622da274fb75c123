#!/usr/bin/env bash
# The paper's setting on a GPU host, as is, in under 8 minutes:
#   1. the memory each hub preset needs (estimate from the configs' shapes),
#   2. the CUDA-only tests (pytest -m cuda: nf4 target on the GPU, side-stream overlap == serial,
#      side by side == separate runs),
#   3. bench --synthetic at the paper's real shapes: Qwen2.5-32B nf4 target + two bf16 1.5B
#      models, and Qwen2.5-7B + 1.5B: ms/token of guided vs target-alone generate, peak GPU
#      memory, ratios. Random weights: nothing is downloaded.
# Without CUDA it says so and exits 0.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-4}"

if ! "$PY" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  echo "gpu_check: no CUDA GPU on this machine: nothing to run (the CUDA tests skip here). Run it on a GPU host."
  exit 0
fi
status=0
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,memory.free --format=csv

echo "== 1. weights memory per hub preset (estimate from configs; KV cache and activations on top)"
timeout 60 "$PY" - <<'PY' || status=1
from thinklogit_app.models.loading import estimate_bytes, gib
from thinklogit_app.models.presets import read_presets
from thinklogit_app.models.synthetic import shape_config

targets = {"Qwen/Qwen2.5-7B-Instruct": "qwen2.5-7b", "Qwen/Qwen2.5-32B": "qwen2.5-32b"}
for preset in read_presets():
    if preset.target not in targets:
        continue
    configs = {"target": shape_config(targets[preset.target]), "guider": shape_config("qwen2.5-1.5b"),
               "base": shape_config("qwen2.5-1.5b", tie_word_embeddings=True)}
    est = estimate_bytes(preset, device="cuda", configs=configs)
    print(f"{preset.name}: " + ", ".join(f"{k} {gib(v)}" for k, v in est.items()))
PY

echo "== 2. CUDA-only tests"
timeout 180 "$PY" -m pytest -q -m cuda tests/test_gpu.py || status=1

echo "== 3. bench --synthetic at the paper's shapes (32 new tokens, median of 3 rounds)"
timeout 150 "$PY" -m thinklogit_app bench --synthetic qwen2.5-32b:qwen2.5-1.5b --target-quantization 4bit \
  --max-new-tokens 32 --repeats 3 || status=1
timeout 90 "$PY" -m thinklogit_app bench --synthetic qwen2.5-7b:qwen2.5-1.5b \
  --max-new-tokens 32 --repeats 3 || status=1
echo "gpu_check: done (exit $status)"
exit $status
