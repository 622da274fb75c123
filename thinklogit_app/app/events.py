"""What the app's controls do, wired to their components. Each handler translates between
components and the Studio (handlers.py) and returns {component: value}, so an output is
named, never matched by position. Layout: ui.py."""
from __future__ import annotations

import gradio as gr

from ..models.presets import PresetError
from ..validation import MAX_NEW_TOKENS
from . import showcase, views
from .errors import message_of
from .handlers import Studio, quantization_of
from .i18n import preset_description, text
from .showcase import lang_of

try:  # on Hugging Face Spaces (ZeroGPU) GPU work must run inside spaces.GPU
    import spaces

    gpu = spaces.GPU
except ImportError:  # anywhere else: a no-op decorator
    def gpu(fn=None, **_):
        return fn if fn is not None else (lambda f: f)

USER_ERRORS = (PresetError, ValueError, RuntimeError)
MODEL_POOL = "models"  # the one concurrency pool of everything that runs the models (UI and API): its
                       # limit is THINKLOGIT_CONCURRENCY; Gradio lowers a pool to the smallest limit any
                       # member names, so every member names that same limit


def user_error(err: Exception, lang: str = "en") -> gr.Error:
    """A message the visitor can act on, in their language, shown as a toast; no traceback in the log."""
    return gr.Error(message_of(err, lang), print_exception=False)


def session_of(request: gr.Request | None, fallback: str) -> str:
    return getattr(request, "session_hash", None) or fallback


def preset_note(view: dict, lang: str = "en") -> str:
    description = preset_description(view["name"], view["description"], lang)
    return description + ("" if view["loadable"] else "\n\n" + text("note.cannot", lang, why=message_of(view["why"], lang)))


def guider_choices(view: dict, lang: str = "en") -> list[tuple[str, str]]:
    """The guider dropdown's (label, value) pairs: the preset's own guider named as such in `lang`."""
    def own(name: str) -> str:  # a hub id by name; a local folder ("guider") as the preset's guider, in Japanese
        return text("guider.own", lang, name=name) if lang == "en" or "/" in name else text("guider.preset", lang)

    return [(own(label.removesuffix(" (the preset's)")) if value == "" else label, value)
            for label, value in view["guiders"]]


def table(rows: list, name: str, lang: str) -> dict:
    """An inspector table's rows with its headers in `lang` (a Dataframe keeps the headers it is given)."""
    return {"headers": views.table_headers(name, lang), "data": rows}


def example_rows(view: dict) -> list[list[str]]:
    return [[e["prompt"], e["answer"]] for e in view["examples"]]


def wire_models(studio: Studio, models, generate) -> None:
    """Preset change: the form takes the preset's defaults, then the models load; guider or
    quantization change: load (or keep) that trio."""
    fields = generate.settings.fields

    def preset_changed(name, request: gr.Request):
        view, lang = studio.preset_view(name), lang_of(request)
        out = {models.note: preset_note(view, lang),
               models.guider: gr.Dropdown(choices=guider_choices(view, lang), value=""),
               generate.examples: gr.Dataset(samples=example_rows(view))}
        out |= dict(zip(models.quant, (view["quantization"][r] for r in ("target", "guider", "base"))))
        out |= {fields[key]: view["form"][key] for key in fields}
        out[fields["max_new_tokens"]] = gr.Slider(maximum=MAX_NEW_TOKENS, value=view["form"]["max_new_tokens"])
        return out  # (then load_models sets the maximum to what the preset's trio holds)

    def load_models(name, guider, q_target, q_guider, q_base, max_new_tokens, request: gr.Request):
        """Load the trio; the max-new-tokens slider then goes up to what it holds."""
        lang, quantization = lang_of(request), quantization_of(q_target, q_guider, q_base)
        try:
            status = studio.load(name, quantization, guider, lang)
            limit = studio.token_limit(name, quantization, guider)
        except (PresetError, ValueError) as err:
            message = message_of(err, lang)
            gr.Warning(message)
            return {models.status: f"⚠️ {message}\n\n{studio.status_line(lang)}",
                    fields["max_new_tokens"]: gr.Slider(maximum=MAX_NEW_TOKENS)}  # not loaded: the form's own limit
        value = min(int(max_new_tokens or limit), limit)
        return {models.status: status, fields["max_new_tokens"]: gr.Slider(maximum=limit, value=value)}

    loaders = [models.preset, models.guider, *models.quant, fields["max_new_tokens"]]
    loaded = [models.status, fields["max_new_tokens"]]
    models.preset.change(preset_changed, models.preset,
                         [models.note, models.guider, *models.quant, *generate.settings.inputs, generate.examples],
                         api_visibility="private").then(
        load_models, loaders, loaded, api_visibility="private", concurrency_id="load", concurrency_limit=1)
    for dropdown in (models.guider, *models.quant):
        dropdown.input(load_models, loaders, loaded, api_visibility="private", concurrency_id="load",
                       concurrency_limit=1)
    generate.examples.click(lambda sample: sample[0] if sample else gr.skip(), generate.examples, generate.prompt,
                            api_visibility="private")


