"""The Japanese page in a real browser (Debian's chromium, headless, locale ja-JP): load it, run
the prefilled example, open every view (inspector, forks, the alpha grid, the chart's note, the
Evaluate and How-it-works tabs, a shipped replay), then read ALL the text a visitor can see (text
nodes of visible elements, title attributes, placeholders, the plotly figures' titles, legends and
hover texts) and fail on any English word that is not a name, a unit or a token the models wrote.
Screenshots go where test_browser.py puts them (THINKLOGIT_SCREENSHOTS)."""
from __future__ import annotations

import re

import pytest

from test_browser import SHOTS, app_url, browser, wait_for  # noqa: F401  (fixtures)

# Names, units and notation that stay as they are in Japanese (never English words of the UI).
NAMES = {
    "ThinkLogit", "ThinkLogit-DPO", "thinklogit-dpo", "thinklogit", "Studio", "Gradio", "Markdown", "JSON", "API",
    "Hugging", "Face", "Hub", "Wilson", "KL", "pass@1", "top-p", "top-5", "logit", "alpha", "nats", "arXiv",
    "Logit", "Arithmetic", "Elicits", "Long", "Reasoning", "Capabilities", "Without", "Training",  # the paper's title
    "github", "com", "yunx-z", "think-logit", "Enter", "Shift", "Q", "N", "A", "ms", "MiB", "GiB", "tok", "s",
    "nf4", "bit", "4bit", "8bit", "CPU", "GPU", "cuda", "cpu", "float32", "bfloat16", "float16",
    "English", "DPO", "Qwen", "DeepSeek", "Distill", "Math", "Instruct", "R1", "B", "x", "e",
}
# Where the models' own text shows (their tokens are not words of the UI); the tables' cells of
# tokens are td elements of the inspector's tables.
MODEL_TEXT = ("#baseline-text", "#guided-text", "#heatmap", "#grid-heatmap", "#fork-full", "#fork-text", "#prompt",
              "#text-sent", "#replay-gallery")
WORD_RUN = re.compile(r"[A-Za-z][A-Za-z0-9@'’\-]*(?:[ \t]+[A-Za-z][A-Za-z0-9@'’\-]*)*")
PRESET = re.compile(r"^(tiny|two|qwen|gpu)[\w.+\-]*$")

COLLECT = """(skip) => {
  const out = [];
  const tokensOut = (s) => s.replace(/'[^'\\n]*'/g, " ");  // tooltips quote the tokens the models wrote
  const visible = (el) => el && el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})
    && parseFloat(getComputedStyle(el).fontSize) > 0;
  const skipped = (el) => skip.some((s) => el.closest(s));
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    const text = node.textContent.trim();
    if (!text || !el || ["SCRIPT", "STYLE", "NOSCRIPT"].includes(el.tagName) || !visible(el) || skipped(el)) continue;
    if (el.closest("code") || el.closest("td")) continue;  // tokens and numbers in code spans and table cells
    out.push(text);
  }
  for (const el of document.querySelectorAll("[title], [placeholder], [aria-label]")) {
    if (!visible(el) || skipped(el) && !el.closest("#heatmap, #grid-heatmap")) continue;
    for (const attr of ["title", "placeholder"]) if (el.getAttribute(attr)) out.push(tokensOut(el.getAttribute(attr)));
  }
  for (const el of document.querySelectorAll("input[type=text], input:not([type]), textarea")) {  // dropdowns' choices
    if (visible(el) && !skipped(el) && el.value) out.push(el.value);
  }
  for (const plot of document.querySelectorAll(".js-plotly-plot")) {  // what hovering and the legend show
    for (const trace of plot.data || []) {
      if (trace.name) out.push(trace.name);
      for (const h of [].concat(trace.hovertext || [])) out.push(tokensOut(String(h).replace(/<[^>]+>/g, " ")));
    }
  }
  return out;
}"""


def english_words(texts: list[str]) -> list[str]:
    """The runs of English words in `texts` that are not names, units or model tokens."""
    left = {}
    for text in texts:
        for run in WORD_RUN.findall(text.replace("'", " ").replace("’", " ")):
            words = [w for w in re.split(r"[ \t]+", run) if w]
            if all(w in NAMES or len(w) == 1 or PRESET.match(w) or re.fullmatch(r"[\w\-]*\d[\w\-]*", w)
                   for w in words):
                continue
            left.setdefault(run, f"{run!r} in {text[:100]!r}")  # each run once, with where it was first seen
    return sorted(left.values())


def visible_english(page) -> list[str]:
    """The English words on the page once no event runs (Gradio's transient 'processing |' is
    English-only in Gradio itself)."""
    wait_for(lambda: "processing |" not in page.inner_text("body"), 30, "the page to be idle")
    return english_words(page.evaluate(COLLECT, list(MODEL_TEXT)))


def test_the_allow_list_keeps_names_and_catches_words():
    assert english_words(["ThinkLogit の判定：**12** トークン · 3.1 tok/s · tiny-sums · 4bit", "α 0.5 · KL 0.12"]) == []
    caught = english_words(["判定：guided vs target", "Run", "step 3"])
    assert [c.split(" in ")[0] for c in caught] == ["'Run'", "'guided vs target'", "'step'"]


