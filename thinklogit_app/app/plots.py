"""Plotly figures from analysis output (the numbers come from analysis; this file only draws)."""
from __future__ import annotations

import plotly.graph_objects as go

from .i18n import text

STEER_COLOUR = "#d62728"
DELTA_COLOUR = "#1f77b4"
KL_COLOUR = "#ff7f0e"
# Transparent backgrounds, mid-grey text and translucent grid lines: the page's own background
# shows through, so a figure reads the same in the light and the dark theme.
NEUTRAL_TEXT = "#8a8f98"
GRID = "rgba(138, 143, 152, 0.25)"
THEMELESS = {
    "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)", "font": {"color": NEUTRAL_TEXT},
}


def _themeless(fig: go.Figure) -> go.Figure:
    fig.update_layout(**THEMELESS)
    fig.update_xaxes(gridcolor=GRID, zerolinecolor=GRID, linecolor=GRID)
    fig.update_yaxes(gridcolor=GRID, zerolinecolor=GRID, linecolor=GRID)
    return fig


def token_chart(series: dict, lang: str = "en") -> go.Figure:
    """Per guided token: how much guidance changed the chosen token's probability (bars,
    guided - target, on a fixed -1..1 axis so runs compare), KL(guided || target) (line,
    right axis), flips marked; hovering a step's column shows target top-5 vs guided top-5, and
    clicking it opens the inspector there (steering.BAR_CLICK_JS)."""
    steered = [i for i, s in enumerate(series["steered"]) if s]
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=series["step"], y=series["change"], name=text("chart.bars", lang),
        marker_color=DELTA_COLOUR, hovertext=series["hover"], hoverinfo="text",
    ))
    fig.add_trace(go.Scatter(
        x=series["step"], y=series["kl"], name=text("chart.kl", lang), mode="lines",
        line={"color": KL_COLOUR, "width": 1.5}, yaxis="y2", hoverinfo="skip",
    ))
    fig.add_trace(go.Scatter(
        x=[series["step"][i] for i in steered], y=[series["change"][i] for i in steered],
        name=text("chart.flips", lang), mode="markers",
        marker={"color": STEER_COLOUR, "symbol": "triangle-up", "size": 12, "line": {"color": "black", "width": 1}},
        hoverinfo="skip",  # its bar's hover says the same
    ))
    fig.update_layout(  # hovermode "x": the whole column of a step hovers (and clicks) its bar, flat bars too
        height=320, margin={"l": 50, "r": 50, "t": 30, "b": 40}, bargap=0.05, hovermode="x",
        xaxis={"title": text("chart.x", lang)},
        yaxis={"title": text("chart.y", lang), "zeroline": True, "range": [-1.05, 1.05]},
        yaxis2={"title": text("chart.y2", lang), "overlaying": "y", "side": "right", "rangemode": "tozero", "showgrid": False},
        legend={"orientation": "h", "y": -0.22, "x": 0},  # under the axis, clear of the toolbar on a phone
        hoverlabel={"font": {"family": "monospace", "size": 11}, "align": "left"},
    )
    fig.update_layout(margin={"l": 50, "r": 50, "t": 20, "b": 80})
    return _themeless(fig)


def accuracy_bars(accuracy: dict[str, float], ci95: dict[str, list[float]] | None = None,
                  labels: dict[str, str] | None = None) -> go.Figure:
    """pass@1 per way of decoding, over whatever keys the evaluation returned; whiskers are the
    95% intervals when given, `labels` the plain names shown under the bars."""
    names = list(accuracy)
    values = [accuracy[n] for n in names]
    error = None
    if ci95:
        error = {"type": "data", "symmetric": False, "color": NEUTRAL_TEXT,
                 "array": [ci95[n][1] - accuracy[n] for n in names],
                 "arrayminus": [accuracy[n] - ci95[n][0] for n in names]}
    fig = go.Figure(go.Bar(
        x=[(labels or {}).get(n, n) for n in names], y=values, text=[f"{v:.1%}" for v in values],
        textposition="outside", error_y=error,
        marker_color=[STEER_COLOUR if n.startswith("thinklogit") else DELTA_COLOUR for n in names],
    ))
    fig.update_layout(height=320, margin={"l": 50, "r": 20, "t": 30, "b": 40},
                      yaxis={"title": "pass@1", "range": [0, 1.1], "tickformat": ".0%"})
    return _themeless(fig)


def alpha_sweep_line(sweep: dict[str, float], reference: dict[str, float] | None = None) -> go.Figure:
    """Accuracy vs alpha; dashed lines for the target and guider alone when given (keys: their labels)."""
    alphas = sorted(sweep, key=float)
    fig = go.Figure(go.Scatter(x=[float(a) for a in alphas], y=[sweep[a] for a in alphas],
                               mode="lines+markers", name="ThinkLogit", line={"color": STEER_COLOUR}))
    for (name, value), where in zip((reference or {}).items(), ("top left", "bottom right", "top right")):
        fig.add_hline(y=value, line_dash="dash", annotation_text=name, annotation_position=where)
    fig.update_layout(height=320, margin={"l": 50, "r": 20, "t": 30, "b": 40},
                      xaxis={"title": "alpha"}, yaxis={"title": "pass@1", "range": [0, 1.05], "tickformat": ".0%"})
    return _themeless(fig)
