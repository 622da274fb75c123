"""What the app shows, computed from the engine's streams and traces.

Pure functions over plain objects (StepTrace records, stream dicts, settings): no
Gradio, no plotly. The UI, the API and the tests all read the same numbers from here.

    guided_logit = target_logit + alpha * (guider_logit - base_logit)

Per guided token the trace keeps `delta` = alpha * (guider - base) on the chosen token;
the heatmap colours tokens by it, the chart plots it with KL(guided || target).
"""
from __future__ import annotations

import json

from ..evaluation.grading import extract_answer, is_correct
from ..evaluation.record import reference_for  # noqa: F401  (the app's reference answers)
from ..core.trace import StepTrace, flips
from .i18n import PAPER, TRANSLATIONS, text  # noqa: F401  (PAPER: texts.py reads it here)
from .tips import info, titled

NEWLINE_MARK = "\u21b5"  # ↵, so a newline token has a visible, colourable glyph
STEERED_MARK = "\u25b4"  # ▴ after a steered token, as the chart's triangle marks it



# ---- answers -------------------------------------------------------------------------

def answer_badge(output: str, reference: str | None, done: bool, lang: str = "en") -> dict:
    """{"answer", "correct", "markdown"}: the extracted answer and its verdict once the stream is done."""
    if reference is None:
        return {"answer": None, "correct": None, "markdown": ""}
    if not done:
        return {"answer": None, "correct": None, "markdown": text("badge.pending", lang, reference=reference)}
    answer = extract_answer(output)
    if answer is None:
        return {"answer": None, "correct": False, "markdown": text("badge.none", lang, reference=reference)}
    correct = is_correct(output, reference)
    markdown = text("badge.correct" if correct else "badge.incorrect", lang, answer=answer, reference=reference)
    return {"answer": answer, "correct": correct, "markdown": markdown}


def stream_stats(stream: dict, lang: str = "en") -> str:
    """One line under a column: token count, tokens/s, stop reason, each with its words on hover."""
    reason = stream.get("stop_reason")
    stop = stop_reason(reason, lang) if reason else text("stats.running", lang)
    parts = [titled(text("stats.tokens", lang, count=len(stream.get("ids", []))), text("tip.tokens", lang)),
             titled(text("stats.speed", lang, speed=stream.get("tokens_per_second", 0.0)), text("tip.speed", lang)),
             titled(text("stats.stop", lang, stop=stop), text("tip.stop", lang))]
    return " · ".join(parts)


def stop_reason(reason: str, lang: str = "en") -> str:
    """The engine's stop reason (eos, max_new_tokens, repetition, cancelled, superseded) in `lang`."""
    key = f"stop.{reason}"
    return text(key, lang) if key in TRANSLATIONS["en"] else reason


# ---- the heatmap ---------------------------------------------------------------------

def prob_change(record: StepTrace) -> float:
    """How much guidance changed the chosen token's probability: guided prob - target prob,
    in [-1, 1] whatever the run, so runs at different alphas share one colour scale."""
    return record.guided_prob - record.target_prob


def display_token(token: str) -> str:
    return token.replace("\n", NEWLINE_MARK + "\n")


def heatmap(records: list[StepTrace]) -> list[tuple[str, float | None]]:
    """(text, score) pairs for gr.HighlightedText: score = guided prob - target prob of the
    chosen token on the fixed scale [-1, 1] (red: guidance made it likelier, blue: less
    likely); flipped tokens (chosen != the target's own pick) marked ▴."""
    spans = []
    for record in records:
        text = display_token(record.token)
        if record.steered:  # the mark goes before a trailing newline so it stays on the token's line
            text = text[:-1] + STEERED_MARK + "\n" if text.endswith("\n") else text + STEERED_MARK
        score = round(prob_change(record), 4)
        spans.append((text, score or None))
    return spans


# ---- the per-token chart -------------------------------------------------------------

def hover_token(token: str) -> str:
    """A token as plotly hover text shows it: escaped, never empty."""
    return repr(token)[1:-1].replace("<", "&lt;") or "∅"


