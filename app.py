"""ThinkLogit Studio: `python app.py` serves the app (http://127.0.0.1:7860 by default;
GRADIO_SERVER_NAME / GRADIO_SERVER_PORT override). THINKLOGIT_PRESETS names another presets file."""
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # runs offline: no phoning home

from thinklogit_app.app.texts import CSS  # noqa: E402
from thinklogit_app.app import admission, showcase, tips  # noqa: E402
from thinklogit_app.app.ui import L, build_app  # noqa: E402

demo = build_app()

if __name__ == "__main__":
    # labels in the browser's language; every view reachable by Tab; a request gradio itself
    # refuses (e.g. too few values) says why; a burst of visitors cannot stall the event loop (admission.py)
    demo.launch(css=CSS + showcase.CSS + tips.CSS, js=showcase.JS, i18n=L, show_error=True,
                app_kwargs={"middleware": admission.middleware(demo)})
