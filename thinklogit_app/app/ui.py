"""The Gradio app: layout and event wiring only. What each event does lives in
studio.py (handlers), views.py (numbers), plots.py (figures), session.py (runs).

Named API endpoints (gradio_client): /generate (streaming JSON), /evaluate (JSON),
/stop (stops this client's run), /presets (JSON list).
"""
from __future__ import annotations

import os

import gradio as gr

from ..models.hub import can_load
from ..models.presets import QUANTIZATIONS, PresetError
from ..validation import ALPHA_RANGE, MAX_NEW_TOKENS, SCHEDULE_KINDS, TEMPERATURE_RANGE
from .views import PAPER, TABLE_HEADERS
from .handlers import EVAL_MAX_N, Studio, quantization_of

try:  # on Hugging Face Spaces (ZeroGPU) GPU work must run inside spaces.GPU
    import spaces

    gpu = spaces.GPU
except ImportError:  # anywhere else: a no-op decorator
    def gpu(fn=None, **_):
        return fn if fn is not None else (lambda f: f)

GENERATE_CONCURRENCY = int(os.environ.get("THINKLOGIT_CONCURRENCY", "2"))
QUEUE_MAX_SIZE = int(os.environ.get("THINKLOGIT_QUEUE_SIZE", "32"))

INTRO = f"""# ThinkLogit Studio
A large **target** model, steered token by token at decoding time by a small **guider**
minus its **base**: `guided = target + α · (guider − base)`, on raw logits, with no training of
the target. Watch the target alone and the guided target write side by side, and see where —
and how hard — the guider steers. Paper: [Logit Arithmetic Elicits Long Reasoning Capabilities
Without Training (arXiv 2507.12759)]({PAPER})."""

HOW_IT_WORKS = f"""### How it works
At every step all three models read the same text and give one logit per vocabulary entry. ThinkLogit adds
the **difference** the reasoning fine-tune made to the small model onto the large model's logits:

$$\\ell_{{\\text{{guided}}}} = \\ell_{{\\text{{target}}}} + \\alpha\\,\\big(\\ell_{{\\text{{guider}}}} - \\ell_{{\\text{{base}}}}\\big)$$

Temperature and top-p are applied after the sum. `α = 0` is the target alone; the paper uses `α = 1` after a
100-token warm-up (α = 0 first). The heatmap colours each guided token by `α·(guider − base)` on that token
(red: pushed up, purple: pushed down); tokens marked ▴ are where the guided pick differs from the target's.
Paper: [arXiv 2507.12759]({PAPER}) · authors' code: github.com/yunx-z/think-logit."""

LEGEND = ("Colour = α·(guider − base) on each chosen token, scaled to the run's 95th percentile "
          "(red: pushed up · purple: pushed down); ▴ = steered: the guided pick differs from the target's "
          "own top pick (red triangles in the chart). Hover a bar for that step's top-5 tables.")

CSS = """
#baseline-text textarea, #guided-text textarea { font-family: var(--font-mono); font-size: 13px; }
#heatmap .textfield { font-family: var(--font-mono); font-size: 13px; line-height: 1.9; }
"""


def _user_errors(err: Exception) -> gr.Error:
    return gr.Error(str(err), print_exception=False)


