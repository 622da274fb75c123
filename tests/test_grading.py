"""\\boxed{} extraction and answer normalisation, table-driven (the hub presets' examples
are MATH-500 / AIME 2024 items with LaTeX reference answers)."""
from __future__ import annotations

import json

import pytest

from thinklogit_app.evaluation.grading import extract_answer, is_correct, normalize
from thinklogit_app.models.presets import ROOT

EXTRACT = [
    ("so the answer is \\boxed{42}.", "42"),
    ("first \\boxed{1}, then \\boxed{2}", "2"),  # the last box wins
    ("\\boxed{\\frac{\\sqrt{3}}{2}}", "\\frac{\\sqrt{3}}{2}"),  # nested braces
    ("\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}", "\\left( 3, \\frac{\\pi}{2} \\right)"),
    ("\\fbox{7}", "7"),
    ("cut off \\boxed{\\frac{1}{", None),  # unclosed: no answer
    ("no box here", None),
]

SAME = [  # (model's answer, reference)
    ("\\frac{14}{3}", "\\frac{14}{3}"),
    ("\\dfrac{14}{3}", "\\frac{14}{3}"),
    ("\\tfrac{1}{2}", "0.5"),
    ("\\frac12", "\\frac{1}{2}"),
    ("14/3", "\\frac{14}{3}"),
    ("\\frac{3\\sqrt{3}}{4}", "\\frac{3\\sqrt{3}}{4}"),
    ("\\dfrac{3\\sqrt{3}}{4}", "\\frac{3\\sqrt3}{4}"),
    ("(3,\\frac{\\pi}{2})", "\\left( 3, \\frac{\\pi}{2} \\right)"),
    ("-\\dfrac{\\pi}{6}", "-\\frac{\\pi}{6}"),
    ("90", "90^\\circ"),
    ("90^{\\circ}", "90^\\circ"),
    ("5\\text{ cm}", "5"),
    ("42 \\text{ inches}", "42"),
    ("\\text{Evelyn}", "Evelyn"),
    ("x = 5", "x=5"),
    ("5", "x=5"),
    ("1,000", "1000"),
    ("9901.", "9901"),
    ("$9$", "9"),
    ("3, 5, 7", "3,5,7"),
    ("6 + 9i", "6+9i"),
    ("11\\sqrt{2}", "11\\sqrt2"),
    ("025", "25"),  # AIME answers are written with three digits
    ("0.150", "0.15"),
    ("10\\%", "10"),
    ("\\$5", "5"),
]

DIFFERENT = [
    ("\\frac{14}{5}", "\\frac{14}{3}"),
    ("91", "90^\\circ"),
    ("(3,\\pi)", "\\left( 3, \\frac{\\pi}{2} \\right)"),
    ("6-9i", "6+9i"),
    ("2m", "2"),
]


@pytest.mark.parametrize("text, expected", EXTRACT)
def test_boxed_extraction(text, expected):
    assert extract_answer(text) == expected


@pytest.mark.parametrize("answer, reference", SAME)
def test_equal_answers_normalise_alike(answer, reference):
    assert is_correct(f"Thus \\boxed{{{answer}}}.", reference), (normalize(answer), normalize(reference))


@pytest.mark.parametrize("answer, reference", DIFFERENT)
def test_different_answers_stay_different(answer, reference):
    assert not is_correct(f"\\boxed{{{answer}}}", reference), (normalize(answer), normalize(reference))


def test_every_shipped_math_example_grades_its_own_reference_as_correct():
    examples = json.loads((ROOT / "assets" / "examples.math.json").read_text())
    assert 10 <= len(examples) <= 20
    for example in examples:
        assert example["prompt"] and example["source"]
        assert is_correct(f"The answer is \\boxed{{{example['answer']}}}.", example["answer"])
        assert not is_correct("The answer is \\boxed{0.123456}.", example["answer"])
