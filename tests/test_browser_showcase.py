"""The showcase in a real browser (Debian's chromium, headless): at 1440x900 and 390x844, in
light and dark, in en-US and ja-JP, the page opens with an example in the prompt and Run in
view, runs it, shows the verdict card, opens a shipped replay; in ja-JP no English UI text
is left. Screenshots go where test_browser.py puts them (THINKLOGIT_SCREENSHOTS)."""
from __future__ import annotations

import re

import pytest

from test_browser import SHOTS, app_url, browser, wait_for  # noqa: F401  (fixtures)
from test_browser_japanese import visible_english

SCREENS = [  # (viewport, colour scheme, locale): every axis in two of the four runs
    ((1440, 900), "light", "en-US"),
    ((1440, 900), "dark", "ja-JP"),
    ((390, 844), "light", "ja-JP"),
    ((390, 844), "dark", "en-US"),
]
VERDICT = {"en-US": re.compile(r"\*?\d+\*? guided vs"), "ja-JP": re.compile(r"ガイド付き \d+")}


def in_view(page, selector: str) -> bool:
    """Is the element inside the first screen (no scrolling)?"""
    box = page.locator(selector).first.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


@pytest.mark.parametrize("viewport, scheme, locale", SCREENS,
                         ids=[f"{w}x{h}-{s}-{l}" for (w, h), s, l in SCREENS])
def test_first_screen_run_verdict_replay(browser, app_url, viewport, scheme, locale):  # noqa: F811
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale=locale,
                                  color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        page.wait_for_selector("#prompt textarea")
        page.wait_for_selector("#chart .main-svg")  # plotly came with the page, before any run
        assert page.input_value("#prompt textarea").startswith("Q:")  # an example is already in
        assert in_view(page, "#prompt textarea") and in_view(page, "#run"), "prompt and Run must be on the first screen"
        assert page.locator("#stop").is_disabled()  # nothing is running yet
        name = f"showcase-{viewport[0]}x{viewport[1]}-{scheme}-{locale}"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}-first.png"))

        page.click("#run")
        wait_for(lambda: VERDICT[locale].search(page.inner_text("#verdict")), 120, "the verdict card")
        wait_for(lambda: page.locator("#stop").is_disabled(), 20, "Stop to be disabled once the run is over")
        page.screenshot(path=str(SHOTS / f"{name}-run.png"), full_page=True)

        page.click("#replay")
        page.click("#replay-gallery input")
        page.get_by_role("option", name=re.compile(r"^Q:541\+755")).click()  # a shipped run of another prompt
        wait_for(lambda: "541+755" in page.input_value("#prompt textarea"), 60, "the replay to fill the views")
        assert VERDICT[locale].search(page.inner_text("#verdict")) and page.locator("#heatmap .tok").count() > 0
        page.screenshot(path=str(SHOTS / f"{name}-replay.png"), full_page=True)
        if locale == "ja-JP":
            assert not visible_english(page)  # every visible string (test_browser_japanese.py's reading)
    finally:
        context.close()


def test_tab_reaches_every_view_with_a_visible_focus_ring(browser, app_url):  # noqa: F811
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.set_default_timeout(60_000)
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        page.wait_for_selector("#prompt textarea")
        page.focus("#prompt textarea")
        page.keyboard.press("Enter")  # Enter runs (the prompt box is one line that grows)
        wait_for(lambda: VERDICT["en-US"].search(page.inner_text("#verdict")), 120, "the run Enter started")
        page.focus("#prompt textarea")
        reached, rings = set(), set()
        for _ in range(120):
            page.keyboard.press("Tab")
            focused = page.evaluate("""() => { const e = document.activeElement;
                return [e.id, getComputedStyle(e).outlineStyle, getComputedStyle(e).outlineWidth]; }""")
            reached.add(focused[0])
            if focused[1] != "none" and focused[2] != "0px":
                rings.add(focused[0])
        views = {"baseline-text", "guided-text", "verdict", "heatmap", "chart", "step-summary"}
        assert views <= reached, views - reached
        assert views <= rings, views - rings
    finally:
        page.close()
