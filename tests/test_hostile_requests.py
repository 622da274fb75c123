"""Hostile requests over real HTTP (gradio's /gradio_api/call API, as any script could send
them) to `python app.py` serving the tiny presets: each gets its one clear message, no
model work starts, and the app keeps serving."""
from __future__ import annotations

import json

import httpx
import pytest

from app_server import serve, tiny_presets

PROMPT = "Q:12+34\n"
GENERATE = ("prompt", "preset", "alpha", "schedule", "temperature", "top_p", "max_new_tokens", "seed",
            "quantize_target", "quantize_guider", "quantize_base", "guider", "force")  # /generate's positional order
EVALUATE = ("preset", "n", "alphas")


def generate(**kw) -> list:
    values = {name: "" for name in GENERATE} | {"prompt": PROMPT, "alpha": None, "temperature": None,
                                                   "top_p": None, "max_new_tokens": 2, "seed": None} | kw
    return [values[name] for name in GENERATE]


def evaluate(**kw) -> list:
    values = {"preset": "", "n": 1, "alphas": "1"} | kw
    return [values[name] for name in EVALUATE]


HOSTILE = [  # (endpoint, data, what the answer says)
    ("generate", generate(prompt=""), "The prompt is empty"),
    ("generate", generate(prompt=" \n "), "The prompt is empty"),
    ("generate", generate(prompt=None), "The prompt is empty"),
    ("generate", generate(prompt=["x"]), "The prompt must be text, got list ['x']"),
    ("generate", generate(prompt={"a": 1}), "The prompt must be text, got dict"),
    ("generate", generate(prompt=42), "The prompt must be text, got int 42"),
    ("generate", generate(prompt="Q:\ud800\n"), "not valid text (U+D800, a lone surrogate, at position 2)"),
    ("generate", generate(prompt="Q" * 8001), "The prompt has 8001 characters; the limit is 8000"),
    ("generate", generate(alpha=5), "alpha must be between 0 and 3, got 5"),
    ("generate", generate(alpha=-1), "alpha must be between 0 and 3, got -1"),
    ("generate", generate(alpha=float("nan")), "alpha must be a finite number, got nan"),
    ("generate", generate(alpha="Infinity"), "alpha must be a finite number, got 'Infinity'"),
    ("generate", generate(alpha=True), "alpha must be a number, got bool True"),
    ("generate", generate(alpha=[1]), "alpha must be a number, got list [1]"),
    ("generate", generate(alpha={"x": 1}), "alpha must be a number, got dict"),
    ("generate", generate(alpha="lots"), "alpha must be a number, got 'lots'"),
    ("generate", generate(temperature=-0.1), "temperature (0 = greedy) must be between 0 and 2, got -0.1"),
    ("generate", generate(temperature=float("inf")), "temperature must be a finite number, got inf"),
    ("generate", generate(top_p=0), "top-p must be above 0 and at most 1, got 0"),
    ("generate", generate(top_p=1.5), "top-p must be above 0 and at most 1, got 1.5"),
    ("generate", generate(top_p="x"), "top-p must be a number, got 'x'"),
    ("generate", generate(max_new_tokens=0), "max new tokens must be between 1 and 8192, got 0"),
    ("generate", generate(max_new_tokens=9000), "max new tokens must be between 1 and 8192, got 9000"),
    ("generate", generate(max_new_tokens=2.5), "max new tokens must be a whole number, got 2.5"),
    ("generate", generate(max_new_tokens=10**30), "max new tokens must be between 1 and 8192, got a 31-digit"),
    ("generate", generate(max_new_tokens=[]), "max new tokens must be a number, got list []"),
    ("generate", generate(seed=-1), "seed must be between 0 and 4294967295, got -1"),
    ("generate", generate(seed=10**30), "seed must be between 0 and 4294967295, got a 31-digit number"),
    ("generate", generate(seed=1.5), "seed must be a whole number, got 1.5"),
    ("generate", generate(seed="abc"), "seed must be a number, got 'abc'"),
    ("generate", generate(seed={"s": 1}), "seed must be a number, got dict"),
    ("generate", generate(schedule="cosine"), "schedule must be one of constant, warmup, ramp, first, got 'cosine'"),
    ("generate", generate(schedule="warmup:0"), "schedule length N must be at least 1"),
    ("generate", generate(schedule="warmup:x"), "schedule length N must be a number, got 'x'"),
    ("generate", generate(schedule=["constant"]), "schedule must be text, got list"),
    ("generate", generate(schedule=5), "schedule must be text, got int 5"),
    ("generate", generate(preset="nope"), "unknown preset 'nope': choose one of tiny-random"),
    ("generate", generate(preset="../../etc/passwd"), "unknown preset '../../etc/passwd'"),
    ("generate", generate(preset=["tiny-random"]), "preset must be text, got list"),
    ("generate", generate(preset="gpu-only"), "needs a CUDA GPU"),
    ("generate", generate(guider="nope"), "has no guider 'nope': choose one of default, thinklogit-b"),
    ("generate", generate(guider="/etc"), "has no guider '/etc'"),
    ("generate", generate(guider=["a"]), "guider must be text, got list ['a']"),
    ("generate", generate(guider={"a": 1}), "guider must be text, got dict"),
    ("generate", generate(quantize_target="2bit"), "quantization of the target must be one of none, 8bit, 4bit"),
    ("generate", generate(quantize_guider=["4bit"]), "quantization of the guider must be text, got list"),
    ("generate", generate(quantize_base=4), "quantization of the base must be text, got int 4"),
    ("generate", generate(force=["0:1"]), "forced tokens must be text, got list"),
    ("generate", generate(force="0:x"), "forced token id must be a number, got 'x'"),
    ("generate", generate(force="-1:3"), "a forced token is STEP:ID with both >= 0, got -1:3"),
    ("generate", generate(force="0:99999"), "the forced token id 99999 is not one of the 20 ids"),
    ("generate", [PROMPT], f"didn't receive enough input values (needed: {len(GENERATE)}, got: 1)"),
    ("evaluate", evaluate(n=0), "number of problems must be between 1 and 500, got 0"),
    ("evaluate", evaluate(n=501), "number of problems must be between 1 and 500, got 501"),
    ("evaluate", evaluate(n=10**30), "number of problems must be between 1 and 500, got a 31-digit number"),
    ("evaluate", evaluate(n="x"), "number of problems must be a number, got 'x'"),
    ("evaluate", evaluate(n=True), "number of problems must be a number, got bool True"),
    ("evaluate", evaluate(alphas=",".join(f"{i / 1000:g}" for i in range(1000))),
     "alphas to sweep: at most 8 on this server, got 1000"),
    ("evaluate", evaluate(alphas=" , "), "alphas to sweep: list at least one"),
    ("evaluate", evaluate(alphas="0.5, x"), "each alpha of the sweep must be a number, got 'x'"),
    ("evaluate", evaluate(alphas="4"), "each alpha of the sweep must be between 0 and 3, got 4"),
    ("evaluate", evaluate(alphas=[0.5, 1]), "alphas to sweep must be text, got list [0.5, 1]"),
    ("evaluate", evaluate(n=500, alphas="0.5, 1, 1.5, 2"), "this server's limit is 3000 problems x decodings"),
    ("evaluate", evaluate(preset={"a": 1}), "preset must be text, got dict"),
    ("evaluate", evaluate(preset="gpu-only"), "needs a CUDA GPU"),
    ("alphas", ["Q:1+2\n", "0, 9", "", "", None, None, 2, None, ""], "each alpha of the sweep must be between 0 and 3"),
    ("alphas", [["x"], "", "", "", None, None, 2, None, ""], "The prompt must be text, got list"),
]


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    with serve(tiny_presets(folder / "presets"), folder / "app.log", extra_env={"OMP_NUM_THREADS": "1"}) as url:
        yield url


