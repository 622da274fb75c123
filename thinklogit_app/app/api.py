"""The named API endpoints (gradio_client): /generate (streaming JSON), /alphas (one prompt at
a grid of alphas, JSON), /evaluate (streaming progress, then JSON), /stop (stops what this
client runs), /presets (JSON list), /status (jobs, workers, loaded trios). Typed signatures:
Gradio builds the API page from them."""
from __future__ import annotations

import gradio as gr

from ..models.hub import can_load
from ..evaluation.evaluate import DEFAULT_SWEEP
from . import showcase
from .events import MODEL_POOL, USER_ERRORS, gpu, session_of, user_error
from .handlers import Studio, quantization_of


def register(studio: Studio, concurrency: int) -> None:
    """Add the endpoints to the Blocks being built."""

    @gpu
    def generate(prompt: str, preset: str = "", alpha: float | None = None, schedule: str = "",
                 temperature: float | None = None, top_p: float | None = None, max_new_tokens: int | None = None,
                 seed: int | None = None, quantize_target: str = "", quantize_guider: str = "",
                 quantize_base: str = "", guider: str = "", force: str = "", request: gr.Request = None) -> dict:
        """Decode `prompt` as the target alone and as target + ThinkLogit. Streams
        {"done": false, "step", "baseline", "guided"} dicts, then the full run (the CLI's
        `generate --json` shape, guided trace included) with "done": true. Unset settings
        take the preset's defaults; schedule is constant, warmup:N, ramp:N or first:N (alpha
        for N tokens, then 0); guider is "" (the preset's) or one of its variants, e.g.
        "thinklogit-dpo"; force is "STEP:ID[,STEP:ID]": the guided stream writes token ID at
        STEP (a counterfactual), then decodes on."""
        settings = {"alpha": alpha, "schedule": schedule, "temperature": temperature, "top_p": top_p,
                    "max_new_tokens": max_new_tokens, "seed": seed, "force": force}
        try:
            yield from studio.generate_json(session_of(request, "api"), preset or None, prompt, settings,
                                            quantization_of(quantize_target, quantize_guider, quantize_base),
                                            guider=guider or None)
        except USER_ERRORS as err:
            raise user_error(err) from None

    @gpu
    def evaluate(preset: str = "", n: int = 50, alphas: str = DEFAULT_SWEEP, request: gr.Request = None) -> dict:
        """Greedy pass@1 on `n` held-out problems of the preset. Streams {"done": false,
        "decoded", "total"} about twice a second, then the result with "done": true (the CLI's
        `eval --json` shape, with "ci95": {column: [low, high]}, Wilson 95%). At most 8 alphas
        and 3000 problems x decodings; /stop, a new
        /evaluate of this client, or the client going away stops it."""
        try:
            yield from studio.evaluate_stream(session_of(request, "api"), preset or None, n, alphas)
        except USER_ERRORS as err:
            raise user_error(err) from None

    @gpu
    def alphas(prompt: str, alphas: str = "", preset: str = "", schedule: str = "",
               temperature: float | None = None, top_p: float | None = None, max_new_tokens: int | None = None,
               seed: int | None = None, guider: str = "", request: gr.Request = None) -> dict:
        """Decode `prompt` at a grid of alpha values (comma-separated; "" = 0 to 3 by 0.25) as
        ONE batched decode. {"preset", "prompt", "settings", "reference", "seconds", "alphas":
        [per alpha: alpha, ids, text, stop_reason, answer, correct, flips, tokens, changes]};
        unset settings take the preset's defaults (its alpha is replaced by the grid)."""
        settings = {"schedule": schedule, "temperature": temperature, "top_p": top_p,
                    "max_new_tokens": max_new_tokens, "seed": seed}
        try:
            return studio.alpha_grid(preset or None, None, prompt, settings, alphas, guider or None,
                                     session_of(request, "api"))
        except USER_ERRORS as err:
            raise user_error(err) from None

    def stop_run(request: gr.Request = None) -> bool:
        """Stop whatever this client runs (/generate, /evaluate, /alphas); true when something ran."""
        return studio.stop(session_of(request, "api"))

    def server_status() -> dict:
        """Live jobs and worker threads, and the loaded trios with their running visitors."""
        return studio.server_status()

    def list_presets() -> list:
        """The presets, each with whether it can load on this server and why."""
        return [{"name": p.name, "default": p.default, "description": p.description,
                 "loadable": ok, "status": why} for p in studio.manager.presets for ok, why in [can_load(p)]]

    # one pool for all model work: an evaluation takes a slot like a generation (never a third thread)
    gr.api(generate, api_name="generate", concurrency_id=MODEL_POOL, concurrency_limit=concurrency)
    gr.api(evaluate, api_name="evaluate", concurrency_id=MODEL_POOL, concurrency_limit=concurrency)
    gr.api(alphas, api_name="alphas", concurrency_id=MODEL_POOL, concurrency_limit=concurrency)
    # instant and never refused by a full queue over POST /gradio_api/run/NAME (gradio_client queues every call)
    gr.api(stop_run, api_name="stop", concurrency_limit=None, queue=False)
    gr.api(list_presets, api_name="presets", concurrency_limit=None, queue=False)
    gr.api(server_status, api_name="status", concurrency_limit=None, queue=False)
    replay, replays = showcase.replay_api(studio)
    gr.api(replay, api_name="replay", concurrency_limit=None)
    gr.api(replays, api_name="replays", concurrency_limit=None)
