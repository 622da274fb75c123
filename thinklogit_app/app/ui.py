"""The Gradio app's layout: one small builder per panel or tab, each returning its
components by name. What the controls do is wired in events.py (handlers return
{component: value}); the named API endpoints are in api.py; the logic behind both is the
Studio (handlers.py).

Named API endpoints (gradio_client): /generate (streaming JSON), /evaluate (JSON),
/stop (stops this client's run), /presets (JSON list).
"""
from __future__ import annotations

import os
from types import SimpleNamespace

import gradio as gr

from ..models.presets import QUANTIZATIONS
from ..validation import ALPHA_RANGE, MAX_NEW_TOKENS, SCHEDULE_LABELS, TEMPERATURE_RANGE
from . import api, events, steering
from .handlers import EVAL_MAX_N, Studio
from .texts import HOW_IT_WORKS, INTRO, LEGEND, READING
from .views import TABLE_HEADERS

GENERATE_CONCURRENCY = int(os.environ.get("THINKLOGIT_CONCURRENCY", "2"))
QUEUE_MAX_SIZE = int(os.environ.get("THINKLOGIT_QUEUE_SIZE", "32"))


def models_panel(studio: Studio, first: dict) -> SimpleNamespace:
    """Preset, guider and per-model quantization pickers, the preset's note and the status line."""
    with gr.Row(equal_height=True):
        preset = gr.Dropdown(studio.manager.choices(), value=first["name"], label="Preset", scale=3, elem_id="preset")
        guider = gr.Dropdown(first["guiders"], value="", label="Guider (thinklogit-dpo = ThinkLogit-DPO)",
                             scale=2, elem_id="guider")
        quant = {role: gr.Dropdown(list(QUANTIZATIONS), value=first["quantization"][role],
                                   label=f"{role.capitalize()} quantization", scale=1)
                 for role in ("target", "guider", "base")}
    note = gr.Markdown(events.preset_note(first))
    status = gr.Markdown(studio.status_line(), elem_id="status")
    return SimpleNamespace(preset=preset, guider=guider, quant=list(quant.values()), note=note, status=status)


def settings_panel(form: dict) -> SimpleNamespace:
    """The decoding settings, in the order the form dict (validation.form_values) names them."""
    with gr.Accordion("Decoding settings (defaults: the preset's, after the paper)", open=False):
        with gr.Row():
            alpha = gr.Slider(*ALPHA_RANGE, value=form["alpha"], step=0.05, label="alpha (steering strength)")
            schedule = gr.Radio([(label, kind) for kind, label in SCHEDULE_LABELS.items()], value=form["schedule"],
                             label="alpha schedule")
            schedule_n = gr.Number(value=form["schedule_n"], precision=0, minimum=1,
                                   label="N (warm-up / ramp tokens)")
        with gr.Row():
            temperature = gr.Slider(*TEMPERATURE_RANGE, value=form["temperature"], step=0.05,
                                    label="temperature (0 = greedy)")
            top_p = gr.Slider(0.05, 1.0, value=form["top_p"], step=0.01, label="top-p")
            max_new_tokens = gr.Slider(1, MAX_NEW_TOKENS, value=form["max_new_tokens"], step=1,
                                       label="max new tokens")
            seed = gr.Number(value=form["seed"], precision=0, minimum=0, label="seed")
    fields = dict(alpha=alpha, schedule=schedule, schedule_n=schedule_n, temperature=temperature, top_p=top_p,
                  max_new_tokens=max_new_tokens, seed=seed)
    return SimpleNamespace(fields=fields, inputs=list(fields.values()))


def stream_column(title: str, name: str) -> SimpleNamespace:
    """One stream's text, its statistics line and its answer badge."""
    with gr.Column():
        gr.Markdown(f"### {title}")
        text = gr.Textbox(lines=12, max_lines=24, show_label=False, autoscroll=True, elem_id=f"{name}-text")
        stats = gr.Markdown(elem_id=f"{name}-stats")
        badge = gr.Markdown(elem_id=f"{name}-badge")
    return SimpleNamespace(text=text, stats=stats, badge=badge)


