"""What a ThinkLogit answer costs beside the target alone, from one side-by-side run.

`run_cost` reads the streams' own numbers (the engine's `generate --json` stream dicts):
tokens per answer, the seconds of the forward passes each answer needed, the latency per
decoded token (the prompt's prefill apart, so a 7-token answer is not judged by its
prompt), and the bytes of weights of the target vs the guider pair it adds.

The latency ratio compares a guided token with the target's own pass ON THE SAME STEPS
(the guided stream's forward seconds over their target part), so it does not depend on
how long each answer is, nor on the few slow first steps a short answer is made of.

    >>> cost = run_cost({"ids": [1, 2], "forward_seconds": 0.3, "prefill_seconds": 0.1},
    ...                 {"ids": [1, 2, 3], "forward_seconds": 0.9, "prefill_seconds": 0.3, "guider_seconds": 0.3},
    ...                 {"target": 100, "guider": 10, "base": 10})
    >>> cost["latency_ratio"], cost["memory_bytes"]["guider_pair"]
    (1.5, 20)
"""
from __future__ import annotations

def model_bytes(trio) -> dict[str, int]:
    """Bytes of weights of each loaded model of a trio (transformers' own footprint)."""
    return {role: int(getattr(trio, role).get_memory_footprint()) for role in ("target", "guider", "base")}


def seconds_per_token(stream: dict) -> float | None:
    """Forward seconds per decoded token after the first (the first comes from the prefill);
    None for an answer of fewer than 2 tokens or a record without timings."""
    count = len(stream.get("ids", []))
    if count < 2 or "forward_seconds" not in stream:
        return None
    return (stream["forward_seconds"] - stream.get("prefill_seconds", 0.0)) / (count - 1)


def run_cost(baseline: dict, guided: dict, memory: dict[str, int] | None = None) -> dict:
    """The `cost` block of a finished run: tokens, seconds and per-token latency per stream,
    guided ÷ target-alone latency per token (same steps), and the memory of the target vs the guider pair."""
    streams = {"baseline": baseline, "guided": guided}
    per_token = {name: seconds_per_token(s) for name, s in streams.items()}
    target_part = guided.get("forward_seconds", 0.0) - guided.get("guider_seconds", 0.0)
    ratio = guided["forward_seconds"] / target_part if "guider_seconds" in guided and target_part > 0 else None
    cost = {
        "tokens": {name: len(s.get("ids", [])) for name, s in streams.items()},
        "seconds": {name: _round(s.get("forward_seconds")) for name, s in streams.items()},
        "seconds_per_token": {name: _round(v) for name, v in per_token.items()},
        "latency_ratio": None if ratio is None else round(ratio, 3),
        "measured": ("forward passes of this run, each stream charged the passes it needed; latency_ratio: the "
                     "guided stream's passes over their target part, on the same steps"),
    }
    if memory:
        cost["memory_bytes"] = {"target": memory["target"], "guider_pair": memory["guider"] + memory["base"],
                                "guider": memory["guider"], "base": memory["base"]}
    return cost


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
