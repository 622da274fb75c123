"""Error messages in Japanese at the app's boundary (app/errors.py): each message the code
raises, raised through the real code, comes out translated; English stays as raised."""
from __future__ import annotations

import re

import pytest

from thinklogit_app import validation
from thinklogit_app.app.errors import NAMES_JA, PATTERNS_JA, UNKNOWN_JA, message_of
from thinklogit_app.evaluation.record import read_run

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
RAISES = [  # each a call that raises one of the messages a visitor can meet
    lambda: validation.check_alpha("x"),
    lambda: validation.check_alpha(float("inf")),
    lambda: validation.whole_in(1.5, 1, 10, "max new tokens"),
    lambda: validation.check_alpha(7),
    lambda: validation.check_text(3, "preset"),
    lambda: validation.quantization({"target": "2bit"}),
    lambda: validation.quantization({"nope": "none"}),
    lambda: validation.quantization("4bit"),
    lambda: validation.schedule_spec("warmup", 0),
    lambda: validation.settings_from_form(1, "constant", 1, 0, 0, 10, 0),
    lambda: validation.check_prompt("  "),
    lambda: validation.check_prompt("x" * (validation.MAX_PROMPT_CHARS + 1)),
    lambda: validation.check_prompt("a\ud800"),
    lambda: validation.parse_alphas(" , "),
    lambda: validation.check_evaluation(1, ",".join(str(a / 10) for a in range(9)), 3),
    lambda: validation.check_evaluation(500, "0.5, 1", 5),
    lambda: validation.settings_from({}, {"nope": 1}),
    lambda: validation.parse_force("-1:2"),
    lambda: read_run(b"{not json"),
    lambda: read_run(b"[]"),
    lambda: read_run(b'{"baseline": {}, "guided": {}}'),
    lambda: read_run(b'{"baseline": {"text": "", "ids": []}, "guided": {"text": "", "ids": []}}'),
]


@pytest.mark.parametrize("raising", RAISES, ids=range(len(RAISES)))
def test_each_message_the_code_raises_comes_out_in_japanese(raising):
    with pytest.raises(ValueError) as caught:
        raising()
    english = str(caught.value)
    japanese = message_of(caught.value, "ja")
    assert message_of(caught.value, "en") == english  # the command line's and the API's text, unchanged
    assert JAPANESE.search(japanese) and not japanese.startswith(UNKNOWN_JA.split("{")[0]), (english, japanese)


def test_the_names_in_messages_are_translated_and_unknown_messages_keep_their_text():
    japanese = message_of(ValueError("max new tokens must be between 1 and 96, got 500"), "ja")
    assert japanese == "最大生成トークン数 は 1 から 96 の範囲で指定してください（入力：500）"
    assert message_of(RuntimeError("CUDA out of memory"), "ja") == "エラー：CUDA out of memory"
    assert all(JAPANESE.search(ja) for _, ja in PATTERNS_JA) and "alpha" in NAMES_JA


def test_the_studio_messages_are_translated_too():
    from thinklogit_app.app.handlers import MAX_GRID, Studio

    for message in ("Run a prompt first: then fork it at one of its tokens.",
                    f"at most {MAX_GRID} alphas in one grid, got 30: give fewer",
                    "preset 'gpu-only' needs a CUDA GPU and this machine has none",
                    "unknown preset 'x': choose one of tiny-sums, two-styles",
                    "generation failed: RuntimeError: boom"):
        assert JAPANESE.search(message_of(message, "ja")) and not message_of(message, "ja").startswith("エラー"), message
    with pytest.raises(ValueError, match="Run a prompt first"):
        Studio.fork(None, None, [], 0, "stop")