def inspector_panel() -> SimpleNamespace:
    """One step of the guided stream: the formula term by term, what the target wanted, what the
    guider pair pushed, what was picked; and two forks from that token."""
    with gr.Accordion("Inspect one token (click a token above, or pick its step)", open=True):
        step = gr.Slider(0, 1, value=0, step=1, label="step (generated token)", elem_id="step")
        summary = gr.Markdown(elem_id="step-summary")
        formula = gr.Dataframe(headers=TABLE_HEADERS["formula"], interactive=False, elem_id="formula",
                               label="guided = target + α·(guider − base), for the written token and the target's "
                                     "own pick")
        with gr.Row():
            target = gr.Dataframe(headers=TABLE_HEADERS["target"], label="What the target wanted (top-5)",
                                  interactive=False)
            pushed = gr.Dataframe(headers=TABLE_HEADERS["pushed"], interactive=False,
                                  label="What α·(guider − base) pushed up / down (special tokens no model writes "
                                        "left out)")
            guided = gr.Dataframe(headers=TABLE_HEADERS["guided"], label="What was picked (guided top-5)",
                                  interactive=False)
        fork = fork_panel()
    return SimpleNamespace(step=step, summary=summary, formula=formula, target=target, pushed=pushed, guided=guided,
                           fork=fork)


def fork_panel() -> SimpleNamespace:
    """What one nudge sets off: replay the prompt guided only up to this token, or with the other
    candidate forced here, beside the full run."""
    with gr.Row():
        stop_after = gr.Button("Stop guiding after this token", size="sm", elem_id="fork-stop")
        force = gr.Button("Force the other candidate here", size="sm", elem_id="fork-force")
    summary = gr.Markdown(elem_id="fork-summary")
    with gr.Row(equal_height=False):
        full = gr.Textbox(label="Full run (guided throughout)", lines=6, max_lines=12, elem_id="fork-full")
        forked = gr.Textbox(label="The fork", lines=6, max_lines=12, elem_id="fork-text")
    badge = gr.Markdown(elem_id="fork-badge")
    return SimpleNamespace(stop_after=stop_after, force=force, summary=summary, full=full, text=forked, badge=badge)


def steering_panel() -> SimpleNamespace:
    """Where the guider steers: the flip headline, the clickable heatmap on a fixed colour
    scale with its numbered bar, the per-token chart and a note on reading them."""
    gr.Markdown("### Where the guider steers")
    headline = gr.Markdown(elem_id="headline")
    heatmap = gr.HTML(steering.heatmap_html([]), css_template=steering.CSS, js_on_load=steering.CLICK_JS,
                      elem_id="heatmap")
    gr.HTML(steering.colour_bar_html(), css_template=steering.CSS, js_on_load=None, elem_id="colour-bar")
    gr.Markdown(LEGEND)
    chart = gr.Plot(show_label=False, elem_id="chart")
    with gr.Accordion("Reading this chart", open=False):
        gr.Markdown(READING)
    return SimpleNamespace(headline=headline, heatmap=heatmap, chart=chart)


def alphas_panel() -> SimpleNamespace:
    """What alpha does: this prompt at α 0..3 (one batched decode), a slider to scrub through
    the answers, a strip of which alphas answer correctly."""
    with gr.Accordion("What α does: this prompt at α 0 to 3", open=False):
        button = gr.Button("Decode this prompt at 13 alphas (one batched decode)", size="sm", elem_id="grid-run")
        strip = gr.HTML("", css_template=steering.CSS, js_on_load=None, elem_id="grid-strip")
        alpha = gr.Slider(0, 3, value=1, step=0.25, label="α (scrub through the grid)", elem_id="grid-alpha")
        summary = gr.Markdown(elem_id="grid-summary")
        heatmap = gr.HTML("", css_template=steering.CSS, js_on_load=None, elem_id="grid-heatmap")
    return SimpleNamespace(button=button, strip=strip, alpha=alpha, summary=summary, heatmap=heatmap,
                           state=gr.State({}))


