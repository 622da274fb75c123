"""Side-by-side decoding: the target alone (baseline) and the target under ThinkLogit
(guided), KV-cached, step by step, with a per-token trace of the guided stream.

One step = one batched target forward for both streams (they always have equal
length), plus one guider and one base forward for the guided stream, optionally
overlapped with the target pass (threads, and CUDA streams on a GPU).
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Iterator

import torch
from transformers import DynamicCache

from .cancel import reason_of
from .arithmetic import AlphaSchedule, common_vocab, steering_delta
from .forward import keep_rows, next_logits
from .sampling import choose_next, make_warpers, validate_sampling
from .trace import BaselineToken, StepTrace, TokenTexts, hidden_ids, trace_numbers, unpack_trace

STREAMS = ("baseline", "guided")


@dataclass
class DecodeSettings:
    """How to decode. Defaults are the paper's (alpha 1 after a 100-token warm-up,
    temperature 0.6, top-p 0.95); presets override them (the tiny trio decodes greedily)."""

    alpha: float = 1.0
    schedule: str = "warmup:100"
    temperature: float = 0.6
    top_p: float = 0.95
    max_new_tokens: int = 512
    seed: int = 0
    repeat_limit: int = 10  # stop after this many identical tokens in a row; 0 = never
    trace: bool = True
    top_k: int = 5  # entries per top-k table in the trace
    ignore_eos: bool = False  # benchmarks: always decode max_new_tokens
    force: dict[int, int] = field(default_factory=dict)  # guided stream: step -> token id written there


    def validate(self) -> None:
        self.alpha_schedule()
        validate_sampling(self.temperature, self.top_p)
        if not isinstance(self.max_new_tokens, int) or self.max_new_tokens < 1:
            raise ValueError(f"max new tokens must be a positive integer, got {self.max_new_tokens!r}")
        if self.repeat_limit < 0 or self.top_k < 1:
            raise ValueError("repeat limit must be >= 0 and top-k >= 1")
        for step, token in self.force.items():
            if int(step) < 0 or int(token) < 0:
                raise ValueError(f"a forced token needs a step >= 0 and a token id >= 0, got step {step} id {token}")

    def alpha_schedule(self) -> AlphaSchedule:
        return AlphaSchedule.parse(self.schedule, self.alpha)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class StreamState:
    """What one stream has produced so far."""

    name: str
    tokenizer: object = field(repr=False)
    ids: list[int] = field(default_factory=list)
    records: list = field(default_factory=list)  # BaselineToken or StepTrace per token (when tracing)
    stop_reason: str | None = None
    started: float = field(default_factory=time.perf_counter)
    finished: float | None = None
    # Seconds of the forward passes this stream needed (the target's, plus the guider's and the
    # base's for the guided stream; a batched target pass counts in full for each row), and of
    # those the prompt's prefill: what a token of this stream costs, apart from the other stream.
    forward_seconds: float = 0.0
    prefill_seconds: float = 0.0
    guider_seconds: float = 0.0  # of forward_seconds, what the guider pair added (guided stream only)

    @property
    def done(self) -> bool:
        return self.stop_reason is not None

    @property
    def text(self) -> str:
        return self.tokenizer.decode(self.ids, skip_special_tokens=True)

    @property
    def tokens_per_second(self) -> float:
        elapsed = (self.finished or time.perf_counter()) - self.started
        return len(self.ids) / elapsed if elapsed > 0 else 0.0

    def to_dict(self) -> dict:
        out = {"ids": list(self.ids), "text": self.text, "stop_reason": self.stop_reason,
               "tokens_per_second": round(self.tokens_per_second, 2),
               "forward_seconds": round(self.forward_seconds, 6), "prefill_seconds": round(self.prefill_seconds, 6),
               "guider_seconds": round(self.guider_seconds, 6)}
        key = "trace" if self.name == "guided" else "tokens"
        out[key] = [r.to_dict() for r in self.records]
        return out


@dataclass
class DecodeStep:
    """Yielded once per decoding step: the tokens this step added (None for a stream
    that is finished or not run) and both streams' accumulated state."""

    step: int
    baseline_token: BaselineToken | None
    guided_token: StepTrace | None
    baseline: StreamState | None
    guided: StreamState | None


