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
from ..evaluation.evaluate import DEFAULT_ALPHAS
from . import api, events, language, showcase, steering, tips
from .handlers import EVAL_MAX_N, Studio
from .i18n import tables
from .plots import token_chart
from .views import TABLE_HEADERS, chart_series

GENERATE_CONCURRENCY = int(os.environ.get("THINKLOGIT_CONCURRENCY", "2"))
QUEUE_MAX_SIZE = int(os.environ.get("THINKLOGIT_QUEUE_SIZE", "32"))
L = gr.I18n(**tables())  # every label in English and Japanese; the browser's language picks (launch(i18n=L))


def models_panel(studio: Studio, first: dict) -> SimpleNamespace:
    """Preset, guider and per-model quantization pickers, the preset's note and the status line."""
    with gr.Row(equal_height=True):
        preset = gr.Dropdown(studio.manager.choices(), value=first["name"], label=L("ui.preset"), scale=3,
                             elem_id="preset")
        guider = gr.Dropdown(events.guider_choices(first), value="", label=L("ui.guider"), scale=2, elem_id="guider")
        with gr.Column(scale=3):
            with gr.Accordion(L("ui.advanced.models"), open=False, elem_id="advanced-models"):
                with gr.Row():
                    quant = {role: gr.Dropdown(list(QUANTIZATIONS), value=first["quantization"][role],
                                               label=L(f"ui.quant.{role}"), min_width=100)
                             for role in ("target", "guider", "base")}
    note = gr.Markdown(events.preset_note(first))  # these and the choices: in the visitor's language on load
    status = gr.Markdown(studio.status_line(), elem_id="status")
    return SimpleNamespace(preset=preset, guider=guider, quant=list(quant.values()), note=note, status=status)


def settings_panel(form: dict, token_limit: int = MAX_NEW_TOKENS) -> SimpleNamespace:
    """The decoding settings, in the order the form dict (validation.form_values) names them;
    max new tokens up to what the loaded models hold."""
    with gr.Accordion(L("ui.advanced.decoding"), open=False, elem_id="advanced-decoding"):
        with gr.Row():
            alpha = gr.Slider(*ALPHA_RANGE, value=form["alpha"], step=0.05, label=L("ui.alpha"))
            schedule = gr.Radio([(label, kind) for kind, label in SCHEDULE_LABELS.items()], value=form["schedule"],
                                label=L("ui.schedule"))
            schedule_n = gr.Number(value=form["schedule_n"], precision=0, minimum=1, label=L("ui.schedule_n"))
        with gr.Row():
            temperature = gr.Slider(*TEMPERATURE_RANGE, value=form["temperature"], step=0.05,
                                    label=L("ui.temperature"))
            top_p = gr.Slider(0.05, 1.0, value=form["top_p"], step=0.01, label=L("ui.top_p"))
            max_new_tokens = gr.Slider(1, token_limit, value=min(form["max_new_tokens"], token_limit), step=1,
                                       label=L("ui.max_new_tokens"), elem_id="max-new-tokens")
            seed = gr.Number(value=form["seed"], precision=0, minimum=0, label=L("ui.seed"))
    fields = dict(alpha=alpha, schedule=schedule, schedule_n=schedule_n, temperature=temperature, top_p=top_p,
                  max_new_tokens=max_new_tokens, seed=seed)
    return SimpleNamespace(fields=fields, inputs=list(fields.values()))


def stream_column(name: str) -> SimpleNamespace:
    """One stream's text, its statistics line and its answer badge."""
    with gr.Column(min_width=300):
        gr.Markdown(L(f"ui.stream.{name}"))
        text = gr.Textbox(lines=4, max_lines=24, show_label=False, autoscroll=True, elem_id=f"{name}-text")
        stats = gr.Markdown(elem_id=f"{name}-stats")
        badge = gr.Markdown(elem_id=f"{name}-badge")
    return SimpleNamespace(text=text, stats=stats, badge=badge)


def inspector_panel() -> SimpleNamespace:
    """One step of the guided stream: the formula term by term, what the target wanted, what the
    guider pair pushed, what was picked; and two forks from that token."""
    with gr.Accordion(L("ui.inspect"), open=True):
        step = gr.Slider(0, 1, value=0, step=1, label=L("ui.step"), elem_id="step")
        summary = gr.Markdown(elem_id="step-summary")
        formula = gr.Dataframe(headers=TABLE_HEADERS["formula"], interactive=False, elem_id="formula",
                               label=L("ui.formula"), buttons=[])  # (Gradio's table buttons say English only)
        gr.Markdown(L("tip.formula"), elem_classes=[tips.LEGEND])
        with gr.Row():
            target = gr.Dataframe(headers=TABLE_HEADERS["target"], label=L("ui.table.target"),
                                  interactive=False, buttons=[])
            pushed = gr.Dataframe(headers=TABLE_HEADERS["pushed"], interactive=False, label=L("ui.table.pushed"),
                                  buttons=[])
            guided = gr.Dataframe(headers=TABLE_HEADERS["guided"], label=L("ui.table.guided"),
                                  interactive=False, buttons=[])
        gr.Markdown(L("tip.tables"), elem_classes=[tips.LEGEND])
        fork = fork_panel()
        compare = compare_panel()
    return SimpleNamespace(step=step, summary=summary, formula=formula, target=target, pushed=pushed, guided=guided,
                           fork=fork, compare=compare)