def generate_tab(first: dict) -> SimpleNamespace:
    prompt = gr.Textbox(label="Prompt", lines=3, placeholder="Type a question or click an example", elem_id="prompt")
    sent = gr.Textbox(label="Text sent to the models (the preset's prompt template filled in)", lines=2,
                      max_lines=8, interactive=False, elem_id="text-sent")
    examples = gr.Dataset(components=[gr.Textbox(visible=False), gr.Textbox(visible=False)],
                          headers=["example prompt", "reference answer"], label="Examples",
                          samples=events.example_rows(first), samples_per_page=6, layout="table",
                          elem_id="examples")
    settings = settings_panel(first["form"])
    with gr.Row():
        run = gr.Button("Run", variant="primary", elem_id="run")
        stop = gr.Button("Stop", variant="stop", elem_id="stop")
    with gr.Row(equal_height=False):
        baseline = stream_column("Target alone", "baseline")
        guided = stream_column("Target + ThinkLogit", "guided")
    steer = steering_panel()
    inspector = inspector_panel()
    alphas = alphas_panel()
    export = gr.DownloadButton("Download the run's trace (JSON)", value=None, elem_id="export")
    return SimpleNamespace(prompt=prompt, sent=sent, examples=examples, settings=settings, run=run, stop=stop,
                           baseline=baseline, guided=guided, headline=steer.headline, heatmap=steer.heatmap,
                           chart=steer.chart, inspector=inspector, alphas=alphas,
                           export=export, state=gr.State({}))


def evaluate_tab() -> SimpleNamespace:
    gr.Markdown("Greedy pass@1 on held-out problems of the preset: target alone, base alone, guider "
                "alone and ThinkLogit with the preset's own guider, plus accuracy across alpha and a "
                "column per guider variant (e.g. ThinkLogit-DPO).")
    with gr.Row():
        n = gr.Slider(1, EVAL_MAX_N, value=50, step=1, label="held-out problems", elem_id="eval-n")
        alphas = gr.Textbox(value="0.5, 1, 1.5, 2", label="alphas to sweep", elem_id="eval-alphas")
        button = gr.Button("Evaluate", variant="primary", elem_id="evaluate")
    summary = gr.Markdown(elem_id="eval-summary")
    table = gr.Dataframe(headers=["decoding", "pass@1", "%"], interactive=False, label="pass@1", elem_id="eval-table")
    with gr.Row():
        bars = gr.Plot(show_label=False, elem_id="eval-bars")
        sweep = gr.Plot(show_label=False, elem_id="eval-sweep")
    with gr.Accordion("Raw result (JSON)", open=False):
        raw = gr.JSON()
    return SimpleNamespace(n=n, alphas=alphas, button=button, summary=summary, table=table, bars=bars,
                           sweep=sweep, raw=raw)


def learn_tab() -> SimpleNamespace:
    gr.Markdown(HOW_IT_WORKS, latex_delimiters=[{"left": "$$", "right": "$$", "display": True}])
    gr.Markdown("#### A worked example from your last run")
    worked = gr.Markdown("_Run a prompt: a worked example from its numbers appears here._", elem_id="worked")
    return SimpleNamespace(worked=worked)


def build_app(studio: Studio | None = None, preload: bool = True) -> gr.Blocks:
    studio = studio or Studio()
    first = studio.preset_view(None)
    if preload and first["loadable"]:
        studio.load(first["name"])
    with gr.Blocks(title="ThinkLogit Studio", delete_cache=(1800, 3600)) as demo:  # exported traces: an hour
        gr.Markdown(INTRO)
        models = models_panel(studio, first)
        with gr.Tabs():
            with gr.Tab("Generate", id="generate"):
                generate = generate_tab(first)
            with gr.Tab("Evaluate", id="evaluate"):
                evaluation = evaluate_tab()
            with gr.Tab("How it works", id="learn"):
                learn = learn_tab()
        events.wire_models(studio, models, generate)
        events.wire_generate(studio, models, generate, learn, GENERATE_CONCURRENCY)
        events.wire_steering(studio, models, generate)
        events.wire_evaluate(studio, models, evaluation)
        gr.on([generate.prompt.change, models.preset.change], studio.text_sent, [models.preset, generate.prompt],
              generate.sent, api_visibility="private", queue=False)
        demo.load(studio.status_line, None, models.status, api_visibility="private")
        api.register(studio, GENERATE_CONCURRENCY)
    demo.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=1)
    demo.studio = studio
    return demo