class _Forward:
    """One cached next-token forward per model; guider and base can run on worker threads."""

    def __init__(self, overlap: bool, timed: bool = True):
        self.overlap, self.timed = overlap, timed
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="thinklogit") if overlap else None
        self.streams: dict[int, object] = {}
        self.last = (0.0, 0.0)  # seconds of the last run(): the target pass, what the side passes added

    def _wait(self, model) -> None:
        """On a GPU, wait for the model's queued kernels so the clock measures them (timed runs only)."""
        if self.timed and model.device.type == "cuda":
            torch.cuda.current_stream(model.device).synchronize()

    logits = staticmethod(next_logits)

    def _on_side_stream(self, model, ids, cache):
        device = model.device
        with torch.inference_mode():  # grad mode is per thread: the worker needs its own
            if device.type != "cuda":
                return self.logits(model, ids, cache)
            stream = self.streams.setdefault(id(model), torch.cuda.Stream(device=device))
            stream.wait_stream(torch.cuda.current_stream(device))
            with torch.cuda.stream(stream):
                result = self.logits(model, ids, cache)
        torch.cuda.current_stream(device).wait_stream(stream)
        return result

    def run(self, target_job, side_jobs):
        """(target logits, [side logits...]); side jobs overlap the target pass when enabled.
        Sets `last`: seconds of the target pass, and what the side passes added after it."""
        started = time.perf_counter()
        if not self.overlap or not side_jobs:
            target_logits = self.logits(*target_job)
            self._wait(target_job[0])
            middle = time.perf_counter()
            side = [self.logits(*job) for job in side_jobs]
        else:
            futures = [self.pool.submit(self._on_side_stream, *job) for job in side_jobs]
            target_logits = self.logits(*target_job)
            self._wait(target_job[0])
            middle = time.perf_counter()
            side = [f.result() for f in futures]
        for job in side_jobs:
            self._wait(job[0])
        self.last = (middle - started, time.perf_counter() - middle)
        return target_logits, side

    def close(self):
        if self.pool is not None:
            self.pool.shutdown(wait=True)


def default_overlap(trio) -> bool:
    """Overlap the guider pair with the target on a GPU; on a CPU the cores are already
    shared by the target's own threads, and measured overlap does not pay (see bench)."""
    return trio.target.device.type == "cuda"


def _stop_reason(ids: list[int], eos_ids: set[int], settings: DecodeSettings) -> str | None:
    if ids[-1] in eos_ids:
        return "eos"
    limit = settings.repeat_limit
    if limit and len(ids) >= limit and len(set(ids[-limit:])) == 1:
        return "repetition"
    if len(ids) >= settings.max_new_tokens:
        return "max_new_tokens"
    return None


def encode_prompt(trio, prompt: str, max_new_tokens: int) -> torch.Tensor:
    """The prompt as a (1, length) id tensor; a clear error when it is empty or too long."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError("the prompt is empty: type a question")
    ids = trio.tokenizer(prompt, return_tensors="pt").input_ids
    check_positions(trio, ids.shape[1], max_new_tokens)
    return ids


def _charge(state: dict, live, seconds: tuple[float, float], prefill: bool = False) -> None:
    """Add a forward's seconds to the streams it served: the target pass to each, the guider
    pair's to the guided stream."""
    target, side = seconds
    for name in live:
        added = side if name == "guided" else 0.0
        cost = target + added
        state[name].forward_seconds += cost
        state[name].guider_seconds += added
        if prefill:
            state[name].prefill_seconds += cost


def check_positions(trio, prompt_tokens: int, max_new_tokens: int) -> None:
    """Prompt + new tokens must fit the smallest context of the three models."""
    limit, role = trio.position_limit
    if limit is not None and prompt_tokens + max_new_tokens > limit:
        raise ValueError(
            f"the prompt has {prompt_tokens} tokens and {max_new_tokens} new tokens were asked for, "
            f"but {trio.describe(role)} holds {limit} positions: shorten the prompt or lower max new tokens "
            f"to at most {max(limit - prompt_tokens, 0)}"
        )


