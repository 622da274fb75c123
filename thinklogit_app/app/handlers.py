"""What each control of the app does, in plain Python: ui.py wires these to components,
the named API endpoints call them too, and the tests drive them without a server.

Errors a visitor can fix are raised as ValueError / PresetError with a message that
says what to change; the UI shows them as toasts and keeps serving.
"""
from __future__ import annotations

import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import torch

from .. import validation
from ..core.alphas import DEFAULT_ALPHAS
from ..core.cancel import Cancelled
from ..core.engine import DecodeSettings, encode_prompt, run_to_end
from ..core.pushes import guider_pushes
from ..core.trace import hidden_ids
from ..evaluation.alpha_grid import alpha_grid
from ..evaluation.cost import model_bytes
from ..evaluation.grading import extract_answer
from ..evaluation.record import examples_of, read_run, reference_for, run_record
from ..models.hub import can_load
from ..models.manager import ModelManager
from ..models.presets import ROLES, PresetError, evaluation_variants
from . import plots, pushes, steering, views
from .i18n import status_words, text
from .tips import info
from .session import HEAVY_EVERY_S, TEXT_EVERY_S, Job, Run, RunRegistry, Snapshot

EVAL_MAX_N = validation.EVAL_MAX_N
MAX_GRID = 25  # alphas in one batched grid (each is a row of all three models' caches)
KEEP_EXPORTS = 32  # exported traces kept on disk (a long run's trace is megabytes)
PROMPT_MARGIN = 32  # positions the max-new-tokens slider leaves for the prompt


