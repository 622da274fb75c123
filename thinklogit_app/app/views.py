"""What the app shows, computed from the engine's streams and traces.

Pure functions over plain objects (StepTrace records, stream dicts, settings): no
Gradio, no plotly. The UI, the API and the tests all read the same numbers from here.

    guided_logit = target_logit + alpha * (guider_logit - base_logit)

Per guided token the trace keeps `delta` = alpha * (guider - base) on the chosen token;
the heatmap colours tokens by it, the chart plots it with KL(guided || target).
"""
from __future__ import annotations

import json
import math

from ..evaluation.grading import extract_answer, is_correct
from ..evaluation.record import reference_for  # noqa: F401  (the app's reference answers)
from ..core.trace import StepTrace
from .i18n import TRANSLATIONS, text

NEWLINE_MARK = "\u21b5"  # ↵, so a newline token has a visible, colourable glyph
STEERED_MARK = "\u25b4"  # ▴ after a steered token, as the chart's triangle marks it
PAPER = "https://arxiv.org/abs/2507.12759"


# ---- answers -------------------------------------------------------------------------

def answer_badge(text: str, reference: str | None, done: bool) -> dict:
    """{"answer", "correct", "markdown"}: the extracted answer and its verdict once the stream is done."""
    if reference is None:
        return {"answer": None, "correct": None, "markdown": ""}
    if not done:
        return {"answer": None, "correct": None, "markdown": f"reference answer: `{reference}` · grading when done"}
    answer = extract_answer(text)
    if answer is None:
        return {"answer": None, "correct": False,
                "markdown": f"✘ **no answer found** (reference `{reference}`)"}
    correct = is_correct(text, reference)
    verdict = "✔ **correct**" if correct else "✘ **incorrect**"
    return {"answer": answer, "correct": correct,
            "markdown": f"answer `{answer}` · {verdict}" + ("" if correct else f" (reference `{reference}`)")}


def stream_stats(stream: dict) -> str:
    """One line under a column: token count, tokens/s, stop reason."""
    count = len(stream.get("ids", []))
    stop = stream.get("stop_reason") or "running…"
    return f"**{count}** tokens · **{stream.get('tokens_per_second', 0.0):.1f}** tok/s · stop: **{stop}**"


# ---- the heatmap ---------------------------------------------------------------------

def colour_scale(deltas: list[float]) -> float:
    """The |delta| that maps to full colour: the 95th percentile of |delta| over the run,
    so one outlier does not wash out every other token. 1.0 when nothing was steered."""
    sizes = sorted(abs(d) for d in deltas if d)
    if not sizes:
        return 1.0
    return sizes[min(len(sizes) - 1, math.ceil(0.95 * len(sizes)) - 1)]


def display_token(token: str) -> str:
    return token.replace("\n", NEWLINE_MARK + "\n")


def heatmap(records: list[StepTrace], scale: float | None = None) -> list[tuple[str, float | None]]:
    """(text, score) pairs for gr.HighlightedText: score = delta / scale clipped to [-1, 1]
    (red: the guider pushed the chosen token up, purple: down); steered tokens marked ▴."""
    scale = scale or colour_scale([r.delta for r in records])
    spans = []
    for record in records:
        text = display_token(record.token)
        if record.steered:  # the mark goes before a trailing newline so it stays on the token's line
            text = text[:-1] + STEERED_MARK + "\n" if text.endswith("\n") else text + STEERED_MARK
        score = max(-1.0, min(1.0, record.delta / scale)) if record.delta else None
        spans.append((text, None if score is None else round(score, 4)))
    return spans


# ---- the per-token chart -------------------------------------------------------------

def hover_token(token: str) -> str:
    """A token as plotly hover text shows it: escaped, never empty."""
    return repr(token)[1:-1].replace("<", "&lt;") or "∅"


def hover_text(record: StepTrace, k: int = 5) -> str:
    """Step, token, then the target's top-k beside the guided top-k (probabilities)."""
    head = (f"step {record.step} · <b>'{hover_token(record.token)}'</b> · Δ {record.delta:+.3f} · "
            f"KL {record.kl:.3f}" + (" · <b>steered</b>" if record.steered else ""))
    rows = ["target top-5 │ guided top-5"]
    for t, g in zip(record.target_top[:k], record.guided_top[:k]):
        rows.append(f"'{hover_token(t['token'])}' {t['prob']:.2f} │ '{hover_token(g['token'])}' {g['prob']:.2f}")
    return "<br>".join([head] + rows)