def prob_text(p: float) -> str:
    """A probability readable at any size: 0.42, 0.031, 2e-05 (never a row of 0.00)."""
    return f"{p:.2f}" if p >= 0.1 else f"{p:.2g}"


def hover_text(record: StepTrace, k: int = 5, lang: str = "en") -> str:
    """Step, token, then the target's top-k beside the guided top-k (probabilities), in `lang`."""
    flip = (" · <b>" + text("hover.flipped", lang, token=hover_token(record.target_pick)) + "</b>"
            if record.steered else "")
    head = text("hover.head", lang, step=record.step, token=hover_token(record.token),
                before=prob_text(record.target_prob), after=prob_text(record.guided_prob), kl=record.kl) + flip
    rows = [text("hover.columns", lang)]
    for t, g in zip(record.target_top[:k], record.guided_top[:k]):
        rows.append(f"'{hover_token(t['token'])}' {prob_text(t['prob'])} │ "
                    f"'{hover_token(g['token'])}' {prob_text(g['prob'])}")
    return "<br>".join([head] + rows)


def chart_series(records: list[StepTrace], lang: str = "en") -> dict:
    """The chart's data, one entry per guided token, straight from the trace."""
    return {
        "step": [r.step for r in records],
        "change": [prob_change(r) for r in records],
        "delta": [r.delta for r in records],
        "kl": [r.kl for r in records],
        "alpha": [r.alpha for r in records],
        "steered": [r.steered for r in records],
        "token": [r.token for r in records],
        "hover": [hover_text(r, lang=lang) for r in records],
    }


# ---- one token: the formula and three tables -------------------------------------------

def _shown(token: str) -> str:
    return repr(token)[1:-1]


def top_tables(record: StepTrace, lang: str = "en") -> dict:
    """The teaching view of one step: the formula on the chosen token and the target's pick,
    what the target wanted, what the guider pair pushed up and down (alpha * (guider - base);
    special tokens no model writes left out) and what the guided distribution picked."""
    target = [[_shown(e["token"]), round(e["logit"], 4), round(e["prob"], 4)] for e in record.target_top]
    pushed = [[_shown(u["token"]), round(u["delta"], 4), _shown(d["token"]), round(d["delta"], 4)]
              for u, d in zip(record.delta_up, record.delta_down)]
    guided = [[_shown(e["token"]), round(e["logit"], 4), round(e["prob"], 4),
               text("table.picked", lang) if e["id"] == record.token_id else ""] for e in record.guided_top]
    return {"formula": formula_rows(record, lang), "target": target, "pushed": pushed, "guided": guided}


def formula_rows(record: StepTrace, lang: str = "en") -> list[list]:
    """guided = target + α·(guider − base), term by term, for the chosen token and (when the
    guider flipped it) the target's own pick."""
    def row(role, token, target, guider, base, delta, guided, prob):
        return [role, _shown(token), round(target, 4), round(guider, 4), round(base, 4), round(delta, 4),
                round(guided, 4), round(prob, 4)]

    rows = [row(text("table.chosen", lang), record.token, record.target_logit, record.guider_logit, record.base_logit, record.delta,
                record.guided_logit, record.guided_prob)]
    if record.steered:
        rows.append(row(text("table.target_pick", lang), record.target_pick, record.target_pick_logit, record.target_pick_guider_logit,
                        record.target_pick_base_logit, record.target_pick_delta, record.target_pick_guided_logit,
                        record.target_pick_guided_prob))
    return rows


TABLE_HEADERS = {
    "formula": ["", "token", "target logit", "guider logit", "base logit", "α·(guider − base)", "guided logit",
                "guided prob"],
    "target": ["token", "target logit", "target prob"],
    "pushed": ["pushed up", "Δ up", "pushed down", "Δ down"],
    "guided": ["token", "guided logit", "guided prob", ""],
}

