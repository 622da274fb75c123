"""The page's server-written parts in the visitor's language. Labels and fixed texts are
gr.I18n's (translated in the browser); what the server writes into the page when it is built
(the preset's note, the status line, dropdown and radio choices, table headers, the empty
heatmap, the colour bar and the empty chart) is written again on load in the language of the
visitor's browser."""
from __future__ import annotations

import gradio as gr

from ..evaluation.record import gallery
from ..models.presets import QUANTIZATIONS
from ..validation import SCHEDULE_LABELS
from . import events, steering
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


def wire_page_language(demo: gr.Blocks, studio: Studio, models, generate, evaluation, colour_bar) -> None:
    """On load: every part the server wrote when the page was built, again in the visitor's language."""
    inspector = generate.inspector

    def loaded(preset, request: gr.Request):
        lang = lang_of(request)
        view = studio.preset_view(preset)
        out = {models.note: events.preset_note(view, lang), models.status: studio.status_line(lang),
               models.guider: gr.Dropdown(choices=events.guider_choices(view, lang)),
               generate.settings.fields["schedule"]: gr.Radio(choices=schedule_choices(lang)),
               generate.heatmap: steering.heatmap_html([], lang=lang), colour_bar: steering.colour_bar_html(lang),
               generate.chart: token_chart(chart_series([], lang), lang),
               generate.replay.shipped: gr.Dropdown(choices=replay_choices(lang)),
               evaluation.table: {"headers": events.eval_headers(lang), "data": []}}
        out |= {dropdown: gr.Dropdown(choices=quantization_choices(lang)) for dropdown in models.quant}
        out |= {getattr(inspector, name): {"headers": table_headers(name, lang), "data": []}
                for name in INSPECTOR_TABLES}
        return out

    outputs = [models.note, models.status, models.guider, *models.quant, generate.settings.fields["schedule"],
               generate.heatmap, colour_bar, generate.chart, generate.replay.shipped, evaluation.table,
               *(getattr(inspector, name) for name in INSPECTOR_TABLES)]
    demo.load(loaded, models.preset, outputs, api_visibility="private", queue=False)