LIVE_HEATMAP_BYTES = 64_000  # past this the steering views wait for the run's end: a browser redrawing
                             # megabytes every second starves the Stop button (seen in Chromium)


def run_outputs(generate, learn) -> list:
    return [generate.baseline.text, generate.baseline.stats, generate.baseline.badge, generate.guided.text,
            generate.guided.stats, generate.guided.badge, generate.headline, generate.heatmap, generate.chart,
            generate.inspector.step, learn.worked, generate.export, generate.state, generate.verdict.card,
            generate.verdict.export]


def run_panel(generate, learn, panel: dict) -> dict:
    """The studio's panel dict -> {component: value}; heavy views only when the panel has them."""
    out = {}
    for stream in ("baseline", "guided"):
        column = getattr(generate, stream)
        out |= {column.text: panel[f"{stream}_text"], column.stats: panel[f"{stream}_stats"],
                column.badge: panel[f"{stream}_badge"]}
    if "heatmap" in panel and ("record" in panel or len(panel["heatmap"]) < LIVE_HEATMAP_BYTES):
        out |= {generate.headline: panel["headline"] + panel.get("flips_tip", ""), generate.heatmap: panel["heatmap"],
                generate.chart: panel["chart"]}
    if "record" in panel:
        out |= {generate.inspector.step: gr.Slider(maximum=max(panel["steps"], 1), value=panel["focus"]),
                learn.worked: panel["worked"], generate.export: panel["export"],
                generate.state: {"record": panel["record"], "records": panel["records"]}}
    return out