HEADER_KEYS = {"token": "head.token", "target logit": "head.target_logit", "guider logit": "head.guider_logit",
               "base logit": "head.base_logit", "α·(guider − base)": "head.delta", "guided logit": "head.guided_logit",
               "guided prob": "head.guided_prob", "target prob": "head.target_prob", "pushed up": "head.pushed_up",
               "Δ up": "head.delta_up", "pushed down": "head.pushed_down", "Δ down": "head.delta_down"}


def table_headers(table: str, lang: str = "en") -> list[str]:
    """The inspector table's column headers (TABLE_HEADERS) in `lang`."""
    return [text(HEADER_KEYS[h], lang) if h in HEADER_KEYS else h for h in TABLE_HEADERS[table]]


# One line in words per number on screen (tooltips, the "reading this chart" note).
MEANINGS = {
    "target logit": "the large model's raw score for this token (higher = likelier), before any steering",
    "guider logit": "the small reasoning model's raw score for this token",
    "base logit": "the same small model before its reasoning fine-tune: its raw score for this token",
    "α·(guider − base)": "what the reasoning fine-tune changed about this token, times α: added to the target's score",
    "guided logit": "target logit + α·(guider − base): the score the guided stream samples from",
    "prob change": "guided probability − target probability of the chosen token: how much guidance made it likelier",
    "KL": "KL(guided ‖ target) in nats: how far guidance moved the whole next-token distribution (0 = not at all)",
    "flip": "the chosen token differs from the target's own top pick: the guider changed what was written",
}


def step_summary(record: StepTrace, lang: str = "en") -> str:
    verdict = (text("step.flipped", lang, pick=_md(record.target_pick)) if record.steered
               else text("step.kept", lang))
    return text("step.summary", lang, step=record.step, alpha=record.alpha, token=_md(record.token), verdict=verdict,
                before=record.target_prob, after=record.guided_prob, kl=record.kl)


def flip_headline(records: list[StepTrace], lang: str = "en", limit: int = 5) -> str:
    """'flipped 1 of 69 tokens: step 0, `A`→`5`' in `lang` (core.trace.flip_headline's line)."""
    found = flips(records)
    head = text("flips.head", lang, flipped=len(found), tokens=len(records))
    if not found:
        return head + text("flips.none", lang)
    shown = text("flips.sep", lang).join(text("flips.one", lang, step=f["step"], pick=_md(f["target_pick"]),
                                              token=_md(f["token"])) for f in found[:limit])
    more = text("flips.more", lang, n=len(found) - limit) if len(found) > limit else ""
    return f"{head}{text('flips.colon', lang)}{shown}{more}"


def headline(records: list[StepTrace], lang: str = "en") -> str:
    """The flip headline above the heatmap, as a bold sentence in `lang`."""
    return text("flips.sentence", lang, headline=flip_headline(records, lang))


def _md(token: str) -> str:
    return repr(token)[1:-1].replace("`", "'")


def example_step(records: list[StepTrace]) -> StepTrace | None:
    """The step a worked example is built from: the first flip, else the largest probability change."""
    if not records:
        return None
    return next((r for r in records if r.steered), None) or max(records, key=lambda r: abs(prob_change(r)))


def _sum_line(label: str, token: str, alpha: float, target: float, guider: float, base: float, guided: float,
              before: float, after: float, lang: str = "en") -> str:
    return "- " + text("worked.line", lang, label=label, token=_md(token), target=target, alpha=alpha, guider=guider,
                       base=base, guided=guided, before=before, after=after)


