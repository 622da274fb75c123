"""The steering views as HTML: the clickable heatmap (one span per guided token, coloured by
guided - target probability on a fixed scale, flips outlined, its top-5 tables as a tooltip),
the numbered colour bar, and the alpha scrubber's strip. Pure functions over trace records
and alpha-grid results; the numbers are views.py's."""
from __future__ import annotations

import html
import re

from ..core.trace import StepTrace
from .i18n import text
from .tips import info, titled
from .views import STEERED_MARK, display_token, hover_text, prob_change

UP, DOWN = (214, 39, 40), (31, 119, 180)  # red: guidance made the token likelier; blue: less likely
TICKS = (-1.0, -0.5, 0.0, 0.5, 1.0)

# Clicking a token (any element with data-step) sends its step to Python as the HTML's click event.
TOKEN_CLICK_JS = ("element.addEventListener('click', (e) => { const t = e.target.closest('[data-step]'); "
                  "if (t) trigger('click', {step: Number(t.dataset.step)}); });")
# Clicking a bar (or a flip's triangle) of the per-token chart sends its step the same way. Gradio's
# Plot fires no click event, so Plotly's own `plotly_click` is listened to on the plot's div. That div
# may be redrawn or replaced on every run, so the listener is (re)armed on each pointerdown inside
# #chart, which comes before Plotly's click; the previous arming (this code running again) is undone.
BAR_CLICK_JS = """
const previous = window.thinklogitBarClick || {};
if (previous.arm) document.removeEventListener('pointerdown', previous.arm, true);
const onBar = (data) => {
  const point = data && data.points && data.points[0];
  if (point && Number.isFinite(Number(point.x))) trigger('click', {step: Number(point.x)});
};
const arm = (e) => {
  const plot = e.target.closest && e.target.closest('#chart .js-plotly-plot');
  if (!plot || typeof plot.on !== 'function') return;
  if (previous.onBar) plot.removeListener('plotly_click', previous.onBar);
  plot.removeListener('plotly_click', onBar);
  plot.on('plotly_click', onBar);
};
window.thinklogitBarClick = {arm, onBar};
document.addEventListener('pointerdown', arm, true);
"""
CLICK_JS = TOKEN_CLICK_JS + BAR_CLICK_JS  # the heatmap's js_on_load: both send {step} as its click

CSS = """
.tl-heat { font-family: var(--font-mono); font-size: 13px; line-height: 2.1; white-space: pre-wrap; }
.tl-heat .tok { cursor: pointer; border-radius: 3px; padding: 1px 0; }
.tl-heat .tok:hover { outline: 1px solid var(--body-text-color); }
.tl-heat .tok.flip { outline: 2px solid var(--body-text-color); font-weight: 700; padding: 1px 2px; }
.tl-heat .tok.focus { box-shadow: 0 3px 0 0 var(--color-accent); }
.tl-bar { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 10px; font-size: 12px; margin: 6px 0 2px; }
.tl-bar .ramp { flex: 0 0 220px; height: 12px; border-radius: 3px; border: 1px solid var(--border-color-primary);
  background: linear-gradient(to right, rgb(31,119,180), rgba(31,119,180,0) 50%, rgba(214,39,40,0) 50%, rgb(214,39,40)); }
.tl-bar .ticks { display: flex; justify-content: space-between; width: 220px; font-size: 11px; }
.tl-strip { display: flex; flex-wrap: wrap; gap: 4px; font-size: 12px; font-family: var(--font-mono); }
.tl-strip span { padding: 2px 6px; border-radius: 4px; border: 1px solid var(--border-color-primary); }
.tl-strip .ok { background: rgba(44,160,44,0.25); }
.tl-strip .bad { background: rgba(214,39,40,0.2); }
.tl-strip .now { outline: 2px solid var(--body-text-color); font-weight: 700; }
"""


def colour(change: float) -> str:
    """The fixed scale: -1 full blue, 0 transparent, +1 full red (the same for every run and alpha)."""
    rgb = UP if change > 0 else DOWN
    return f"rgba({rgb[0]},{rgb[1]},{rgb[2]},{min(abs(change), 1.0):.3f})"


def tooltip(record: StepTrace, lang: str = "en") -> str:
    """The token's hover text (step, probabilities, target top-5 vs guided top-5) as plain lines."""
    return html.unescape(re.sub(r"</?b>", "", hover_text(record, lang=lang).replace("<br>", "\n")))


def _span(step: int, token: str, change: float, flip: bool, title: str | None, focus: bool = False) -> str:
    text = display_token(token)
    if flip:
        text = text[:-1] + STEERED_MARK + "\n" if text.endswith("\n") else text + STEERED_MARK
    classes = "tok" + (" flip" if flip else "") + (" focus" if focus else "")
    tip = f' title="{html.escape(title)}"' if title else ""
    return (f'<span class="{classes}" data-step="{step}" data-change="{change:.4f}"{tip} '
            f'style="background:{colour(change)}">{html.escape(text)}</span>')