def call(url: str, endpoint: str, data) -> tuple[str, dict]:
    """POST the values as raw JSON (NaN, Infinity and lone surrogates included, as a script
    could send them), then read the event stream: (last event, its data)."""
    body = json.dumps({"data": data})  # ensure_ascii: a lone surrogate travels as \ud800
    with httpx.Client(base_url=url, timeout=60) as http:
        posted = http.post(f"/gradio_api/call/{endpoint}", content=body, headers={"content-type": "application/json"})
        posted.raise_for_status()
        stream = http.get(f"/gradio_api/call/{endpoint}/{posted.json()['event_id']}").text
    events = [block for block in stream.strip().split("\n\n") if block.startswith("event:")]
    kind, _, data_line = events[-1].partition("\n")
    return kind.removeprefix("event: "), json.loads(data_line.removeprefix("data: "))


def test_the_table_is_long_enough():
    assert len(HOSTILE) >= 40


@pytest.mark.parametrize("endpoint, data, message", HOSTILE, ids=[f"{i:02d}-{e}" for i, (e, _, _) in enumerate(HOSTILE)])
def test_a_hostile_request_gets_its_message(url, endpoint, data, message):
    kind, answer = call(url, endpoint, data)
    assert kind == "error", answer
    assert message in (answer.get("error") or ""), answer


def test_a_body_that_is_not_a_list_is_refused_by_the_server(url):
    answer = httpx.post(f"{url}/gradio_api/call/generate", json={"data": "Q"}, timeout=30)
    assert answer.status_code == 422 and "Input should be a valid list" in answer.text


def test_the_app_still_serves_after_the_table(url):
    kind, answer = call(url, "generate", generate(max_new_tokens=3))
    assert kind == "complete", answer
    final = answer[-1]
    assert final["done"] and len(final["guided"]["ids"]) == 3
