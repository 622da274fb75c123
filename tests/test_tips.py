"""Plain language: every number on screen carries one line in words, in English and Japanese: a
title (hover) on the number or on an ⓘ beside it, or a legend line under a table or chart whose
headers and axes cannot carry one."""
from __future__ import annotations

import html
import re

import pytest

from thinklogit_app.app import steering, views
from thinklogit_app.app.handlers import Studio
from thinklogit_app.app.i18n import tables, text

LANGS = ("en", "ja")
KANA = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")

RECORD = {
    "prompt": "Q:12+34\n", "reference": "46",
    "baseline": {"ids": [1] * 9, "text": "A:47"}, "guided": {"ids": [1] * 14, "text": "12+34=46\nA:46"},
    "answers": {"baseline": {"answer": "47", "correct": False}, "guided": {"answer": "46", "correct": True}},
    "cost": {"tokens": {"guided": 14, "baseline": 9}, "seconds": {"guided": 0.42, "baseline": 0.12},
             "seconds_per_token": {"guided": 0.03, "baseline": 0.0133}, "latency_ratio": 2.26,
             "memory_bytes": {"guider_pair": 3 * 2**20, "target": 12 * 2**20}},
}
GRID = {"alphas": [
    {"alpha": 0.0, "correct": False, "answer": "47", "flips": [], "ids": [1] * 9, "tokens": ["A"], "changes": [0.0]},
    {"alpha": 1.5, "correct": True, "answer": "46", "ids": [1] * 14, "tokens": ["1"], "changes": [0.6],
     "flips": [{"step": 0, "token": "1", "target_pick": "A"}, {"step": 3, "token": "3", "target_pick": "4"}]},
    {"alpha": 3.0, "correct": None, "answer": "9", "flips": [], "ids": [1] * 3, "tokens": ["9"], "changes": [0.1]},
]}
EVALUATION = {"preset": "tiny", "n": 50, "alpha": 1.0, "seconds": 12,
              "accuracy": {"target": 0.4, "guider": 0.1, "thinklogit": 0.8},
              "ci95": {"target": [0.27, 0.54], "guider": [0.04, 0.21], "thinklogit": [0.67, 0.89]},
              "alpha_sweep": {"0": 0.4, "1": 0.8}}


def hovers(markup: str) -> list[str]:
    """The hover texts (title attributes) of a piece of HTML or Markdown, in order."""
    return [html.unescape(t) for t in re.findall(r'title="([^"]*)"', markup)]


def titled(markup: str) -> list[tuple[str, str]]:
    """(shown text, hover text) of each dotted-underlined span."""
    return [(shown, html.unescape(title))
            for title, shown in re.findall(r'<span class="tl-tip" title="([^"]*)">(.*?)</span>', markup)]


def titled_number(markup: str, number: str) -> str:
    """The hover text of the dotted-underlined span whose shown text holds `number`."""
    found = [words for shown, words in titled(markup) if number in shown]
    assert found, f"{number!r} carries no hover text in {markup!r}"
    return found[0]


def in_language(words: str, lang: str) -> bool:
    return bool(KANA.search(words)) == (lang == "ja") and words.strip() != ""


@pytest.mark.parametrize("lang", LANGS)
def test_the_stream_statistics_say_what_each_number_is(lang):
    line = views.stream_stats({"ids": [1, 2, 3], "tokens_per_second": 12.5, "stop_reason": "max_new_tokens"}, lang)
    assert titled_number(line, "**3**") == text("tip.tokens", lang)
    assert titled_number(line, "**12.5**") == text("tip.speed", lang)
    assert titled_number(line, views.stop_reason("max_new_tokens", lang)) == text("tip.stop", lang)
    reasons = ("eos", "max_new_tokens", "repetition", "cancelled")  # each reason named as the line shows it
    assert all(views.stop_reason(reason, lang) in text("tip.stop", lang) for reason in reasons)
    assert all(in_language(words, lang) for words in hovers(line))