def _mark_cancelled(cancel, live, state) -> None:
    for name in live:
        st = state[name]
        if cancel is not None and cancel.is_set() and not st.done:
            st.stop_reason = reason_of(cancel)  # "cancelled", or "superseded" by the visitor's next run
        if st.done and st.finished is None:
            st.finished = time.perf_counter()


class _Picker:
    """Chooses each stream's next token from its logits and writes its trace record: the
    baseline from the target's row, the guided stream from target + alpha * (guider - base)
    (or a forced token, for counterfactuals). One seeded generator per stream, same seed, so
    at alpha 0 both sample alike."""

    def __init__(self, trio, settings: DecodeSettings, prompt_ids: torch.Tensor, streams):
        self.trio, self.settings, self.prompt_ids = trio, settings, prompt_ids
        self.schedule = settings.alpha_schedule()
        self.forced = {int(k): int(v) for k, v in settings.force.items()}
        self.warpers = make_warpers(settings.temperature, settings.top_p)
        self.texts = TokenTexts(trio.tokenizer)
        self.device = trio.target.device
        self.generators = {s: torch.Generator(device=self.device).manual_seed(settings.seed) for s in streams}
        self.width = None  # vocabulary rows the three models share, known at the first guided step
        self.hidden = None

    def _choose(self, logits: torch.Tensor, name: str) -> torch.Tensor:
        return choose_next(logits, self.settings.temperature, self.warpers, self.prompt_ids, self.generators[name])

    def baseline(self, t_row: torch.Tensor, step: int):
        token = self._choose(t_row, "baseline")
        record = None
        if self.settings.trace:
            prob = torch.softmax(t_row, dim=-1)[0, token].item()
            record = BaselineToken(step, int(token), self.texts[int(token)], prob)
        return int(token), record

    def guided(self, t_row: torch.Tensor, side_logits, step: int):
        g_logits, b_logits = (x.to(self.device) for x in side_logits)
        if self.width is None:
            self.width = common_vocab(t_row.shape[-1], g_logits.shape[-1], b_logits.shape[-1])
            self.hidden = hidden_ids(self.trio.tokenizer, self.width, self.trio.eos_ids, self.device)
        width, alpha = self.width, self.schedule.at(step)
        guided_logits = t_row.clone()
        delta = steering_delta(g_logits, b_logits, alpha, width)
        guided_logits[:, :width] += delta
        forced = self.forced.get(step)
        if forced is None:
            token = self._choose(guided_logits, "guided")
        else:  # a counterfactual: this token here, whatever the models say
            if not 0 <= forced < width:
                raise ValueError(f"the forced token id {forced} is not one of the {width} ids the "
                                 "target, guider and base share: pick a token from the tables")
            token = torch.tensor([forced], device=self.device)
        record = None
        if self.settings.trace:
            numbers = trace_numbers(t_row[0], g_logits[0, :width], b_logits[0, :width], delta[0],
                                    guided_logits[0], token[0], self.settings.top_k, self.hidden)
            record = unpack_trace(step, alpha, numbers.tolist(), self.texts, forced is not None)
        return int(token), record

    def side_ids(self, token_id: int) -> torch.Tensor:
        """The guided stream's token as the guider and base's next input; refused when it is a
        row they do not have (a padding row of a wider target)."""
        if token_id >= self.width:
            raise ValueError(
                f"the guided stream picked id {token_id}, a row beyond the {self.width} ids the "
                "guider and base share with the target (a padding row): these models cannot go on"
            )
        return torch.tensor([[token_id]])


def _check_streams(streams) -> tuple[str, ...]:
    if not streams or any(s not in STREAMS for s in streams):
        raise ValueError(f"streams must be a non-empty subset of {STREAMS}, got {streams}")
    return tuple(s for s in STREAMS if s in streams)