def compare_panel() -> SimpleNamespace:
    """The preset's guider and its ThinkLogit-DPO variant: what each pushes at this step."""
    button = gr.Button(L("ui.compare"), size="sm", elem_id="compare-guiders")
    summary = gr.Markdown(elem_id="compare-summary")
    table = gr.Dataframe(interactive=False, elem_id="compare-table", visible=False, buttons=[])
    return SimpleNamespace(button=button, summary=summary, table=table)


def fork_panel() -> SimpleNamespace:
    """What one nudge sets off: replay the prompt guided only up to this token, or with the other
    candidate forced here, beside the full run."""
    with gr.Row():
        stop_after = gr.Button(L("ui.fork.stop"), size="sm", elem_id="fork-stop")
        force = gr.Button(L("ui.fork.force"), size="sm", elem_id="fork-force")
    summary = gr.Markdown(elem_id="fork-summary")
    with gr.Row(equal_height=False):
        full = gr.Textbox(label=L("ui.fork.full"), lines=6, max_lines=12, elem_id="fork-full")
        forked = gr.Textbox(label=L("ui.fork.text"), lines=6, max_lines=12, elem_id="fork-text")
    badge = gr.Markdown(elem_id="fork-badge")
    return SimpleNamespace(stop_after=stop_after, force=force, summary=summary, full=full, text=forked, badge=badge)


def steering_panel() -> SimpleNamespace:
    """Where the guider steers: the flip headline, the clickable heatmap on a fixed colour
    scale with its numbered bar, the per-token chart and a note on reading them."""
    gr.Markdown(L("ui.where"))
    headline = gr.Markdown(elem_id="headline")
    heatmap = gr.HTML(steering.heatmap_html([]), css_template=steering.CSS, js_on_load=steering.CLICK_JS,
                      elem_id="heatmap")
    colour_bar = gr.HTML(steering.colour_bar_html(), css_template=steering.CSS, js_on_load=None,
                         elem_id="colour-bar")  # in the visitor's language once the page loads
    gr.Markdown(L("md.legend"))
    chart = gr.Plot(token_chart(chart_series([])), show_label=False, elem_id="chart")  # plotly loads with the page
    gr.Markdown(L("tip.chart"), elem_classes=[tips.LEGEND], elem_id="chart-legend")
    with gr.Accordion(L("ui.reading"), open=False, elem_id="reading"):
        gr.Markdown(L("md.reading"))
    return SimpleNamespace(headline=headline, heatmap=heatmap, colour_bar=colour_bar, chart=chart)


def alphas_panel() -> SimpleNamespace:
    """What alpha does: this prompt at α 0..3 (one batched decode), a slider to scrub through
    the answers, a strip of which alphas answer correctly."""
    with gr.Accordion(L("ui.grid"), open=False, elem_id="alpha-grid"):
        button = gr.Button(L("ui.grid.run"), size="sm", elem_id="grid-run")
        strip = gr.HTML("", css_template=steering.CSS, js_on_load=None, elem_id="grid-strip")
        alpha = gr.Slider(0, 3, value=1, step=0.25, label=L("ui.grid.alpha"), info=L("tip.grid.alpha"),
                          elem_id="grid-alpha")
        summary = gr.Markdown(elem_id="grid-summary")
        heatmap = gr.HTML("", css_template=steering.CSS, js_on_load=None, elem_id="grid-heatmap")
    return SimpleNamespace(button=button, strip=strip, alpha=alpha, summary=summary, heatmap=heatmap,
                           state=gr.State({}))


