"""One run as a record: the `generate --json` shape written by the command line and the app
alike (prompt, settings, both streams, the guided trace, the cost block, the answers when a
reference is known), and reading such a record back for a replay, with no model loaded.

    >>> run, trace = read_run('{"baseline": {"ids": [], "text": ""}, "guided": {"ids": [], "text": "", "trace": []}}')
    >>> trace
    []
"""
from __future__ import annotations

import json
from dataclasses import MISSING, fields
from pathlib import Path

from ..core.trace import StepTrace, flip_summary
from .cost import run_cost
from .grading import extract_answer, is_correct

MAX_RECORD_BYTES = 50 * 2**20  # a 8192-token trace is ~20 MB
GALLERY = Path(__file__).resolve().parents[2] / "assets" / "replays"  # runs recorded by `generate --json`
_TRACE_FIELDS = [f.name for f in fields(StepTrace)]
_REQUIRED_FIELDS = [f.name for f in fields(StepTrace) if f.default is MISSING]  # later additions have defaults


def examples_of(preset) -> list[dict]:
    """The preset's example prompts; none when its examples file is missing or broken."""
    try:
        return preset.load_examples()
    except (OSError, ValueError):
        return []


def reference_for(prompt: str, examples: list[dict], task: str | None = None) -> str | None:
    """The reference answer of a prompt: an example's, or computed for the tiny sums task."""
    for example in examples or []:
        if example.get("prompt") == prompt and example.get("answer") is not None:
            return str(example["answer"])
    if task == "sums":
        from ..organism.task import parse_prompt, reference_answer

        problem = parse_prompt(prompt)
        if problem is not None:
            return reference_answer(problem)
    return None


def graded(text: str, reference: str) -> dict:
    """{"answer", "correct"} of a finished stream against its reference."""
    return {"answer": extract_answer(text), "correct": is_correct(text, reference)}


def run_record(prompt: str, preset: str, settings, baseline: dict, guided: dict, reference: str | None = None,
               guider: str = "", memory: dict | None = None) -> dict:
    """One finished run in the `generate --json` shape, with its cost block, its flips
    (core.trace.flip_summary: where the guider changed the target's own top pick), the
    guider when a variant steered it, and the reference answer and grades when one is known."""
    record = {"preset": preset, "prompt": prompt, "settings": settings.to_dict(), "baseline": baseline,
              "guided": guided, "cost": run_cost(baseline, guided, memory)}
    if guider:
        record["guider"] = guider
    record["flips"] = flip_summary([_step(entry, i) for i, entry in enumerate(guided.get("trace", []))])
    if reference is not None:
        record["reference"] = reference
        record["answers"] = {name: graded(s["text"], reference) for name, s in (("baseline", baseline), ("guided", guided))}
    return record


def read_run(text: str | bytes) -> tuple[dict, list[StepTrace]]:
    """An exported run (`generate --json` or the app's Download) -> (the record, its guided
    trace). Anything else is refused with one line that says what is wrong."""
    if len(text) > MAX_RECORD_BYTES:
        raise ValueError(f"this run file is {len(text) / 2**20:.0f} MiB; a replay reads at most "
                         f"{MAX_RECORD_BYTES // 2**20} MiB")
    try:
        run = json.loads(text)
    except (ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"this file is not JSON ({err}): open a run saved by Download or `generate --json`") from None
    if not isinstance(run, dict) or not all(isinstance(run.get(s), dict) for s in ("baseline", "guided")):
        raise ValueError("this JSON is not a ThinkLogit run: it needs a \"baseline\" and a \"guided\" stream "
                         "(save one with Download or `generate --json`)")
    for name in ("baseline", "guided"):
        stream = run[name]
        if not isinstance(stream.get("text"), str) or not isinstance(stream.get("ids"), list):
            raise ValueError(f"the {name} stream of this run lacks its \"text\" or \"ids\"")
    trace = run["guided"].get("trace")
    if not isinstance(trace, list):
        raise ValueError("this run has no guided trace: record it with tracing on (`generate --json` does)")
    return run, [_step(entry, i) for i, entry in enumerate(trace)]


def _step(entry, index: int) -> StepTrace:
    if not isinstance(entry, dict):
        raise ValueError(f"step {index} of the guided trace is not a record")
    missing = [name for name in _REQUIRED_FIELDS if name not in entry]
    if missing:
        raise ValueError(f"step {index} of the guided trace lacks {', '.join(missing)}: "
                         "it was not saved by this version of ThinkLogit Studio")
    return StepTrace.from_dict({name: entry[name] for name in _TRACE_FIELDS if name in entry})


def gallery(folder: Path = GALLERY) -> list[tuple[str, str]]:
    """(label, path) of each recorded run shipped in `folder`: its prompt, preset, guider, schedule."""
    shown = []
    for path in sorted(folder.glob("*.json")):
        try:
            run = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        settings = run.get("settings", {})
        prompt = " ".join(str(run.get("prompt", path.stem)).split())
        parts = [prompt, run.get("preset", ""), run.get("guider") or "", settings.get("schedule", "")]
        shown.append((" · ".join(p for p in parts if p), str(path)))
    return shown
