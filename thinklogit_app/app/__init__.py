"""The Gradio app: ui (layout and wiring), handlers (what each control does), views (the
numbers shown), plots (figures), session (runs on worker threads with a cancel Event)."""