def worked_example(records: list[StepTrace], lang: str = "en") -> str:
    """The formula applied by hand to one step of the current run, with its real target,
    guider and base logits."""
    r = example_step(records)
    if r is None:
        return text("ui.worked.empty", lang)
    lines = [text("worked.from", lang, step=r.step, alpha=r.alpha), "",
             _sum_line(text("worked.chosen", lang), r.token, r.alpha, r.target_logit, r.guider_logit, r.base_logit,
                       r.guided_logit, r.target_prob, r.guided_prob, lang)]
    if r.steered:
        lines.append(_sum_line(text("worked.pick", lang), r.target_pick, r.alpha, r.target_pick_logit,
                               r.target_pick_guider_logit, r.target_pick_base_logit, r.target_pick_guided_logit,
                               r.target_pick_prob, r.target_pick_guided_prob, lang))
        lines += ["", text("worked.flipped", lang, token=_md(r.token), pick=_md(r.target_pick),
                           headline=flip_headline(records, lang))]
    else:
        lines += ["", text("worked.kept", lang)]
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


def cost_lines(cost: dict, lang: str = "en", tips: bool = False) -> list[str]:
    """The cost block of a run as Markdown bullet lines; with `tips`, each line's words on an ⓘ."""
    def line(body: str, tip: str) -> str:
        return "- " + body + (info(text(tip, lang)) if tips else "")

    lines = [text("card.cost", lang), "", line(text("card.tokens", lang, **cost["tokens"]), "tip.card.tokens")]
    seconds = cost.get("seconds") or {}
    if seconds.get("guided") is not None and seconds.get("baseline") is not None:
        lines.append(line(text("card.seconds", lang, **seconds), "tip.card.seconds"))
    per_token = cost.get("seconds_per_token") or {}
    if cost.get("latency_ratio") is not None:
        baseline = per_token.get("baseline")
        lines.append(line(text("card.latency", lang, ratio=cost["latency_ratio"],
                               guided_ms=1000 * (per_token.get("guided") or 0.0),
                               baseline_ms="–" if baseline is None else f"{1000 * baseline:.1f} ms"), "tip.card.latency"))
    else:
        lines.append(line(text("card.latency_na", lang), "tip.card.latency"))
    memory = cost.get("memory_bytes")
    if memory:
        lines.append(line(text("card.memory", lang, pair=mebibytes(memory["guider_pair"]),
                               target=mebibytes(memory["target"]), share=memory["guider_pair"] / memory["target"],
                               pair_bytes=memory["guider_pair"], target_bytes=memory["target"]), "tip.card.memory"))
    return lines


def _guided_column(record: dict) -> str:
    guider = record.get("guider") or ""
    return guider if guider.startswith("thinklogit-") else "thinklogit"


def run_verdict(record: dict | None, lang: str = "en", tips: bool = False) -> str:
    """The Generate verdict card as Markdown: each stream's answer and grade, then the cost; with
    `tips` (the card on screen, not its download), each number's words on an ⓘ."""
    if not record:
        return text("card.empty", lang)
    tip = info(text("tip.card.answer", lang)) if tips else ""
    lines = [text("card.title", lang), "",
             "- " + _answer_line(record, "baseline", column_name("target", lang), lang) + tip,
             "- " + _answer_line(record, "guided", column_name(_guided_column(record), lang), lang) + tip]
    if record.get("reference") is not None:
        lines += ["", text("card.reference", lang, reference=record["reference"])]
    if record.get("cost"):
        lines += [""] + cost_lines(record["cost"], lang, tips)
    return "\n".join(lines)


# ---- the first screen: warnings under the prompt --------------------------------------

def prompt_warnings(prompt: str, task: str | None, schedule: str, schedule_n, max_new_tokens, lang: str = "en") -> str:
    """Markdown warnings for settings that cannot show the effect: a prompt outside the tiny
    task's format, or a warm-up that lasts as long as the whole answer may."""
    lines = []
    if task == "sums" and (prompt or "").strip():
        from ..organism.task import parse_prompt

        if parse_prompt(prompt) is None:
            lines.append("⚠️ " + text("warn.format.sums", lang))
    try:
        warmup, budget = int(schedule_n or 0), int(max_new_tokens or 0)
    except (TypeError, ValueError):
        warmup = budget = 0
    if schedule == "warmup" and budget and warmup >= budget:
        lines.append("⚠️ " + text("warn.warmup", lang, n=warmup, max_new_tokens=budget))
    return "\n\n".join(lines)