class Studio:
    def __init__(self, manager: ModelManager | None = None, export_dir: str | Path | None = None):
        self.manager = manager or ModelManager()
        self.runs = RunRegistry()
        self.export_dir = Path(export_dir or tempfile.mkdtemp(prefix="thinklogit-runs-"))
        self.export_dir.mkdir(parents=True, exist_ok=True)
        self._exports, self._export_lock = 0, threading.Lock()

    # ---- presets and models -------------------------------------------------------
    def preset_view(self, name: str | None) -> dict:
        """Everything the form shows for a preset: defaults, quantization, examples, whether it loads."""
        preset = self.manager.preset(name)
        ok, why = can_load(preset)
        examples = examples_of(preset)
        return {
            "name": preset.name, "description": preset.description, "loadable": ok, "why": why, "task": preset.task,
            "quantization": self.manager.quantization(preset),
            "guiders": self.manager.guiders(preset),
            "form": validation.form_values(validation.preset_settings(preset.defaults)),
            "examples": [{"prompt": e["prompt"], "answer": str(e.get("answer", ""))} for e in examples],
        }

    def load(self, name: str | None, quantization: dict | None = None, guider: str | None = None,
             lang: str = "en") -> str:
        """Load (or keep) a preset's trio with the chosen guider; the status line afterwards."""
        chosen, guider, quantization = self.request(name, guider, quantization)
        self.manager.get(chosen.name, quantization, guider)
        return self.status_line(lang)

    def token_limit(self, name: str | None, quantization: dict | None = None, guider: str | None = None) -> int:
        """The most new tokens the form offers for a preset's trio (loaded if it is not): the
        fewest positions any of the three models holds, less PROMPT_MARGIN for the prompt; the
        form's own limit when no model declares one."""
        chosen, guider, quantization = self.request(name, guider, quantization)
        positions = self.manager.get(chosen.name, quantization, guider).max_positions
        if positions is None:
            return validation.MAX_NEW_TOKENS
        return max(1, min(validation.MAX_NEW_TOKENS, positions - PROMPT_MARGIN))

    def status_line(self, lang: str = "en") -> str:
        """The models' status line in `lang`."""
        return self.manager.status_line(status_words(lang))

    def text_sent(self, preset: str | None, prompt: str | None) -> str:
        """The exact text the three models are fed for `prompt`: the preset's template filled in."""
        return self.manager.preset(preset).prompt_text(prompt) if prompt and prompt.strip() else ""

    # ---- generation ----------------------------------------------------------------
    def start(self, session: str, preset: str | None, quantization: dict | None, prompt: str,
              form: dict, guider: str | None = None) -> tuple[Run, str | None]:
        """Validate the inputs, supersede the session's previous run, lease the models (waiting
        for memory if the budget is held by others' runs), start the run; (run, reference answer)."""
        prompt = validation.check_prompt(prompt)
        chosen, guider, quantization = self.request(preset, guider, quantization)
        prompt = _in_task_format(prompt, chosen.task)
        settings = validation.settings_from(chosen.defaults, form)
        session = session or "anonymous"
        cancel = self.runs.open(session)
        lease = None
        try:
            lease = self.manager.acquire(chosen.name, quantization, guider, cancel)
            run = Run(lease.trio, chosen.prompt_text(prompt), settings, cancel=cancel, lease=lease)
            run.question = prompt  # as typed; run.prompt is the exact text the models are fed
        except BaseException:
            if lease is not None:
                lease.release()
            self.runs.close(session, cancel)
            raise
        return run.start(), reference_for(prompt, examples_of(chosen), chosen.task)

    def request(self, preset, guider, quantization) -> tuple:
        """A request's (Preset, guider choice, quantization) checked, before any model work."""
        chosen = self.manager.preset(validation.check_text(preset, "preset") or None)
        guider = self.manager.guider(chosen, validation.check_text(guider, "guider"))
        return chosen, guider, validation.quantization(quantization)

    def stream(self, session: str, run: Run, every: float = TEXT_EVERY_S,
               heavy_every: float = HEAVY_EVERY_S) -> Iterator[tuple[Snapshot, bool]]:
        """The run's snapshots at the UI's pace; closing this generator stops the run."""
        try:
            for snap, heavy in run.updates(every, heavy_every):
                if snap.error is not None:
                    raise _user_error(snap.error)
                yield snap, heavy
        finally:
            run.cancel.set()  # no-op when it finished; stops it when the client went away
            self.runs.close(session or "anonymous", run.cancel)

    def generate_panels(self, session: str, preset: str | None, quantization: dict | None, prompt: str,
                        form: dict, every: float = TEXT_EVERY_S, heavy_every: float = HEAVY_EVERY_S,
                        guider: str | None = None, lang: str = "en") -> Iterator[dict]:
        """The UI's view of a run, one dict per refresh in `lang`; heavy keys only when due (see `panels`)."""
        run, reference = self.start(session, preset, quantization, prompt, form, guider)
        for snap, heavy in self.stream(session, run, every, heavy_every):
            yield self.panels(snap, heavy, reference, run, lang)

    def panels(self, snap: Snapshot, heavy: bool, reference: str | None, run: Run, lang: str = "en") -> dict:
        base, guided = snap.baseline, snap.guided
        records = guided.records
        out = {
            "baseline_text": base.text, "guided_text": guided.text,
            "baseline_stats": views.stream_stats(base.to_dict(False), lang),
            "guided_stats": views.stream_stats(guided.to_dict(False), lang),
            "baseline_badge": views.answer_badge(base.text, reference, base.done, lang)["markdown"],
            "guided_badge": views.answer_badge(guided.text, reference, guided.done, lang)["markdown"],
            "done": snap.done,
        }
        if heavy:
            out |= self.steering_panels(records, tooltips=snap.done, lang=lang)
        if snap.done:
            out |= self.finished_panels(self.record_of(run, base.to_dict(), guided.to_dict(), reference), records,
                                        lang)
        return out

    @staticmethod
    def steering_panels(records: list, tooltips: bool = True, lang: str = "en") -> dict:
        """The heavy views of a trace: the flip headline (and an ⓘ saying what a flip is), the
        heatmap and the chart. The heatmap's per-token top-5 tooltips come with the final redraw
        only: while a long run streams, they would make each redraw megabytes."""
        return {"headline": views.headline(records, lang), "flips_tip": info(text("tip.flips", lang)),
                "heatmap": steering.heatmap_html(records, tooltips=tooltips, lang=lang),
                "chart": plots.token_chart(views.chart_series(records, lang), lang)}

    def finished_panels(self, record: dict, records: list, lang: str = "en") -> dict:
        """What a finished run adds to the view: the record, its inspector, worked example and download."""
        focus = views.example_step(records)
        return {"record": record, "records": records, "worked": views.worked_example(records, lang),
                "steps": max(len(records) - 1, 0), "focus": records.index(focus) if focus is not None else 0,
                "export": str(self.export(record))}

    @staticmethod
    def record_of(run: Run, baseline: dict, guided: dict, reference: str | None) -> dict:
        question = getattr(run, "question", run.prompt)  # as typed; run.prompt is the text sent
        return run_record(question, _preset_of(run), run.settings, baseline, guided, reference, _guider_of(run),
                          model_bytes(run.trio)) | run.trio.record_fields(run.prompt, guided["ids"])

    def replay(self, data: str | bytes, lang: str = "en") -> dict:
        """An exported run (the app's Download or `generate --json`) as the final view of a live
        run: both streams, badges, heatmap, chart, inspector, worked example. No model is loaded."""
        record, records = read_run(data)
        reference = record.get("reference")
        out = {"done": True} | self.steering_panels(records, lang=lang)
        for name in ("baseline", "guided"):
            stream = record[name]
            out[f"{name}_text"] = stream["text"]
            out[f"{name}_stats"] = views.stream_stats(stream, lang)
            out[f"{name}_badge"] = views.answer_badge(stream["text"], reference, True, lang)["markdown"]
        return out | self.finished_panels(record, records, lang)

    def generate_json(self, session: str, preset: str | None, prompt: str, settings: dict,
                      quantization: dict | None = None, every: float = TEXT_EVERY_S,
                      guider: str | None = None) -> Iterator[dict]:
        """The API's view of a run: light dicts while it streams, then the full record
        (the CLI's `generate --json` shape with the guided trace) with "done": true."""
        if not isinstance(settings, dict):
            raise ValueError("settings must be a dict of alpha, schedule, temperature, top_p, max_new_tokens, seed")
        run, reference = self.start(session, preset, quantization, prompt, settings, guider)
        for snap, _ in self.stream(session, run, every, every):
            if not snap.done:
                yield {"done": False, "step": snap.step, "baseline": snap.baseline.to_dict(False),
                       "guided": snap.guided.to_dict(False)}
            else:
                record = self.record_of(run, snap.baseline.to_dict(), snap.guided.to_dict(), reference)
                yield {"done": True, "step": snap.step} | record

    def server_status(self) -> dict:
        """What runs and what is loaded: live jobs, live worker threads of this package, the
        loaded trios (the manager's status)."""
        workers = sum(t.name.startswith("thinklogit") for t in threading.enumerate())
        return {"jobs": self.runs.active(), "workers": workers} | self.manager.status()

    def stop(self, session: str) -> bool:
        return self.runs.stop(session or "anonymous")

    def export(self, record: dict) -> Path:
        """The run as a JSON file to download; only the newest KEEP_EXPORTS files stay."""
        return self._export(views.export_json(record), "run", "json")

    def export_markdown(self, markdown: str, kind: str = "verdict") -> Path:
        """A verdict card as a Markdown file to download (kept like the runs)."""
        return self._export(markdown + "\n", kind, "md")

    def _export(self, content: str, kind: str, suffix: str) -> Path:
        with self._export_lock:
            self._exports += 1
            path = self.export_dir / f"thinklogit-{kind}-{self._exports:06d}-{time.strftime('%Y%m%d-%H%M%S')}.{suffix}"
        path.write_text(content)
        for old in sorted(self.export_dir.glob(f"thinklogit-{kind}-*.{suffix}"))[:-KEEP_EXPORTS]:  # sorted by number
            old.unlink(missing_ok=True)
        return path

    # ---- one prompt at many alphas ---------------------------------------------------
    def alpha_grid(self, preset: str | None, quantization: dict | None, prompt: str, settings: dict,
                   alphas=None, guider: str | None = None, session: str | None = None) -> dict:
        """`prompt` at each alpha of the grid (default 0..3 by 0.25) as one batched decode,
        graded against the reference when one is known (evaluation.alpha_grid's shape).
        `settings`: the form's or the API's (validation.settings_from; alpha is the grid's)."""
        prompt = validation.check_prompt(prompt)
        grid = list(DEFAULT_ALPHAS) if alphas in (None, "") else validation.parse_alphas(
            ",".join(map(str, alphas)) if isinstance(alphas, (list, tuple)) else alphas)
        if len(grid) > MAX_GRID:
            raise ValueError(f"at most {MAX_GRID} alphas in one grid, got {len(grid)}: give fewer")
        chosen, guider, quantization = self.request(preset, guider, quantization)
        decode_settings = validation.settings_from(chosen.defaults, settings)
        with self.job(session, "alphas", chosen, quantization, guider) as (trio, cancel):
            result = alpha_grid(trio, chosen.prompt_text(prompt), grid, decode_settings,
                                reference_for(prompt, examples_of(chosen), chosen.task), cancel)
        return {"preset": chosen.name} | result

    def alpha_view(self, result: dict | None, alpha, lang: str = "en") -> dict:
        """The scrubber at one alpha of a grid: the strip, that alpha's heatmap, text and summary."""
        entries = (result or {}).get("alphas") or []
        if not entries:
            return {"strip": "", "heatmap": steering.heatmap_html([], lang=lang), "summary": "", "text": ""}
        entry = min(entries, key=lambda e: abs(e["alpha"] - float(alpha or 0)))
        return {"strip": steering.alpha_strip_html(result, entry["alpha"], lang),
                "heatmap": steering.grid_heatmap_html(entry, lang), "summary": steering.grid_summary(entry, lang),
                "text": entry["text"]}

    # ---- what one nudge sets off -----------------------------------------------------
    def fork(self, record: dict | None, records: list, step, kind: str, quantization: dict | None = None,
             session: str | None = None, lang: str = "en") -> dict:
        """The run's prompt again, guided stream only: "stop" = guidance for steps 0..step only
        (schedule first:step+1, the run's alpha); "force" = at `step` the other candidate (the
        target's own pick where the guider flipped it, else the guided runner-up), then decode on."""
        if not record or not records:
            raise ValueError("Run a prompt first: then fork it at one of its tokens.")
        index = max(0, min(int(step or 0), len(records) - 1))
        chosen_step = records[index]
        settings = {k: v for k, v in record["settings"].items() if k != "force"}
        token = None
        if kind == "stop":
            settings["schedule"] = f"first:{index + 1}"
        else:
            other = (chosen_step.target_pick_id, chosen_step.target_pick) if chosen_step.steered else next(
                (e["id"], e["token"]) for e in chosen_step.guided_top if e["id"] != chosen_step.token_id)
            settings["force"], token = {index: other[0]}, other[1]
        chosen, guider, quantization = self.request(record.get("preset"), record.get("guider"), quantization)
        with self.job(session, "fork", chosen, quantization, guider) as (trio, cancel):
            guided = run_to_end(trio, record["prompt"], DecodeSettings(**settings), ("guided",), cancel)["guided"]
        reference = record.get("reference")
        full = {"ids": record["guided"]["ids"], "answer": extract_answer(record["guided"]["text"])}
        fork = {"ids": guided.ids, "answer": extract_answer(guided.text)}
        return {"text": guided.text, "full_text": record["guided"]["text"], "ids": guided.ids,
                "summary": steering.fork_summary(kind, index, full, fork, token, lang),
                "badge": views.answer_badge(guided.text, reference, True, lang)["markdown"],
                "headline": views.flip_headline(guided.records, lang), "records": guided.records}
    def compare_pushes(self, record: dict | None, records: list, step, quantization: dict | None = None,
                       session: str | None = None, lang: str = "en") -> dict:
        """What the preset's guider and each of its variants (ThinkLogit-DPO) push at one step of
        a finished run, on the same prefix (prompt + the guided tokens before the step)."""
        if not record or not records:
            raise ValueError(text("compare.first", lang))
        chosen, _, quantization = self.request(record.get("preset"), None, quantization)
        if not evaluation_variants(chosen):
            return {"summary": text("compare.none", lang), "headers": pushes.push_headers(["guider"], lang), "rows": []}
        index = max(0, min(int(validation.whole_in(step or 0, 0, 10**9, "step")), len(records) - 1))
        at, alpha = records[index], float((record.get("settings") or {}).get("alpha", 1.0))
        with self.job(session, "compare", chosen, quantization, None) as (trio, cancel):
            guiders = {"guider": trio.guider} | self.manager.variant_guiders(chosen.name, quantization)
            prefix = torch.tensor([record["guided"]["ids"][:index]], dtype=torch.long)
            ids = torch.cat([encode_prompt(trio, record["prompt"], 1), prefix], dim=1)
            found = guider_pushes(trio.base, guiders, ids, alpha)
            width = next(iter(found.values())).shape[-1]
            hidden = hidden_ids(trio.tokenizer, width, trio.eos_ids)
            token_of = trio.tokenizer.convert_ids_to_tokens
        marked = {at.token_id: text("compare.written", lang)}
        if at.steered:
            marked[at.target_pick_id] = text("compare.pick", lang)
        return {"summary": pushes.push_summary(found, hidden, token_of, index, at.token_id, lang) + "\n\n"
                           + text("compare.note", lang),
                "headers": pushes.push_headers(list(found), lang),
                "rows": pushes.push_rows(found, hidden, token_of, marked)}

    @contextmanager
    def job(self, session: str | None, kind: str, chosen, quantization: dict, guider: str | None = None):
        """(trio, cancel) of a stoppable job of a session on leased models: the session's
        previous job of this kind is superseded; its Stop or a new job ends it."""
        session = session or "anonymous"
        cancel = self.runs.open(session, kind)
        try:
            with self.manager.acquire(chosen.name, quantization, guider, cancel) as trio:
                yield trio, cancel
        finally:
            self.runs.close(session, cancel, kind)

    # ---- one token -----------------------------------------------------------------
    @staticmethod
    def inspect(records: list, step, lang: str = "en") -> dict:
        if not records:
            return {"summary": text("step.empty", lang), "formula": [], "target": [], "pushed": [], "guided": []}
        index = max(0, min(int(step or 0), len(records) - 1))
        return {"summary": views.step_summary(records[index], lang)} | views.top_tables(records[index], lang)

    # ---- evaluation ----------------------------------------------------------------
    def evaluate(self, preset: str | None, n, alphas: str, quantization: dict | None = None,
                 progress: Callable[[int, int], None] | None = None, session: str | None = None) -> dict:
        """Held-out greedy pass@1 (evaluation.evaluate) for the preset: its JSON shape."""
        result = None
        for update in self.evaluate_stream(session, preset, n, alphas, quantization):
            if update["done"]:
                result = {k: v for k, v in update.items() if k != "done"}
            elif progress is not None and update["total"]:
                progress(update["decoded"], update["total"])
        return result

    def evaluate_stream(self, session: str | None, preset: str | None, n, alphas, quantization: dict | None = None,
                        every: float = 0.5) -> Iterator[dict]:
        """An evaluation as a job of the session on a worker thread: {"done": false, "decoded",
        "total"} every `every` seconds, then the result with "done": true. Refused before any
        work when larger than the cap (validation.check_evaluation); the session's Stop, a new
        evaluation of the session, or closing this generator (the client went away) stops it."""
        from ..evaluation.evaluate import evaluate_trio

        chosen, _, quantization = self.request(preset, None, quantization)
        alpha = float((chosen.defaults or {}).get("alpha", 1.0))
        others = 3 + len(evaluation_variants(chosen)) + (alpha not in validation.parse_alphas(alphas))  # alone, variants, default
        count, sweep = validation.check_evaluation(n, alphas, others)
        session = session or "anonymous"
        cancel, lease = self.runs.open(session, "evaluate"), None
        try:
            lease = self.manager.acquire(chosen.name, quantization, None, cancel)
            extra = self.manager.variant_guiders(chosen.name, quantization)
            trio = lease.trio

            def work(cancel, report):
                return evaluate_trio(trio, count, preset=chosen, alphas=sweep, examples=examples_of(chosen),
                                     extra_guiders=extra, progress=report, cancel=cancel).to_json()

            job = Job(work, cancel, lease, name="thinklogit-eval").start()
        except BaseException:
            if lease is not None:
                lease.release()
            self.runs.close(session, cancel, "evaluate")
            raise
        try:
            while not job.finished.wait(every):
                done, total = job.progress
                yield {"done": False, "decoded": done, "total": total}
            if job.error is not None:
                raise _user_error(job.error)
            yield {"done": False, "decoded": job.progress[0], "total": job.progress[1]}  # the last count
            yield {"done": True} | job.result
        finally:
            cancel.set()  # no-op when it finished; stops it when the client went away
            self.runs.close(session, cancel, "evaluate")

    @staticmethod
    def evaluation_panels(result: dict, lang: str = "en") -> dict:
        """The verdict line, the table (name, pass@1, 95% interval, why; its headers in `lang`: a
        table's gr.I18n headers are not translated once it is filled), the bars with their
        intervals and the alpha sweep of an evaluation's JSON."""
        accuracy = result["accuracy"]
        alone = {views.column_name(k, lang): accuracy[k] for k in ("target", "guider") if k in accuracy}
        summary = views.evaluation_verdict(result, lang) + info(text("tip.eval", lang)) + "\n\n" + text(
            "eval.summary", lang, n=result["n"], preset=result["preset"], alpha=result.get("alpha", 1),
            seconds=result.get("seconds", 0))
        labels = {name: views.column_name(name, lang) for name in accuracy}
        headers = [text("ui.eval.decoding", lang), "pass@1", text("ui.eval.interval", lang), text("ui.eval.why", lang)]
        return {"rows": views.evaluation_rows(result, lang), "headers": headers, "bars": plots.accuracy_bars(accuracy, result["ci95"], labels),
                "sweep": plots.alpha_sweep_line(result["alpha_sweep"], alone), "summary": summary,
                "markdown": views.evaluation_markdown(result, lang)}


def _in_task_format(prompt: str, task: str | None) -> str:
    """A tiny-task prompt as the trio was trained on it ('Q:1+2' -> 'Q:1+2\\n'), so Enter can run it."""
    if task == "sums":
        from ..organism.task import make_prompt, parse_prompt

        problem = parse_prompt(prompt)
        if problem is not None:
            return make_prompt(problem)
    return prompt


def _user_error(err: BaseException) -> BaseException:
    if isinstance(err, (ValueError, PresetError, Cancelled)):
        return err
    return RuntimeError(f"generation failed: {type(err).__name__}: {err}")


def quantization_of(target: str | None, guider: str | None, base: str | None) -> dict:
    return {role: mode for role, mode in zip(ROLES, (target, guider, base)) if mode}


def _preset_of(run: Run) -> str:
    return (run.trio.info or {}).get("preset", "")


def _guider_of(run: Run) -> str:
    return (run.trio.info or {}).get("guider", "")