SIZES = [(1440, 900, "light"), (390, 844, "dark")]


@pytest.mark.parametrize("width, height, scheme", SIZES, ids=[f"{w}x{h}-{s}" for w, h, s in SIZES])
def test_no_english_left_on_the_japanese_page(browser, app_url, width, height, scheme):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": height}, locale="ja-JP", color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(60_000)
    found = {}
    try:
        page.goto(app_url + ("?__theme=dark" if scheme == "dark" else ""), wait_until="domcontentloaded")
        page.wait_for_selector("#chart .main-svg")
        page.click("#advanced-models")  # the folded settings too: their labels and choices
        page.click("#advanced-decoding")
        wait_for(lambda: "ロード" in page.inner_text("#status") or "読み込" in page.inner_text("#status"), 30,
                 "the status line in Japanese")
        found["first screen"] = visible_english(page)
        # max new tokens: up to what the embedded trio holds (512 positions, less the prompt's margin)
        assert page.get_attribute("#max-new-tokens input[type=range]", "max") == "480"

        page.click("#run")
        wait_for(lambda: re.search(r"ガイド付き \d+", page.inner_text("#verdict")), 120, "the verdict card")
        wait_for(lambda: page.locator("#stop").is_disabled(), 20, "the run to end")
        page.locator('#heatmap .tok[data-step="0"]').click()
        wait_for(lambda: page.inner_text("#step-summary").strip(), 20, "the inspector")
        page.click("#fork-stop")
        wait_for(lambda: page.inner_text("#fork-summary").strip(), 60, "the fork")
        page.click("#compare-guiders")
        page.wait_for_selector("#compare-table table", timeout=60_000)
        page.click("#reading")
        page.click("#alpha-grid")
        page.click("#grid-run")
        wait_for(lambda: page.locator("#grid-strip span").count() >= 13, 120, "the alpha grid")
        shot_name = f"ja-{width}x{height}-{scheme}"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{shot_name}-run.png"), full_page=True)
        found["after a run"] = visible_english(page)

        page.click("#replay")
        page.click("#replay-gallery input")
        page.get_by_role("option", name=re.compile(r"^Q:541\+755")).click()
        wait_for(lambda: "541+755" in page.input_value("#prompt textarea"), 60, "the replay")
        found["a replay"] = visible_english(page)

        page.keyboard.press("Escape")  # no dropdown left open over the tabs
        page.get_by_role("tab", name="評価").click()
        page.wait_for_selector("#evaluate", state="visible")
        page.locator("#eval-n input[type=number]").fill("2")
        page.locator("#eval-n input[type=number]").press("Tab")
        page.click("#evaluate")
        page.wait_for_selector("#eval-bars .barlayer .point", timeout=120_000)
        page.screenshot(path=str(SHOTS / f"{shot_name}-evaluate.png"), full_page=True)
        found["the Evaluate tab"] = visible_english(page)

        page.get_by_role("tab", name="仕組み").click()
        page.wait_for_selector("#worked")
        found["How it works"] = visible_english(page)
    except Exception:
        page.screenshot(path=str(SHOTS / f"ja-{width}x{height}-{scheme}-failed.png"), full_page=True)
        raise
    finally:
        context.close()
    left = {where: words for where, words in found.items() if words}
    for where, words in left.items():
        print(f"--- English left on {where}:", *words, sep="\n  ")
    assert not left, "English left on the Japanese page (translate it; see the printed strings)"


def choose_language(page, name: str) -> None:
    """Gradio's own switch: Settings (page foot), then the language."""
    if not page.locator("input[aria-label=Language]").is_visible():
        page.click("footer button.settings")
    page.click("input[aria-label=Language]")
    page.get_by_role("option", name=name).click()


def test_the_language_switch_rewrites_what_the_server_wrote(browser, app_url):  # noqa: F811
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        wait_for(lambda: "読み込み済み" in page.inner_text("#status"), 30, "the status line in Japanese")
        page.click("#run")
        wait_for(lambda: re.search(r"ガイド付き \d+", page.inner_text("#verdict")), 120, "the verdict card")
        wait_for(lambda: page.locator("#stop").is_disabled(), 20, "the run to end")
        choose_language(page, "English")
        wait_for(lambda: "Loaded" in page.inner_text("#status"), 30, "the status line in English")
        wait_for(lambda: re.search(r"\d+\*? guided vs", page.inner_text("#verdict")), 30, "the verdict in English")
        assert page.inner_text("#headline").startswith("The guider flipped")
        assert page.inner_text("#step-summary").startswith("Step ")
        assert "Run" in page.inner_text("#run")  # Gradio's own labels switched too
        choose_language(page, "日本語")
        wait_for(lambda: "読み込み済み" in page.inner_text("#status"), 30, "the status line in Japanese again")
        wait_for(lambda: page.inner_text("#headline").startswith("ガイダーは"), 30, "the headline in Japanese again")
    finally:
        context.close()