@torch.inference_mode()
def decode(
    trio,
    prompt: str,
    settings: DecodeSettings | None = None,
    streams: tuple[str, ...] = STREAMS,
    cancel: threading.Event | None = None,
    overlap: bool | None = None,
    prompt_ids: torch.Tensor | None = None,
) -> Iterator[DecodeStep]:
    """Decode `prompt` as the baseline and/or the guided stream, one step per yield
    (`prompt_ids`: the prompt already encoded by encode_prompt, e.g. to refuse it early).

    The target runs ONE forward per step for all live streams (a batch of rows of
    equal length); a finished stream's row is dropped from the target's cache and the
    other stream goes on. `cancel.set()` stops every stream before its next step.
    """
    settings = settings or DecodeSettings()
    settings.validate()
    streams = _check_streams(streams)
    eos_ids = set() if settings.ignore_eos else trio.eos_ids
    if prompt_ids is None:
        prompt_ids = encode_prompt(trio, prompt, settings.max_new_tokens)
    forward = _Forward(default_overlap(trio) if overlap is None else overlap, timed=settings.trace)
    picker = _Picker(trio, settings, prompt_ids, streams)
    state = {s: StreamState(s, trio.tokenizer) for s in streams}
    target_cache = DynamicCache()
    side_caches = (DynamicCache(), DynamicCache()) if "guided" in streams else ()
    side_models = (trio.guider, trio.base)
    try:
        # prefill: the prompt once for the target (its cache row repeated per stream), once for each side model
        target_logits, side_logits = forward.run((trio.target, prompt_ids, target_cache),
                                                 [(m, prompt_ids, c) for m, c in zip(side_models, side_caches)])
        _charge(state, streams, forward.last, prefill=True)
        if len(streams) == 2:
            target_cache.batch_repeat_interleave(2)
            target_logits = target_logits.expand(2, -1)
        live = list(streams)  # row i of the target batch belongs to live[i]
        step = 0
        while True:
            # choose each live stream's token, record it, and see whether the stream ends
            new_tokens, next_ids = {}, {}
            for row, name in enumerate(live):
                t_row = target_logits[row : row + 1]
                if name == "baseline":
                    token_id, record = picker.baseline(t_row, step)
                else:
                    token_id, record = picker.guided(t_row, side_logits, step)
                st = state[name]
                st.ids.append(token_id)
                if record is not None:
                    st.records.append(record)
                new_tokens[name], next_ids[name] = record, token_id
                st.stop_reason = _stop_reason(st.ids, eos_ids, settings)
            _mark_cancelled(cancel, live, state)
            yield DecodeStep(step, new_tokens.get("baseline"), new_tokens.get("guided"),
                             state.get("baseline"), state.get("guided"))
            _mark_cancelled(cancel, live, state)  # a Stop pressed while the consumer handled this step
            # drop finished rows, then one forward per model for the rows that go on
            keep = [row for row, name in enumerate(live) if not state[name].done]
            if not keep:
                return
            if len(keep) < len(live):
                keep_rows(target_cache, keep)
                live = [live[row] for row in keep]
            target_ids = torch.tensor([[next_ids[name]] for name in live])
            jobs = []
            if "guided" in live:
                guided_ids = picker.side_ids(next_ids["guided"])
                jobs = [(m, guided_ids, c) for m, c in zip(side_models, side_caches)]
            target_logits, new_side = forward.run((trio.target, target_ids, target_cache), jobs)
            _charge(state, live, forward.last)
            if jobs:
                side_logits = new_side
            step += 1
    finally:
        forward.close()


def run_to_end(trio, prompt: str, settings: DecodeSettings | None = None, streams=STREAMS,
               cancel: threading.Event | None = None, overlap: bool | None = None) -> dict[str, StreamState]:
    """Decode to the end and return the final state of each stream."""
    last = None
    for last in decode(trio, prompt, settings, streams, cancel, overlap):
        pass
    return {name: getattr(last, name) for name in streams}