def chart_series(records: list[StepTrace]) -> dict:
    """The chart's data, one entry per guided token, straight from the trace."""
    return {
        "step": [r.step for r in records],
        "delta": [r.delta for r in records],
        "kl": [r.kl for r in records],
        "alpha": [r.alpha for r in records],
        "steered": [r.steered for r in records],
        "token": [r.token for r in records],
        "hover": [hover_text(r) for r in records],
    }


# ---- one token, three tables ---------------------------------------------------------

def top_tables(record: StepTrace) -> dict:
    """The teaching view of one step: what the target wanted, what the guider pair pushed
    up and down (alpha * (guider - base)), and what the guided distribution picked."""
    def shown(token):
        return repr(token)[1:-1]

    target = [[shown(e["token"]), round(e["logit"], 4), round(e["prob"], 4)] for e in record.target_top]
    pushed = [[shown(u["token"]), round(u["delta"], 4), shown(d["token"]), round(d["delta"], 4)]
              for u, d in zip(record.delta_up, record.delta_down)]
    guided = [[shown(e["token"]), round(e["logit"], 4), round(e["prob"], 4),
               "◀ picked" if e["id"] == record.token_id else ""] for e in record.guided_top]
    return {"target": target, "pushed": pushed, "guided": guided}


TABLE_HEADERS = {
    "target": ["token", "target logit", "target prob"],
    "pushed": ["pushed up", "Δ up", "pushed down", "Δ down"],
    "guided": ["token", "guided logit", "guided prob", ""],
}


def step_summary(record: StepTrace) -> str:
    verdict = (f"the guider **changed the pick** from `{_md(record.target_pick)}`" if record.steered
               else "the guider **kept** the target's pick")
    return (f"Step **{record.step}** (alpha {record.alpha:g}): picked `{_md(record.token)}` — target prob "
            f"{record.target_prob:.3f} → guided prob {record.guided_prob:.3f}, Δ on it {record.delta:+.3f}, "
            f"KL(guided‖target) {record.kl:.3f}; {verdict}.")


def _md(token: str) -> str:
    return repr(token)[1:-1].replace("`", "'")


def example_step(records: list[StepTrace]) -> StepTrace | None:
    """The step a worked example is built from: the first steered one, else the largest |delta|."""
    if not records:
        return None
    return next((r for r in records if r.steered), None) or max(records, key=lambda r: abs(r.delta))


def worked_example(records: list[StepTrace]) -> str:
    """The formula applied by hand to one step of the current run, with its real numbers."""
    record = example_step(records)
    if record is None:
        return "_Run a prompt: a worked example from its numbers appears here._"
    pick, chosen = record.target_top[0], record
    lines = [f"From this run, step **{record.step}**, alpha = **{record.alpha:g}**:", ""]
    lines.append(f"- chosen token `{_md(chosen.token)}`: {chosen.target_logit:.3f} + "
                 f"({chosen.delta:+.3f}) = **{chosen.guided_logit:.3f}** "
                 f"(prob {chosen.target_prob:.3f} → {chosen.guided_prob:.3f})")
    if record.steered:
        pick_guided = pick["logit"] + record.target_pick_delta
        lines.append(f"- the target's own pick `{_md(pick['token'])}`: {pick['logit']:.3f} + "
                     f"({record.target_pick_delta:+.3f}) = **{pick_guided:.3f}**")
        lines += ["", f"The guider pair moved `{_md(chosen.token)}` above `{_md(pick['token'])}`: "
                      "ThinkLogit wrote a different token than the target alone would have."]
    else:
        lines += ["", "No token was steered in this run; this is the step the guider pushed hardest."]
    return "\n".join(lines)


# ---- export --------------------------------------------------------------------------

def export_json(run: dict) -> str:
    return json.dumps(run, ensure_ascii=False, indent=1)


# ---- verdicts: how much better, and at what cost -------------------------------------

def _percent(value: float) -> str:
    return f"{value:.0%}"


