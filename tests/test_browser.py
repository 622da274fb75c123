"""A real browser on the served app: Debian's chromium, headless, driven by Playwright.

Type a prompt, Run: both columns fill, the heatmap and the chart render. Stop during a
long run stops it (the stream ends "cancelled" and stays put); Run again works.
Screenshots go to tests/artifacts/ (THINKLOGIT_SCREENSHOTS=docs/screenshots refreshes
the committed ones)."""
from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from app_server import ROOT, serve, tiny_presets

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)")

SHOTS = ROOT / os.environ.get("THINKLOGIT_SCREENSHOTS", "tests/artifacts")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    presets = tiny_presets(tmp_path_factory.mktemp("browser-presets"), real_default=True)
    log = tmp_path_factory.mktemp("browser-log") / "app.log"
    with serve(presets, log, extra_env={"OMP_NUM_THREADS": "1"}) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, app_url):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    page.goto(app_url, wait_until="domcontentloaded")
    page.wait_for_selector("#prompt textarea")
    yield page
    page.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def stats(page, column: str) -> str:
    return page.inner_text(f"#{column}-stats")


def tokens(page, column: str) -> int:
    match = re.search(r"(\d+)\s*tokens", stats(page, column))
    return int(match.group(1)) if match else 0


def wait_for(predicate, timeout: float = 60.0, what: str = "condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def choose_preset(page, name: str) -> None:
    page.click("#preset input")
    page.get_by_role("option", name=re.compile(f"^{re.escape(name)}")).first.click()
    page.wait_for_function(f"document.querySelector('#status').innerText.includes('Loaded {name}')")


def test_run_fills_both_columns_and_draws_heatmap_and_chart(page):
    examples = page.locator("#examples tbody tr")
    if examples.count():
        examples.first.click()  # a clickable example fills the prompt
        wait_for(lambda: page.input_value("#prompt textarea").strip(), 10, "the example to fill the prompt")
    else:
        page.fill("#prompt textarea", "Q:12+34\n")
    page.click("#run")
    done = re.compile(r"stop: (eos|max_new_tokens|repetition)")
    wait_for(lambda: done.search(stats(page, "guided")) and done.search(stats(page, "baseline")), 60, "both streams to finish")
    assert page.input_value("#baseline-text textarea") or tokens(page, "baseline") > 0
    assert tokens(page, "guided") > 0 and tokens(page, "baseline") > 0
    page.wait_for_selector("#heatmap .tok", timeout=20_000)
    assert page.locator("#heatmap .tok").count() == tokens(page, "guided")  # one clickable span per guided token
    page.wait_for_selector("#chart .main-svg", timeout=20_000)
    assert page.locator("#chart .barlayer .point").count() == tokens(page, "guided")  # one bar per guided token
    wait_for(lambda: "Step" in page.inner_text("#step-summary"), 20, "the token inspector")
    shot(page, "app")
    with page.expect_download(timeout=20_000) as download:
        page.click("#export")
    run = json.loads(Path(download.value.path()).read_text())
    assert len(run["guided"]["trace"]) == len(run["guided"]["ids"]) == tokens(page, "guided")
    page.get_by_role("tab", name="How it works").click()
    page.wait_for_selector("#worked")
    wait_for(lambda: "From this run" in page.inner_text("#worked"), 10, "the worked example")
    shot(page, "how-it-works")


def test_click_a_token_opens_the_inspector_there_forks_and_the_alpha_grid(page):
    page.fill("#prompt textarea", "Q:541+755+437+677\n")  # the shipped example: one flip, at step 0
    page.click("#run")
    wait_for(lambda: "stop: eos" in stats(page, "guided"), 60, "the guided stream to finish")
    wait_for(lambda: "flipped" in page.inner_text("#headline"), 20, "the flip headline")
    assert "flipped 1 of 69 tokens: step 0" in page.inner_text("#headline")
    assert page.locator("#heatmap .tok.flip").count() == 1
    page.locator('#heatmap .tok[data-step="7"]').click()
    wait_for(lambda: page.inner_text("#step-summary").startswith("Step 7 "), 20, "the inspector at step 7")
    assert page.input_value("#step input[type=number]") == "7"
    page.locator('#heatmap .tok[data-step="0"]').click()
    wait_for(lambda: page.inner_text("#step-summary").startswith("Step 0 "), 20, "the inspector at step 0")
    assert "target's pick" in page.inner_text("#formula")  # the flip: both rows of the formula
    page.click("#fork-stop")  # guided only for step 0: the same worked steps follow
    wait_for(lambda: "very same text" in page.inner_text("#fork-summary"), 60, "the fork at step 0")
    page.get_by_text("What α does").click()
    page.click("#grid-run")
    wait_for(lambda: page.locator("#grid-strip span").count() == 13, 120, "the 13-alpha grid")
    assert "α 0 ✘" in page.inner_text("#grid-strip") and "α 1 ✔" in page.inner_text("#grid-strip")
    shot(page, "steering")


def bar_centre(page, step: int) -> tuple[float, float]:
    """Where a real mouse clicks the chart's bar of `step` (its box's centre; a flat bar: on the axis)."""
    box = page.locator("#chart .barlayer .trace").first.locator(".point").nth(step).bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def chart_hover(page) -> str:
    """The chart's hover label, one line per line (SVG text has no inner text)."""
    return page.evaluate("() => Array.from(document.querySelectorAll('#chart .hoverlayer .hovertext'))"
                         ".map(label => Array.from(label.querySelectorAll('tspan.line'), l => l.textContent)"
                         ".join('\\n')).join('\\n')")


def test_click_a_chart_bar_opens_the_inspector_there_run_after_run(page):
    page.fill("#prompt textarea", "Q:541+755+437+677\n")
    for run, step in enumerate((9, 3)):  # a second run redraws the chart: its bars must still open the inspector
        page.click("#run")  # a finished run opens the inspector at its first flip, step 0 (not 9 nor 3)
        wait_for(lambda: page.inner_text("#step-summary").startswith("Step 0 ") and page.locator("#stop").is_disabled()
                 and "stop: eos" in stats(page, "guided"), 60, f"run {run} to finish")
        wait_for(lambda: page.locator("#chart .barlayer .trace").first.locator(".point").count()
                 == tokens(page, "guided"), 20, "one bar per guided token")
        # the numbers' words survive the Markdown sanitizer as hover titles
        assert page.locator("#guided-stats .tl-tip[title]").count() == 3
        assert page.locator("#verdict .tl-info[title]").count() >= 5
        assert page.locator("#colour-bar .ticks .tl-tip[title]").count() == 5
        page.locator("#chart").scroll_into_view_if_needed()
        x, y = bar_centre(page, step)
        page.mouse.move(x, y)  # the hover names the step and shows real probabilities, not rows of 0.00
        wait_for(lambda: f"step {step} " in chart_hover(page), 10, f"the hover of bar {step}")
        hover = chart_hover(page)
        assert "target top-5" in hover and not re.search(r"(?<![\d.])0\.00(?!\d)", hover), hover
        page.mouse.click(x, y)
        wait_for(lambda: page.inner_text("#step-summary").startswith(f"Step {step} "), 20,
                 f"the inspector at step {step} after run {run}")
        assert page.input_value("#step input[type=number]") == str(step)


def test_stop_during_a_long_run_stops_it_and_run_again_works(page):
    choose_preset(page, "tiny-endless")  # 4000 tokens, never ends on its own
    page.fill("#prompt textarea", "Q:1+2+3\n")
    page.click("#run")
    wait_for(lambda: tokens(page, "guided") >= 20, 60, "the long run to stream")
    page.click("#stop")
    wait_for(lambda: "stop: cancelled" in stats(page, "guided"), 20, "the run to end as cancelled")
    stopped = tokens(page, "guided")
    time.sleep(1.5)
    assert tokens(page, "guided") == stopped < 4000, "the generation must stop, not just the display"
    assert "cancelled" in stats(page, "baseline")
    shot(page, "stopped")

    page.click("#run")  # run again right after
    wait_for(lambda: "running" in stats(page, "guided") or tokens(page, "guided") != stopped, 30, "a second run to start")
    wait_for(lambda: tokens(page, "guided") >= 10 and "running" in stats(page, "guided"), 60, "the second run to stream")
    page.click("#stop")
    wait_for(lambda: "stop: cancelled" in stats(page, "guided"), 20, "the second run to stop")


def test_evaluate_tab_shows_progress_then_pass_at_1_table_and_charts(page):
    page.get_by_role("tab", name="Evaluate").click()
    count = page.locator("#eval-n input[type=number]")
    count.fill("4")
    count.press("Enter")
    page.fill("#eval-alphas textarea, #eval-alphas input", "0.5, 1")
    page.click("#evaluate")
    wait_for(lambda: "answers" in page.inner_text("#eval-summary"), 60, "the one progress bar")
    wait_for(lambda: "ThinkLogit" in page.inner_text("#eval-table"), 120, "the evaluation to finish")
    table = page.inner_text("#eval-table")
    assert "Target alone" in table and "Guider alone" in table and "ThinkLogit" in table
    assert "95% interval" in table and "__i18n__" not in table  # the headers are words, not translation keys
    assert "95% intervals" in page.inner_text("#eval-summary")  # the one-line verdict
    page.wait_for_selector("#eval-bars .barlayer .point", timeout=20_000)
    page.wait_for_selector("#eval-sweep .scatterlayer .point", timeout=20_000)
    assert page.locator("#eval-bars .barlayer .point").count() >= 4
    assert page.locator("#eval-sweep .scatterlayer .point").count() == 2
    shot(page, "evaluate")


def test_choosing_the_dpo_guider_loads_only_it_and_the_run_uses_it(page):
    page.click("#guider input")
    page.get_by_role("option", name="thinklogit-dpo").click()
    page.wait_for_function("document.querySelector('#status').innerText.includes('with guider thinklogit-dpo')")
    page.locator("#examples tbody tr").first.click()
    wait_for(lambda: page.input_value("#prompt textarea").strip(), 10, "the example to fill the prompt")
    page.click("#run")
    done = re.compile(r"stop: (eos|max_new_tokens|repetition)")
    wait_for(lambda: done.search(stats(page, "guided")), 60, "the guided stream to finish")
    with page.expect_download(timeout=20_000) as download:
        page.click("#export")
    assert json.loads(Path(download.value.path()).read_text())["guider"] == "thinklogit-dpo"


def test_the_inspector_compares_the_guider_with_its_dpo_variant_at_the_fork(page):
    choose_preset(page, "two-styles")
    page.fill("#prompt textarea", "Q:800+101+258+540\n")  # ThinkLogit groups after 800+101 (an odd second number); DPO's guider would not
    page.click("#run")
    wait_for(lambda: "stop: eos" in stats(page, "guided"), 60, "the guided stream to finish")
    page.locator('#heatmap .tok[data-step="7"]').click()
    wait_for(lambda: page.inner_text("#step-summary").startswith("Step 7 "), 20, "the inspector at step 7")
    page.click("#compare-guiders")
    wait_for(lambda: "ThinkLogit-DPO guider" in page.inner_text("#compare-summary"), 60, "the guider comparison")
    table = page.inner_text("#compare-table")
    assert "◀ written" in table and "target's pick" in table and "change" in table
    page.locator("#compare-table").scroll_into_view_if_needed()
    shot(page, "compare-guiders")
