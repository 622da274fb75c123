"""The showcase panels: the verdict card of a run (how much better, at what cost, as
Markdown to download) and replays of recorded runs (the shipped gallery or an uploaded
file), which fill every view of the Generate tab with no model loaded. Layout builders
first, then their wiring; the numbers come from views.py, the replay from the Studio."""
from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from ..evaluation.record import gallery
from . import views
from .handlers import Studio
from .errors import message_of
from .i18n import language_of


LANG_COOKIE = "thinklogit-lang"  # the page's language as Gradio's Settings switch left it (JS below sets it)


def lang_of(request: gr.Request | None) -> str:
    """The visitor's language ('en' or 'ja'): the page's own (the cookie the language switch
    sets), else the browser's Accept-Language header."""
    headers = getattr(request, "headers", None) or {}
    cookies = SimpleCookie()
    try:
        cookies.load(headers.get("cookie") or "")
    except CookieError:
        pass
    chosen = cookies[LANG_COOKIE].value if LANG_COOKIE in cookies else None
    return language_of(chosen or headers.get("accept-language"))


def format_key(task: str | None) -> str:
    """The i18n key of the line under the prompt that says the task's format."""
    return f"format.{task}" if task in ("sums", "boxed") else "format.other"


def verdict_panel(L: gr.I18n) -> SimpleNamespace:
    """The verdict card under the two streams, and its Markdown download."""
    card = gr.Markdown(L("card.empty"), elem_id="verdict")
    export = gr.DownloadButton(L("ui.verdict.export"), value=None, elem_id="verdict-export", size="sm")
    return SimpleNamespace(card=card, export=export)


def replay_panel(L: gr.I18n) -> SimpleNamespace:
    """Open a recorded run: one of the shipped gallery, or a file saved by Download / `generate --json`."""
    with gr.Accordion(L("ui.replay"), open=False, elem_id="replay"):
        with gr.Row(equal_height=True):
            shipped = gr.Dropdown(gallery(), value=None, label=L("ui.replay.gallery"), elem_id="replay-gallery",
                                  scale=3)
            upload = gr.File(label=L("ui.replay.upload"), file_types=[".json"], type="filepath",
                             elem_id="replay-upload", scale=2, height=120)  # room for three lines of Japanese
    return SimpleNamespace(shipped=shipped, upload=upload)


def wire_first_screen(studio: Studio, models, generate) -> None:
    """Under the prompt, a warning when the prompt is outside the task's format or when the
    warm-up outlasts the answer (guided would equal the target alone)."""
    fields = generate.settings.fields

    def check(preset, prompt, schedule, schedule_n, max_new_tokens, request: gr.Request):
        task = studio.manager.preset(preset).task
        return views.prompt_warnings(prompt, task, schedule, schedule_n, max_new_tokens, lang_of(request))

    inputs = [models.preset, generate.prompt, fields["schedule"], fields["schedule_n"], fields["max_new_tokens"]]
    for component in inputs:
        component.change(check, inputs, generate.warning, api_visibility="private", queue=False,
                         trigger_mode="always_last")


def verdict_values(studio: Studio, verdict, record: dict, lang: str) -> dict:
    """The card and its download for a finished (or replayed) run's record."""
    return {verdict.card: views.run_verdict(record, lang, tips=True),
            verdict.export: str(studio.export_markdown(views.run_verdict(record, lang)))}


