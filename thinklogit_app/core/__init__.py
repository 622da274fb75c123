"""The method itself, with no UI and no file I/O: the formula and its schedules, sampling,
tokenizer compatibility, the per-token trace, the side-by-side engine and the
transformers LogitsProcessor."""