def heatmap_html(records: list[StepTrace], focus: int | None = None, tooltips: bool = True, lang: str = "en") -> str:
    """The guided text, one clickable span per token (data-step), coloured by guided - target
    probability of the written token; flips (written != the target's own top pick) outlined, ▴;
    with `tooltips`, hovering a token shows its target top-5 vs guided top-5."""
    if not records:
        return f'<div class="tl-heat"><em>{html.escape(text("heat.empty", lang))}</em></div>'
    spans = [_span(r.step, r.token, prob_change(r), r.steered and not r.forced, tooltip(r, lang) if tooltips else None,
                   r.step == focus) for r in records]
    return '<div class="tl-heat">' + "".join(spans) + "</div>"


def grid_heatmap_html(entry: dict, lang: str = "en") -> str:
    """One alpha of the grid as the same heatmap (its tooltips: the step and the probability
    change in words; the grid keeps no top-5 tables)."""
    flipped = {f["step"] for f in entry["flips"]}
    spans = [_span(i, token, change, i in flipped, text("tip.grid.token", lang, step=i, change=f"{change:+.3f}"))
             for i, (token, change) in enumerate(zip(entry["tokens"], entry["changes"]))]
    return '<div class="tl-heat">' + "".join(spans) + "</div>"


def tick_words(tick: float, lang: str = "en") -> str:
    """What a tick of the colour bar means, in words."""
    if tick == 0:
        return text("tip.tick.zero", lang)
    return text("tip.tick.up" if tick > 0 else "tip.tick.down", lang, value=f"{tick:+g}", points=f"{abs(tick) * 100:g}")


def colour_bar_html(lang: str = "en") -> str:
    """The numbered colour bar of the fixed scale, each tick's meaning on hover."""
    ticks = "".join(titled(f"{t:+g}", tick_words(t, lang)) for t in TICKS)
    return (f'<div class="tl-bar"><span>{html.escape(text("bar.label", lang))}</span>'
            f'<div><div class="ramp"></div><div class="ticks">{ticks}</div></div>'
            f'<span><b>{STEERED_MARK}</b> {html.escape(text("bar.flip", lang))}{info(text("tip.flips", lang))}</span>'
            '</div>')


def chip_words(entry: dict, lang: str = "en") -> str:
    """One chip of the alpha strip in words: its alpha, what its mark means, its flips."""
    verdict = text({True: "tip.chip.correct", False: "tip.chip.incorrect"}.get(entry["correct"], "tip.chip.ungraded"),
                   lang)
    return text("tip.chip", lang, alpha=f"{entry['alpha']:g}", verdict=verdict, flips=len(entry["flips"]))


def alpha_strip_html(result: dict, current: float | None = None, lang: str = "en") -> str:
    """One chip per alpha of the grid: ✔ / ✘ against the reference (or the answer), its words on hover."""
    chips = []
    for entry in result.get("alphas", []):
        mark = {True: "✔", False: "✘"}.get(entry["correct"], entry["answer"] or "–")
        kind = {True: "ok", False: "bad"}.get(entry["correct"], "")
        now = " now" if current is not None and abs(entry["alpha"] - current) < 1e-9 else ""
        chips.append(f'<span class="{kind}{now}" title="{html.escape(chip_words(entry, lang))}">α {entry["alpha"]:g} '
                     f"{html.escape(str(mark))}</span>")
    return '<div class="tl-strip">' + "".join(chips) + "</div>"


def grid_summary(entry: dict, lang: str = "en") -> str:
    """One alpha of the grid in words: its answer, its verdict, its flips (what they mean on an ⓘ)."""
    verdict = {True: " " + text("card.correct", lang), False: " " + text("card.incorrect", lang)}.get(entry["correct"], "")
    flips = entry["flips"]
    where = text("flips.sep", lang).join(text("grid.flip", lang, step=f["step"], pick=_md(f["target_pick"]),
                                              token=_md(f["token"])) for f in flips[:4])
    return (text("grid.summary", lang, alpha=entry["alpha"], answer=entry["answer"], verdict=verdict,
                 tokens=len(entry["ids"]), flipped=len(flips))
            + (text("flips.colon", lang) + where + (" …" if len(flips) > 4 else "") if flips else "")
            + info(text("tip.grid", lang)))


def fork_summary(kind: str, step: int, full: dict, fork: dict, token: str | None = None, lang: str = "en") -> str:
    """What the fork changed: where its tokens leave the full run's, and both answers."""
    same = next((i for i, (a, b) in enumerate(zip(full["ids"], fork["ids"])) if a != b), None)
    if same is None and len(full["ids"]) == len(fork["ids"]):
        outcome = text("fork.same", lang)
    else:
        at = same if same is not None else min(len(full["ids"]), len(fork["ids"]))
        outcome = text("fork.leaves", lang, step=at)
    what = (text("fork.stop", lang, step=step) if kind == "stop"
            else text("fork.force", lang, step=step, token=_md(token or "")))
    return text("fork.summary", lang, what=what, tokens=len(fork["ids"]), outcome=outcome,
                full=full.get("answer"), fork=fork.get("answer"))


def _md(token: str) -> str:
    return repr(token)[1:-1].replace("`", "'")