def wire_replay(studio: Studio, generate, learn, verdict, replay, run_panel, run_outputs) -> None:
    """Choosing a gallery run or uploading a file shows it as a finished run; a file that is
    not a run says why, and the views stay as they were."""
    inspector = generate.inspector

    def show(path, request: gr.Request):
        if not path:
            return gr.skip()
        lang = lang_of(request)
        try:
            panel = studio.replay(Path(path).read_bytes(), lang)
        except (OSError, ValueError) as err:
            raise gr.Error(message_of(err, lang), print_exception=False) from None
        view = studio.inspect(panel["records"], panel["focus"], lang)
        return (run_panel(generate, learn, panel) | verdict_values(studio, verdict, panel["record"], lang)
                | {generate.prompt: panel["record"].get("prompt", gr.skip())}
                | {inspector.summary: view["summary"]}
                | {getattr(inspector, key): {"headers": views.table_headers(key, lang), "data": view[key]}
                   for key in ("formula", "target", "pushed", "guided")})

    outputs = list(dict.fromkeys(run_outputs(generate, learn) + [verdict.card, verdict.export, generate.prompt] + [
        getattr(inspector, key) for key in studio.inspect([], 0)]))
    replay.shipped.input(show, replay.shipped, outputs, api_visibility="private")
    replay.upload.upload(show, replay.upload, outputs, api_visibility="private")


def replay_api(studio: Studio):
    """The /replay and /replays endpoints: a recorded run's JSON text, or the name of a shipped
    gallery run, -> the record with the views' numbers (heatmap, verdict card)."""
    shipped = {Path(path).name: path for _, path in gallery()}

    def replay(run: str, request: gr.Request = None) -> dict:
        """Replay a recorded run: `run` is its JSON (`generate --json` output or the app's
        Download) or the name of a shipped gallery run (see /replays). Returns {"record",
        "verdict", "heatmap", "steps"}; no model is loaded."""
        data = Path(shipped[run]).read_bytes() if run in shipped else run
        try:
            panel = studio.replay(data)
        except ValueError as err:
            raise gr.Error(str(err), print_exception=False) from None
        return {"record": panel["record"], "verdict": views.run_verdict(panel["record"], lang_of(request)),
                "heatmap": panel["heatmap"], "steps": panel["steps"] + 1}

    def replays() -> list:
        """The shipped gallery of recorded runs: [{"label", "name"}]; pass a name to /replay."""
        return [{"label": label, "name": Path(path).name} for label, path in gallery()]

    return replay, replays


# Keyboard: every view is reachable with Tab and shows where the focus is.
FOCUSABLE_VIEWS = ("#baseline-text", "#guided-text", "#verdict", "#heatmap", "#chart", "#step-summary",
                   "#eval-summary", "#eval-table", "#eval-bars", "#eval-sweep", "#worked")
CSS = """
#relocalize { display: none !important; }  /* clicked by JS when the page's language changes */
#examples .paginate { font-size: 0; }  /* Gradio's "Pages:" is English only: the page numbers say it */
#examples .paginate button { font-size: var(--text-sm); }
*:focus-visible { outline: 3px solid var(--color-accent) !important; outline-offset: 2px; }
#verdict { border-left: 4px solid var(--color-accent); padding-left: 12px; }
@media (max-width: 640px) {  /* a phone's first screen: the intro and status compact, the prompt and Run in view */
  #intro p, #status p { font-size: 12px; line-height: 1.35; }
}
"""
JS = """() => {
  const views = %s;
  const mark = () => views.forEach(selector => document.querySelectorAll(selector).forEach(view => {
    if (!view.hasAttribute("tabindex")) { view.tabIndex = 0; view.setAttribute("role", "region");
      view.setAttribute("aria-label", view.id.replace(/-/g, " ")); }
  }));
  mark();
  setInterval(mark, 2000);  // views of tabs not yet opened appear later
  // The language: Gradio's Settings switch sets <html lang>; the server reads it from a cookie,
  // and a hidden button has it write its texts again in that language.
  const page = () => (document.documentElement.lang || "en").split("-")[0];
  const cookie = () => (document.cookie.match(/(?:^|; )%s=([^;]*)/) || [])[1];
  const follow = () => {
    if (cookie() === page()) return;
    document.cookie = `%s=${page()}; path=/; SameSite=Lax`;
    const again = document.getElementById("relocalize");
    if (again) again.click();
  };
  new MutationObserver(follow).observe(document.documentElement, {attributes: true, attributeFilter: ["lang"]});
  follow();
}""" % (list(FOCUSABLE_VIEWS), LANG_COOKIE, LANG_COOKIE)