def generate_tab(first: dict, token_limit: int = MAX_NEW_TOKENS) -> SimpleNamespace:
    """The prompt (an example already in it, the task's format under it) with Run beside it, so
    the first screen can show the effect; settings and replays folded; then the two streams,
    the verdict card, the heatmap, the chart and the inspector."""
    with gr.Row(equal_height=True):
        prompt = gr.Textbox(first["examples"][0]["prompt"] if first["examples"] else "", label=L("ui.prompt"),
                            lines=1, max_lines=8, placeholder=L("ui.prompt.placeholder"),  # 1: Enter runs
                            info=L(showcase.format_key(first.get("task"))), elem_id="prompt", scale=5)
        with gr.Column(scale=1, min_width=120):
            run = gr.Button(L("ui.run"), variant="primary", elem_id="run")
            stop = gr.Button(L("ui.stop"), variant="stop", elem_id="stop", interactive=False)
    warning = gr.Markdown(elem_id="prompt-warning")
    sent = gr.Textbox(label=L("ui.sent"), lines=1, max_lines=8, interactive=False, elem_id="text-sent")
    examples = gr.Dataset(components=[gr.Textbox(visible=False), gr.Textbox(visible=False)],
                          label=L("ui.examples"),  # (gr.Dataset headers are not translated: the label says both)
                          samples=events.example_rows(first), samples_per_page=3, layout="table",
                          elem_id="examples")
    settings = settings_panel(first["form"], token_limit)
    replay = showcase.replay_panel(L)
    with gr.Row(equal_height=False):
        baseline = stream_column("baseline")
        guided = stream_column("guided")
    verdict = showcase.verdict_panel(L)
    steer = steering_panel()
    inspector = inspector_panel()
    alphas = alphas_panel()
    export = gr.DownloadButton(L("ui.export"), value=None, elem_id="export")
    return SimpleNamespace(prompt=prompt, sent=sent, warning=warning, examples=examples, settings=settings, replay=replay,
                           verdict=verdict, run=run, stop=stop,
                           baseline=baseline, guided=guided, headline=steer.headline, heatmap=steer.heatmap,
                           colour_bar=steer.colour_bar,
                           chart=steer.chart, inspector=inspector, alphas=alphas,
                           export=export, state=gr.State({}))


def evaluate_tab() -> SimpleNamespace:
    gr.Markdown(L("ui.eval.intro"))
    with gr.Row():
        n = gr.Slider(1, EVAL_MAX_N, value=50, step=1, label=L("ui.eval.n"), elem_id="eval-n")
        alphas = gr.Textbox(value=", ".join(f"{a:g}" for a in DEFAULT_ALPHAS), label=L("ui.eval.alphas"),
                            elem_id="eval-alphas")
        button = gr.Button(L("ui.eval.button"), variant="primary", elem_id="evaluate")
    summary = gr.Markdown(elem_id="eval-summary")
    table = gr.Dataframe(headers=events.eval_headers("en"), interactive=False, label=L("ui.eval.table"),
                         elem_id="eval-table", wrap=True, buttons=[])  # headers: the visitor's language on load
    gr.Markdown(L("tip.eval.table"), elem_classes=[tips.LEGEND])
    with gr.Row():
        bars = gr.Plot(show_label=False, elem_id="eval-bars")
        sweep = gr.Plot(show_label=False, elem_id="eval-sweep")
    with gr.Accordion(L("ui.eval.raw"), open=False):
        raw = gr.JSON()
    export = gr.DownloadButton(L("ui.verdict.export"), value=None, elem_id="eval-export", size="sm")
    return SimpleNamespace(n=n, alphas=alphas, button=button, summary=summary, table=table, bars=bars,
                           sweep=sweep, raw=raw, export=export)


def learn_tab() -> SimpleNamespace:
    gr.Markdown(L("md.how"), latex_delimiters=[{"left": "$$", "right": "$$", "display": True}])
    gr.Markdown(L("ui.worked.title"))
    worked = gr.Markdown(L("ui.worked.empty"), elem_id="worked")
    return SimpleNamespace(worked=worked)


def build_app(studio: Studio | None = None, preload: bool = True) -> gr.Blocks:
    studio = studio or Studio()
    first = studio.preset_view(None)
    token_limit = MAX_NEW_TOKENS
    if preload and first["loadable"]:
        studio.load(first["name"])
        token_limit = studio.token_limit(first["name"])  # what the loaded trio holds; a preset change sets it anew
    with gr.Blocks(title="ThinkLogit Studio", delete_cache=(1800, 3600)) as demo:  # exported traces: an hour
        gr.Markdown(L("md.intro"), elem_id="intro")
        models = models_panel(studio, first)
        with gr.Tabs():
            with gr.Tab(L("ui.tab.generate"), id="generate"):
                generate = generate_tab(first, token_limit)
            with gr.Tab(L("ui.tab.evaluate"), id="evaluate"):
                evaluation = evaluate_tab()
            with gr.Tab(L("ui.tab.learn"), id="learn"):
                learn = learn_tab()
        gr.Markdown(L("ui.language"), elem_id="language-note")
        events.wire_models(studio, models, generate)
        events.wire_generate(studio, models, generate, learn, GENERATE_CONCURRENCY)
        events.wire_steering(studio, models, generate, GENERATE_CONCURRENCY)
        events.wire_evaluate(studio, models, evaluation, GENERATE_CONCURRENCY)
        gr.on([generate.prompt.change, models.preset.change], studio.text_sent, [models.preset, generate.prompt],
              generate.sent, api_visibility="private", queue=False)
        showcase.wire_replay(studio, generate, learn, generate.verdict, generate.replay, events.run_panel,
                             events.run_outputs)
        showcase.wire_first_screen(studio, models, generate)
        language.wire_page_language(demo, studio, models, generate, learn, evaluation, generate.colour_bar)
        api.register(studio, GENERATE_CONCURRENCY)
    # api_open=False: a queued endpoint cannot be called past the queue (POST /gradio_api/run/NAME)
    demo.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=1, api_open=False)
    demo.studio = studio
    return demo