def wire_generate(studio: Studio, models, generate, learn, concurrency: int) -> None:
    """Run (button or Enter) streams both columns and the views; Stop stops this visitor's run;
    the step slider drives the token inspector. (Handlers are named *_clicked so Gradio's
    default api names never take the named endpoints' names.)"""
    inspector = generate.inspector
    inspector_outputs = [inspector.summary, inspector.formula, inspector.target, inspector.pushed, inspector.guided]

    @gpu
    def run_clicked(name, guider, q_target, q_guider, q_base, prompt, alpha, schedule, schedule_n, temperature,
                    top_p, max_new_tokens, seed, request: gr.Request):
        form = {"alpha": alpha, "schedule": schedule, "schedule_n": schedule_n, "temperature": temperature,
                "top_p": top_p, "max_new_tokens": max_new_tokens, "seed": seed}  # the order of settings.inputs
        lang = lang_of(request)
        try:
            for panel in studio.generate_panels(session_of(request, "ui"), name,
                                                quantization_of(q_target, q_guider, q_base), prompt, form,
                                                guider=guider, lang=lang):
                out = run_panel(generate, learn, panel)
                if "record" in panel:
                    out |= showcase.verdict_values(studio, generate.verdict, panel["record"], lang)
                yield out
        except USER_ERRORS as err:
            raise user_error(err, lang) from None

    def stop_clicked(request: gr.Request):
        if not studio.stop(session_of(request, "ui")):
            gr.Info(text("info.idle", lang_of(request)))

    def inspect(state, step, request: gr.Request):
        lang = lang_of(request)
        view = studio.inspect((state or {}).get("records", []), step, lang)
        return {inspector.summary: view["summary"]} | {
            getattr(inspector, name): table(view[name], name, lang) for name in ("formula", "target", "pushed", "guided")}

    inputs = [models.preset, models.guider, *models.quant, generate.prompt, *generate.settings.inputs]

    def stop_usable(live: bool):  # Stop is enabled only while a run is live
        return lambda: gr.Button(interactive=live)

    for trigger in (generate.run.click, generate.prompt.submit):
        trigger(stop_usable(True), None, generate.stop, api_visibility="private", queue=False).then(
            run_clicked, inputs, run_outputs(generate, learn), api_visibility="private", concurrency_id=MODEL_POOL,
            concurrency_limit=concurrency, show_progress="minimal").then(
            stop_usable(False), None, generate.stop, api_visibility="private", queue=False).then(
            status_of(studio), None, models.status, api_visibility="private").then(
            inspect, [generate.state, inspector.step], inspector_outputs, api_visibility="private")
    generate.stop.click(stop_clicked, None, None, api_visibility="private", concurrency_limit=None, queue=False)
    inspector.step.change(inspect, [generate.state, inspector.step], inspector_outputs, api_visibility="private",
                          trigger_mode="always_last")


def wire_steering(studio: Studio, models, generate, concurrency: int) -> None:
    """Linked views and what-ifs: a click on a heatmap token or a chart bar opens the inspector at
    its step (both reach Python as the heatmap's click, steering.CLICK_JS);
    the inspector's forks replay the prompt guided up to that token, or with the other candidate
    forced there; the alpha grid decodes the prompt at 13 alphas and a slider scrubs through them."""
    inspector, fork, grid = generate.inspector, generate.inspector.fork, generate.alphas

    def token_clicked(evt: gr.EventData):
        step = getattr(evt, "_data", None) or {}
        return {inspector.step: int(step.get("step", 0))} if "step" in step else {inspector.step: gr.skip()}

    def fork_clicked(kind):
        @gpu
        def clicked(state, step, q_target, q_guider, q_base, request: gr.Request):
            lang = lang_of(request)
            try:
                view = studio.fork((state or {}).get("record"), (state or {}).get("records", []), step, kind,
                                   quantization_of(q_target, q_guider, q_base), session_of(request, "ui"), lang)
            except USER_ERRORS as err:
                raise user_error(err, lang) from None
            return {fork.summary: view["summary"], fork.full: view["full_text"], fork.text: view["text"],
                    fork.badge: view["badge"]}
        return clicked

    @gpu
    def grid_clicked(name, guider, q_target, q_guider, q_base, prompt, alpha, schedule, schedule_n, temperature,
                     top_p, max_new_tokens, seed, request: gr.Request):
        form = {"schedule": schedule, "schedule_n": schedule_n, "temperature": temperature, "top_p": top_p,
                "max_new_tokens": max_new_tokens, "seed": seed}
        lang = lang_of(request)
        try:
            result = studio.alpha_grid(name, quantization_of(q_target, q_guider, q_base), prompt, form, None, guider,
                                       session_of(request, "ui"))
        except USER_ERRORS as err:
            raise user_error(err, lang) from None
        view = studio.alpha_view(result, alpha, lang)
        return {grid.state: result, grid.strip: view["strip"], grid.summary: view["summary"],
                grid.heatmap: view["heatmap"]}

    def scrubbed(result, alpha, request: gr.Request):
        view = studio.alpha_view(result, alpha, lang_of(request))
        return {grid.strip: view["strip"], grid.summary: view["summary"], grid.heatmap: view["heatmap"]}

    @gpu
    def compare_clicked(state, step, q_target, q_guider, q_base, request: gr.Request):
        lang = lang_of(request)
        try:
            view = studio.compare_pushes((state or {}).get("record"), (state or {}).get("records", []), step,
                                         quantization_of(q_target, q_guider, q_base), session_of(request, "ui"), lang)
        except USER_ERRORS as err:
            raise user_error(err, lang) from None
        table = gr.Dataframe(value=view["rows"], headers=view["headers"], visible=bool(view["rows"]))
        return {compare.summary: view["summary"], compare.table: table}

    compare = inspector.compare
    fork_inputs = [generate.state, inspector.step, *models.quant]  # the forks and the comparison read the same
    compare.button.click(compare_clicked, fork_inputs, [compare.summary, compare.table], api_visibility="private",
                         concurrency_id=MODEL_POOL, concurrency_limit=concurrency, show_progress="minimal")
    generate.heatmap.click(token_clicked, None, inspector.step, api_visibility="private", queue=False)
    fork_outputs = [fork.summary, fork.full, fork.text, fork.badge]
    for button, kind in ((fork.stop_after, "stop"), (fork.force, "force")):
        button.click(fork_clicked(kind), fork_inputs, fork_outputs, api_visibility="private",
                     concurrency_id=MODEL_POOL, concurrency_limit=concurrency, show_progress="minimal")
    grid_inputs = [models.preset, models.guider, *models.quant, generate.prompt, grid.alpha,
                   *generate.settings.inputs[1:]]  # the grid's own alpha slider in place of the form's
    grid.button.click(grid_clicked, grid_inputs, [grid.state, grid.strip, grid.summary, grid.heatmap],
                      api_visibility="private", concurrency_id=MODEL_POOL, concurrency_limit=concurrency,
                      show_progress="minimal")
    grid.alpha.change(scrubbed, [grid.state, grid.alpha], [grid.strip, grid.summary, grid.heatmap],
                      api_visibility="private", trigger_mode="always_last", queue=False)