@pytest.mark.parametrize("lang", LANGS)
def test_each_line_of_the_verdict_card_has_its_words_and_the_download_has_none(lang):
    card = views.run_verdict(RECORD, lang, tips=True)
    bullets = [line for line in card.splitlines() if line.startswith("- ")]
    expected = ["tip.card.answer", "tip.card.answer", "tip.card.tokens", "tip.card.seconds", "tip.card.latency",
                "tip.card.memory"]
    assert [hovers(line) for line in bullets] == [[text(key, lang)] for key in expected]
    assert "**2.26" in bullets[4] and "+25%" in bullets[5]  # the numbers the ⓘs explain are on their lines
    assert all(in_language(words, lang) for words in hovers(card))
    assert not hovers(views.run_verdict(RECORD, lang))  # the Markdown download stays plain


@pytest.mark.parametrize("lang", LANGS)
def test_each_tick_of_the_colour_bar_says_what_it_means(lang):
    bar = steering.colour_bar_html(lang)
    ticks = titled(bar)
    assert [shown for shown, _ in ticks] == ["-1", "-0.5", "+0", "+0.5", "+1"]
    words = dict(zip(steering.TICKS, (w for _, w in ticks)))
    assert words[0.0] == text("tip.tick.zero", lang)
    assert "100" in words[1.0] and "50" in words[-0.5] and words[1.0] != words[-1.0]
    assert text("tip.flips", lang) in hovers(bar)  # the ⓘ by "▴ outlined = flip"
    assert text("bar.label", lang) in bar
    assert all(in_language(w, lang) for w in hovers(bar))


@pytest.mark.parametrize("lang", LANGS)
def test_each_alpha_chip_and_the_grid_summary_say_what_their_numbers_are(lang):
    strip = steering.alpha_strip_html(GRID, 1.5, lang)
    chips = hovers(strip)
    assert len(chips) == 3 and all(in_language(words, lang) for words in chips)
    assert text("tip.chip.incorrect", lang) in chips[0] and text("tip.chip.correct", lang) in chips[1]
    assert text("tip.chip.ungraded", lang) in chips[2]
    assert "α 1.5" in chips[1] and {"en": "2 flips", "ja": "反転 2 回"}[lang] in chips[1]  # its alpha, its flips
    assert text("tip.grid", lang) in hovers(steering.grid_summary(GRID["alphas"][1], lang))
    assert hovers(steering.grid_heatmap_html(GRID["alphas"][1], lang)) == [
        text("tip.grid.token", lang, step=0, change="+0.600")]


@pytest.mark.parametrize("lang", LANGS)
def test_the_flip_count_and_the_evaluation_verdict_have_their_words(lang):
    assert hovers(Studio.steering_panels([], lang=lang)["flips_tip"]) == [text("tip.flips", lang)]
    view = Studio.evaluation_panels(EVALUATION, lang)
    assert hovers(view["summary"]) == [text("tip.eval", lang)]
    assert "80%" in view["summary"] and "[67%–89%]" in view["summary"]  # the numbers it explains
    assert not hovers(view["markdown"])  # the download stays plain


def test_tables_and_the_chart_whose_headers_cannot_carry_a_title_have_a_legend_line_in_both_languages():
    import gradio as gr

    from thinklogit_app.app import tips
    from thinklogit_app.app.ui import build_app

    demo = build_app(preload=False)
    legends = {b.value.split('"key": "')[1].split('"')[0] for b in demo.blocks.values()
               if isinstance(b, gr.Markdown) and tips.LEGEND in (b.elem_classes or [])}
    assert legends == {"tip.chart", "tip.formula", "tip.tables", "tip.eval.table"}
    both = tables()
    for key in legends:
        assert in_language(both["en"][key], "en") and in_language(both["ja"][key], "ja")
    assert all(name in both["en"]["tip.formula"] for name in ("Logits", "α·(guider − base)", "guided logit",
                                                             "guided prob", "KL"))
    assert "α·(ガイダー − ベース)" in both["ja"]["tip.formula"] and "KL" in both["ja"]["tip.formula"]
    assert "Δ" in both["en"]["tip.tables"] and "Δ" in both["ja"]["tip.tables"]
    assert "KL" in both["en"]["tip.chart"] and "KL" in both["ja"]["tip.chart"]