def mebibytes(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def column_name(name: str, lang: str = "en") -> str:
    """The plain name of an accuracy column in `lang` ("Target alone", "ターゲット単体")."""
    from ..evaluation.evaluate import column_label

    key = f"col.{name}"
    return text(key, lang) if key in TRANSLATIONS["en"] else column_label(name)


def column_note(name: str, accuracy: float, steps: float | None, lang: str = "en") -> str:
    """Why a column scores what it does, from its own numbers (share of answers with worked steps)."""
    if steps is None:
        return ""
    shown = _percent(steps)
    if name == "guider" and steps >= 0.5 and accuracy < 0.5:
        return text("note.guider.format_only", lang, steps=shown)
    kind = "thinklogit" if name.startswith("thinklogit") else name
    return text(f"note.{kind}", lang, steps=shown) if f"note.{kind}" in TRANSLATIONS["en"] else ""


def evaluation_verdict(result: dict, lang: str = "en") -> str:
    """One line: the best ThinkLogit column against the target alone, with 95% intervals and the gain."""
    accuracy, ci = result["accuracy"], result["ci95"]
    thinklogit = [name for name in accuracy if name.startswith("thinklogit")]
    if "target" not in accuracy or not thinklogit:
        return ""
    best = max(thinklogit, key=lambda name: accuracy[name])
    apart = ci[best][0] > ci["target"][1] or ci[best][1] < ci["target"][0]
    return text("verdict.eval", lang, best=column_name(best, lang), best_acc=_percent(accuracy[best]),
                best_low=_percent(ci[best][0]), best_high=_percent(ci[best][1]),
                target=column_name("target", lang), target_acc=_percent(accuracy["target"]),
                target_low=_percent(ci["target"][0]), target_high=_percent(ci["target"][1]), n=result["n"],
                gain=100 * (accuracy[best] - accuracy["target"]),
                separation=text("verdict.apart" if apart else "verdict.overlap", lang))


def evaluation_rows(result: dict, lang: str = "en") -> list[list]:
    """[name, pass@1, 95% interval, why] per accuracy column."""
    steps = result.get("step_lines", {})
    rows = []
    for name, value in result["accuracy"].items():
        low, high = result["ci95"][name]
        rows.append([column_name(name, lang), f"{value:.1%}", f"{low:.1%}–{high:.1%}",
                     column_note(name, value, steps.get(name), lang)])
    return rows


def evaluation_markdown(result: dict, lang: str = "en") -> str:
    """The Evaluate verdict card as Markdown: the verdict line and the table of columns."""
    lines = [text("card.title", lang), "", evaluation_verdict(result, lang), "", text("eval.header", lang),
             "|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in evaluation_rows(result, lang)]
    return "\n".join(lines)


def _answer_line(record: dict, stream: str, name: str, lang: str) -> str:
    answer = (record.get("answers") or {}).get(stream)
    if answer is None:
        verdict = text("card.ungraded", lang)
    elif answer.get("answer") is None:
        verdict = text("card.no_answer", lang)
    else:
        verdict = f"`{answer['answer']}` " + text("card.correct" if answer["correct"] else "card.incorrect", lang)
    return text("card.answer", lang, name=name, answer=verdict, tokens=len(record[stream].get("ids", [])))


def cost_lines(cost: dict, lang: str = "en") -> list[str]:
    """The cost block of a run as Markdown bullet lines."""
    lines = [text("card.cost", lang), "",
             "- " + text("card.tokens", lang, **cost["tokens"])]
    seconds = cost.get("seconds") or {}
    if seconds.get("guided") is not None and seconds.get("baseline") is not None:
        lines.append("- " + text("card.seconds", lang, **seconds))
    per_token = cost.get("seconds_per_token") or {}
    if cost.get("latency_ratio") is not None:
        lines.append("- " + text("card.latency", lang, ratio=cost["latency_ratio"],
                                 guided_ms=1000 * per_token["guided"], baseline_ms=1000 * per_token["baseline"]))
    else:
        lines.append("- " + text("card.latency_na", lang))
    memory = cost.get("memory_bytes")
    if memory:
        lines.append("- " + text("card.memory", lang, pair=mebibytes(memory["guider_pair"]),
                                 target=mebibytes(memory["target"]), share=memory["guider_pair"] / memory["target"],
                                 pair_bytes=memory["guider_pair"], target_bytes=memory["target"]))
    return lines


def _guided_column(record: dict) -> str:
    guider = record.get("guider") or ""
    return guider if guider.startswith("thinklogit-") else "thinklogit"


def run_verdict(record: dict | None, lang: str = "en") -> str:
    """The Generate verdict card as Markdown: each stream's answer and grade, then the cost."""
    if not record:
        return text("card.empty", lang)
    lines = [text("card.title", lang), "",
             "- " + _answer_line(record, "baseline", column_name("target", lang), lang),
             "- " + _answer_line(record, "guided", column_name(_guided_column(record), lang), lang)]
    if record.get("reference") is not None:
        lines += ["", text("card.reference", lang, reference=record["reference"])]
    if record.get("cost"):
        lines += [""] + cost_lines(record["cost"], lang)
    return "\n".join(lines)