def wire_evaluate(studio: Studio, models, evaluation, concurrency: int) -> None:
    """Evaluate: held-out pass@1 with a progress bar, then the table, bars and alpha sweep; it
    waits for a slot of the model pool like a run."""
    @gpu
    def evaluate_clicked(name, q_target, q_guider, q_base, n, alphas, request: gr.Request, progress=gr.Progress()):
        lang = lang_of(request)

        def report(done, total):  # one bar: every answer of every way of decoding
            count = int(n)
            progress(done / total, desc=text("eval.progress", lang, n=count, ways=total // count, done=done,
                                             total=total))

        try:
            result = studio.evaluate(name, n, alphas, quantization_of(q_target, q_guider, q_base), report,
                                     session_of(request, "ui"))
        except USER_ERRORS as err:
            raise user_error(err, lang) from None
        view = studio.evaluation_panels(result, lang)
        return {evaluation.summary: view["summary"], evaluation.table: gr.Dataframe(view["rows"], headers=view["headers"]), evaluation.bars: view["bars"],
                evaluation.sweep: view["sweep"], evaluation.raw: result,
                evaluation.export: str(studio.export_markdown(view["markdown"], "evaluation"))}

    outputs = [evaluation.summary, evaluation.table, evaluation.bars, evaluation.sweep, evaluation.raw, evaluation.export]
    evaluation.button.click(evaluate_clicked, [models.preset, *models.quant, evaluation.n, evaluation.alphas], outputs,
                            api_visibility="private", concurrency_id=MODEL_POOL, concurrency_limit=concurrency,
                            show_progress_on=evaluation.summary).then(
        status_of(studio), None, models.status, api_visibility="private")  # it loads the preset's own guider


def status_of(studio: Studio):
    """A handler writing the models' status line in the visitor's language. (Not named `status`:
    Gradio names an event by its function, which would take /status from the named endpoint.)"""
    def status_line_shown(request: gr.Request):
        return studio.status_line(lang_of(request))
    return status_line_shown


def eval_headers(lang: str) -> list[str]:
    return [text("ui.eval.decoding", lang), "pass@1", text("ui.eval.interval", lang), text("ui.eval.why", lang)]
