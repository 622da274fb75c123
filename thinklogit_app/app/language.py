"""The page's server-written parts in the visitor's language. Labels and fixed texts are
gr.I18n's (translated in the browser); what the server writes into the page when it is built
(the preset's note, the status line, dropdown and radio choices, table headers, the empty
heatmap, the colour bar and the empty chart) is written again on load in the visitor's
language, and again, with the run on screen, when Gradio's Settings switch the page's
language (showcase.JS sets a cookie that showcase.lang_of reads, and clicks #relocalize)."""
from __future__ import annotations

import gradio as gr

from ..evaluation.record import gallery
from ..models.presets import QUANTIZATIONS
from ..validation import SCHEDULE_LABELS
from . import events, showcase, steering, views
from .handlers import Studio
from .i18n import text
from .plots import token_chart
from .showcase import lang_of
from .views import chart_series, table_headers

INSPECTOR_TABLES = ("formula", "target", "pushed", "guided")


def quantization_choices(lang: str) -> list[tuple[str, str]]:
    return [(text("quant.none", lang) if mode == "none" else mode, mode) for mode in QUANTIZATIONS]


def schedule_choices(lang: str) -> list[tuple[str, str]]:
    return [(text(f"schedule.{kind}", lang), kind) for kind in SCHEDULE_LABELS]


def replay_label(label: str, lang: str) -> str:
    """A gallery run's label (prompt · preset · guider · schedule) with its schedule kind in `lang`."""
    head, sep, schedule = label.rpartition(" · ")
    kind, colon, n = schedule.partition(":")
    if not sep or kind not in SCHEDULE_LABELS:
        return label
    return f"{head}{sep}{text(f'schedule.{kind}', lang)}{colon}{n}"


def replay_choices(lang: str) -> list[tuple[str, str]]:
    return [(replay_label(label, lang), path) for label, path in gallery()]


def static_parts(studio: Studio, models, generate, colour_bar, preset, lang: str) -> dict:
    """What the server wrote when the page was built and no run changes: the preset's note, the
    status line, the choices, the colour bar."""
    view = studio.preset_view(preset)
    out = {models.note: events.preset_note(view, lang), models.status: studio.status_line(lang),
           models.guider: gr.Dropdown(choices=events.guider_choices(view, lang)),
           generate.settings.fields["schedule"]: gr.Radio(choices=schedule_choices(lang)),
           colour_bar: steering.colour_bar_html(lang), generate.replay.shipped: gr.Dropdown(choices=replay_choices(lang))}
    return out | {dropdown: gr.Dropdown(choices=quantization_choices(lang)) for dropdown in models.quant}


def empty_views(generate, lang: str) -> dict:
    """The run's views before any run: the empty heatmap and chart, the tables' headers."""
    inspector = generate.inspector
    return ({generate.heatmap: steering.heatmap_html([], lang=lang),
             generate.chart: token_chart(chart_series([], lang), lang)}
            | {getattr(inspector, name): {"headers": table_headers(name, lang), "data": []} for name in INSPECTOR_TABLES})


def wire_page_language(demo: gr.Blocks, studio: Studio, models, generate, learn, evaluation, colour_bar) -> None:
    """On load: every part the server wrote when the page was built, again in the visitor's
    language. When Gradio's Settings switch the page's language, the page's JS (showcase.JS)
    clicks the hidden #relocalize: the same parts, and the run on screen, again in that language."""
    inspector = generate.inspector

    def loaded(preset, request: gr.Request):
        lang = lang_of(request)
        return (static_parts(studio, models, generate, colour_bar, preset, lang) | empty_views(generate, lang)
                | {evaluation.table: {"headers": events.eval_headers(lang), "data": []}})

    def switched(preset, state, step, request: gr.Request):
        lang = lang_of(request)
        out = static_parts(studio, models, generate, colour_bar, preset, lang)
        record = (state or {}).get("record")
        if not record:
            return out | empty_views(generate, lang)
        panel = studio.replay(views.export_json(record), lang)  # the run on screen, written again
        inspected = studio.inspect(panel["records"], step, lang)
        out |= events.run_panel(generate, learn, panel) | showcase.verdict_values(studio, generate.verdict, record, lang)
        out[inspector.step] = gr.Slider(maximum=max(panel["steps"], 1), value=step)  # the step the visitor chose
        return out | {inspector.summary: inspected["summary"]} | {
            getattr(inspector, name): {"headers": table_headers(name, lang), "data": inspected[name]}
            for name in INSPECTOR_TABLES}

    static = [models.note, models.status, models.guider, *models.quant, generate.settings.fields["schedule"],
              colour_bar, generate.replay.shipped]
    tables = [getattr(inspector, name) for name in INSPECTOR_TABLES]
    demo.load(loaded, models.preset, static + [generate.heatmap, generate.chart, evaluation.table] + tables,
              api_visibility="private", queue=False)
    again = gr.Button("⟳", elem_id="relocalize", size="sm")  # hidden (showcase.CSS)
    outputs = list(dict.fromkeys(static + tables + events.run_outputs(generate, learn) + [
        generate.verdict.card, generate.verdict.export, inspector.summary]))
    again.click(switched, [models.preset, generate.state, inspector.step], outputs, api_visibility="private",
                queue=False)