def build_app(studio: Studio | None = None, preload: bool = True) -> gr.Blocks:
    studio = studio or Studio()
    first = studio.preset_view(None)
    if preload and first["loadable"]:
        studio.load(first["name"])
    form0 = first["form"]

    # ---- handlers (thin: translate between components and studio) ----
    def preset_changed(name):
        view = studio.preset_view(name)
        form, quant = view["form"], view["quantization"]
        return (_preset_note(view), gr.Dropdown(choices=view["guiders"], value=""), quant["target"], quant["guider"],
                quant["base"], form["alpha"], form["schedule"],
                form["schedule_n"], form["temperature"], form["top_p"], form["max_new_tokens"], form["seed"],
                gr.Dataset(samples=[[e["prompt"], e["answer"]] for e in view["examples"]]))

    def load_models(name, guider, q_target, q_guider, q_base):
        try:
            return studio.load(name, quantization_of(q_target, q_guider, q_base), guider)
        except (PresetError, ValueError) as err:
            gr.Warning(str(err))
            return f"⚠️ {err}\n\n{studio.status_line()}"

    def example_chosen(sample):
        return sample[0] if sample else gr.skip()

    @gpu
    def run(name, guider, q_target, q_guider, q_base, prompt, alpha, schedule, schedule_n, temperature, top_p,
            max_new_tokens, seed, request: gr.Request):
        form = {"alpha": alpha, "schedule": schedule, "schedule_n": schedule_n, "temperature": temperature,
                "top_p": top_p, "max_new_tokens": max_new_tokens, "seed": seed}
        session = getattr(request, "session_hash", None) or "ui"
        try:
            frames = studio.generate_panels(session, name, quantization_of(q_target, q_guider, q_base), prompt, form,
                                            guider=guider)
            for panel in frames:
                yield _run_outputs(panel)
        except (PresetError, ValueError, RuntimeError) as err:
            raise _user_errors(err) from None

    def stop_clicked(request: gr.Request):
        stopped = studio.stop(getattr(request, "session_hash", None) or "ui")
        if not stopped:
            gr.Info("Nothing is running.")

    def inspect(state, step):
        view = studio.inspect((state or {}).get("records", []), step)
        return view["summary"], view["target"], view["pushed"], view["guided"]

    @gpu
    def evaluate_ui(name, q_target, q_guider, q_base, n, alphas, progress=gr.Progress()):
        def report(done, total):
            progress((done, total), desc="decoding held-out problems", unit="problems")

        try:
            result = studio.evaluate(name, n, alphas, quantization_of(q_target, q_guider, q_base), report)
        except (PresetError, ValueError) as err:
            raise _user_errors(err) from None
        view = studio.evaluation_panels(result)
        return view["summary"], view["rows"], view["bars"], view["sweep"], result

    # ---- API endpoints (typed; gradio_client) ----
    @gpu
    def generate(prompt: str, preset: str = "", alpha: float | None = None, schedule: str = "",
                 temperature: float | None = None, top_p: float | None = None, max_new_tokens: int | None = None,
                 seed: int | None = None, quantize_target: str = "", quantize_guider: str = "",
                 quantize_base: str = "", guider: str = "", request: gr.Request = None) -> dict:
        """Decode `prompt` as the target alone and as target + ThinkLogit. Streams
        {"done": false, "step", "baseline", "guided"} dicts, then the full run (the CLI's
        `generate --json` shape, guided trace included) with "done": true. Unset settings
        take the preset's defaults; schedule is constant, warmup:N or ramp:N; guider is
        "" (the preset's) or one of its variants, e.g. "thinklogit-dpo"."""
        settings = {"alpha": alpha, "schedule": schedule, "temperature": temperature, "top_p": top_p,
                    "max_new_tokens": max_new_tokens, "seed": seed}
        session = getattr(request, "session_hash", None) or "api"
        try:
            yield from studio.generate_json(session, preset or None, prompt, settings,
                                            quantization_of(quantize_target, quantize_guider, quantize_base),
                                            guider=guider or None)
        except (PresetError, ValueError, RuntimeError) as err:
            raise _user_errors(err) from None

    @gpu
    def evaluate(preset: str = "", n: int = 50, alphas: str = "0.5,1,1.5,2") -> dict:
        """Greedy pass@1 on `n` held-out problems of the preset: {"accuracy": {...},
        "alpha_sweep": {...}, ...} (the CLI's `eval --json` shape)."""
        try:
            return studio.evaluate(preset or None, n, alphas)
        except (PresetError, ValueError) as err:
            raise _user_errors(err) from None

    def stop_run(request: gr.Request = None) -> bool:
        """Stop this client's running /generate; true when one was running."""
        return studio.stop(getattr(request, "session_hash", None) or "api")

    def list_presets() -> list:
        """The presets, each with whether it can load on this server and why."""
        return [{"name": p.name, "default": p.default, "description": p.description,
                 "loadable": ok, "status": why} for p in studio.manager.presets for ok, why in [can_load(p)]]

    # ---- layout ----
    with gr.Blocks(title="ThinkLogit Studio", delete_cache=(1800, 3600)) as demo:  # exported traces: an hour
        gr.Markdown(INTRO)
        with gr.Row(equal_height=True):
            preset = gr.Dropdown(studio.manager.choices(), value=first["name"], label="Preset", scale=3,
                                 elem_id="preset")
            guider = gr.Dropdown(first["guiders"], value="", label="Guider (thinklogit-dpo = ThinkLogit-DPO)",
                                 scale=2, elem_id="guider")
            q_target = gr.Dropdown(list(QUANTIZATIONS), value=first["quantization"]["target"], label="Target quantization", scale=1)
            q_guider = gr.Dropdown(list(QUANTIZATIONS), value=first["quantization"]["guider"], label="Guider quantization", scale=1)
            q_base = gr.Dropdown(list(QUANTIZATIONS), value=first["quantization"]["base"], label="Base quantization", scale=1)
        preset_note = gr.Markdown(_preset_note(first))
        status = gr.Markdown(studio.status_line(), elem_id="status")

        with gr.Tabs():
            with gr.Tab("Generate", id="generate"):
                prompt = gr.Textbox(label="Prompt", lines=3, placeholder="Type a question or click an example",
                                    elem_id="prompt")
                examples = gr.Dataset(components=[gr.Textbox(visible=False), gr.Textbox(visible=False)],
                                      headers=["example prompt", "reference answer"], label="Examples",
                                      samples=[[e["prompt"], e["answer"]] for e in first["examples"]],
                                      samples_per_page=6, layout="table", elem_id="examples")
                with gr.Accordion("Decoding settings (defaults: the preset's, after the paper)", open=False):
                    with gr.Row():
                        alpha = gr.Slider(*ALPHA_RANGE, value=form0["alpha"], step=0.05, label="alpha (steering strength)")
                        schedule = gr.Radio(list(SCHEDULE_KINDS), value=form0["schedule"], label="alpha schedule")
                        schedule_n = gr.Number(value=form0["schedule_n"], precision=0, minimum=1, label="N (warm-up / ramp tokens)")
                    with gr.Row():
                        temperature = gr.Slider(*TEMPERATURE_RANGE, value=form0["temperature"], step=0.05, label="temperature (0 = greedy)")
                        top_p = gr.Slider(0.05, 1.0, value=form0["top_p"], step=0.01, label="top-p")
                        max_new_tokens = gr.Slider(1, MAX_NEW_TOKENS, value=form0["max_new_tokens"], step=1, label="max new tokens")
                        seed = gr.Number(value=form0["seed"], precision=0, minimum=0, label="seed")
                with gr.Row():
                    run_btn = gr.Button("Run", variant="primary", elem_id="run")
                    stop_btn = gr.Button("Stop", variant="stop", elem_id="stop")
                with gr.Row(equal_height=False):
                    with gr.Column():
                        gr.Markdown("### Target alone")
                        baseline_text = gr.Textbox(lines=12, max_lines=24, show_label=False, autoscroll=True,
                                                   elem_id="baseline-text")
                        baseline_stats = gr.Markdown(elem_id="baseline-stats")
                        baseline_badge = gr.Markdown(elem_id="baseline-badge")
                    with gr.Column():
                        gr.Markdown("### Target + ThinkLogit")
                        guided_text = gr.Textbox(lines=12, max_lines=24, show_label=False, autoscroll=True,
                                                 elem_id="guided-text")
                        guided_stats = gr.Markdown(elem_id="guided-stats")
                        guided_badge = gr.Markdown(elem_id="guided-badge")
                gr.Markdown("### Where the guider steers")
                heatmap = gr.HighlightedText(show_label=False, combine_adjacent=False, elem_id="heatmap")
                gr.Markdown(LEGEND)
                chart = gr.Plot(show_label=False, elem_id="chart")
                with gr.Accordion("Inspect one token", open=True):
                    step = gr.Slider(0, 1, value=0, step=1, label="step (generated token)", elem_id="step")
                    step_summary = gr.Markdown(elem_id="step-summary")
                    with gr.Row():
                        target_table = gr.Dataframe(headers=TABLE_HEADERS["target"], label="What the target wanted (top-5)",
                                                    interactive=False)
                        pushed_table = gr.Dataframe(headers=TABLE_HEADERS["pushed"],
                                                    label="What α·(guider − base) pushed up / down", interactive=False)
                        guided_table = gr.Dataframe(headers=TABLE_HEADERS["guided"], label="What was picked (guided top-5)",
                                                    interactive=False)
                export = gr.DownloadButton("Download the run's trace (JSON)", value=None, elem_id="export")
                run_state = gr.State({})

            with gr.Tab("Evaluate", id="evaluate"):
                gr.Markdown("Greedy pass@1 on held-out problems of the preset: target alone, base alone, guider "
                            "alone and ThinkLogit with the preset's own guider, plus accuracy across alpha and a "
                            "column per guider variant (e.g. ThinkLogit-DPO).")
                with gr.Row():
                    eval_n = gr.Slider(1, EVAL_MAX_N, value=50, step=1, label="held-out problems", elem_id="eval-n")
                    eval_alphas = gr.Textbox(value="0.5, 1, 1.5, 2", label="alphas to sweep", elem_id="eval-alphas")
                    eval_btn = gr.Button("Evaluate", variant="primary", elem_id="evaluate")
                eval_summary = gr.Markdown(elem_id="eval-summary")
                eval_table = gr.Dataframe(headers=["decoding", "pass@1", "%"], interactive=False, label="pass@1",
                                          elem_id="eval-table")
                with gr.Row():
                    eval_bars = gr.Plot(show_label=False, elem_id="eval-bars")
                    eval_sweep = gr.Plot(show_label=False, elem_id="eval-sweep")
                with gr.Accordion("Raw result (JSON)", open=False):
                    eval_json = gr.JSON()

            with gr.Tab("How it works", id="learn"):
                gr.Markdown(HOW_IT_WORKS, latex_delimiters=[{"left": "$$", "right": "$$", "display": True}])
                gr.Markdown("#### A worked example from your last run")
                worked = gr.Markdown("_Run a prompt: a worked example from its numbers appears here._",
                                     elem_id="worked")

        # ---- wiring ----
        quant = [q_target, q_guider, q_base]
        form = [alpha, schedule, schedule_n, temperature, top_p, max_new_tokens, seed]
        preset.change(preset_changed, preset, [preset_note, guider, *quant, *form, examples],
                      api_visibility="private").then(
            load_models, [preset, guider, *quant], status, api_visibility="private", concurrency_id="load",
            concurrency_limit=1)
        for dropdown in (guider, *quant):
            dropdown.input(load_models, [preset, guider, *quant], status, api_visibility="private",
                           concurrency_id="load", concurrency_limit=1)
        examples.click(example_chosen, examples, prompt, api_visibility="private")

        outputs = [baseline_text, baseline_stats, baseline_badge, guided_text, guided_stats, guided_badge,
                   heatmap, chart, step, worked, export, run_state]
        for trigger in (run_btn.click, prompt.submit):
            trigger(run, [preset, guider, *quant, prompt, *form], outputs, api_visibility="private",
                    concurrency_id="generate", concurrency_limit=GENERATE_CONCURRENCY,
                    show_progress="minimal").then(
                lambda: studio.status_line(), None, status, api_visibility="private").then(
                inspect, [run_state, step], [step_summary, target_table, pushed_table, guided_table],
                api_visibility="private")
        stop_btn.click(stop_clicked, None, None, api_visibility="private", concurrency_limit=None, queue=False)
        step.change(inspect, [run_state, step], [step_summary, target_table, pushed_table, guided_table],
                    api_visibility="private", trigger_mode="always_last")
        eval_btn.click(evaluate_ui, [preset, *quant, eval_n, eval_alphas],
                       [eval_summary, eval_table, eval_bars, eval_sweep, eval_json],
                       api_visibility="private", concurrency_id="evaluate", concurrency_limit=1).then(
            lambda: studio.status_line(), None, status, api_visibility="private")  # it loads the preset's own guider
        demo.load(lambda: studio.status_line(), None, status, api_visibility="private")

        gr.api(generate, api_name="generate", concurrency_id="generate", concurrency_limit=GENERATE_CONCURRENCY)
        gr.api(evaluate, api_name="evaluate", concurrency_id="evaluate", concurrency_limit=1)
        gr.api(stop_run, api_name="stop", concurrency_limit=None)
        gr.api(list_presets, api_name="presets", concurrency_limit=None)

    demo.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=1)
    demo.studio = studio
    return demo


def _preset_note(view: dict) -> str:
    return view["description"] + ("" if view["loadable"] else f"\n\n⚠️ **Cannot load here:** {view['why']}")


def _run_outputs(panel: dict) -> tuple:
    """The studio's panel dict -> the values of the run event's outputs (gr.skip() where absent)."""
    def pick(key, make=lambda v: v):
        return make(panel[key]) if key in panel else gr.skip()

    return (
        panel["baseline_text"], panel["baseline_stats"], panel["baseline_badge"],
        panel["guided_text"], panel["guided_stats"], panel["guided_badge"],
        pick("heatmap"), pick("chart"),
        gr.Slider(maximum=max(panel["steps"], 1), value=panel["focus"]) if "steps" in panel else gr.skip(),
        pick("worked"), pick("export"),
        {"record": panel["record"], "records": panel["records"]} if "record" in panel else gr.skip(),
    )

