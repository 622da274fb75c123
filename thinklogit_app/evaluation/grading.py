"""Answer extraction and equivalence: the tiny task's `A:` line and the paper's \\boxed{...}.

    >>> extract_answer("Q:1+2+3\\n1+2=3\\nQ:3+3\\nA:3+3=6")
    '6'
    >>> is_correct("so the total is \\\\boxed{\\\\frac{1}{2}}", "0.5")
    True
"""
from __future__ import annotations

import re
from fractions import Fraction

_ANSWER_LINE = re.compile(r"^A:(.*)$", re.MULTILINE)


def _last_boxed(text: str) -> str | None:
    """Content of the last \\boxed{...} (or \\fbox{...}), braces balanced."""
    start = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if start < 0:
        return None
    i = text.index("{", start) + 1
    depth, begin = 1, i
    while i < len(text):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[begin:i]
        i += 1
    return None  # unclosed: the generation was cut off


def extract_answer(text: str) -> str | None:
    """The final answer in a model's output, or None when there is none.

    \\boxed{...} wins when present; otherwise the last `A:` line, and if that line is a
    restated sum (`A:179+34=213`) the number after its last `=`.
    """
    if not text:
        return None
    boxed = _last_boxed(text)
    if boxed is not None:
        return boxed.strip()
    lines = _ANSWER_LINE.findall(text)
    if not lines:
        return None
    answer = lines[-1].rsplit("=", 1)[-1].strip()
    return answer or None


def normalize(answer: str) -> str:
    """Light LaTeX / formatting cleanup so '\\frac{1}{2}', '1/2' and '0.5' compare equal."""
    text = answer.strip().strip("$").strip()
    text = re.sub(r"\\text\{([^}]*)\}", r"\1", text)
    text = re.sub(r"\\[dt]?frac\{([^{}]+)\}\{([^{}]+)\}", r"(\1)/(\2)", text)
    for junk in ("\\left", "\\right", "\\!", "\\,", "\\;", "\\ ", "^\\circ", "^{\\circ}", "\\%", "%"):
        text = text.replace(junk, "")
    text = text.replace(" ", "").rstrip(".")
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")
    return text


def _as_number(text: str) -> Fraction | None:
    match = re.fullmatch(r"\(?(-?\d+(?:\.\d+)?)\)?(?:/\(?(-?\d+(?:\.\d+)?)\)?)?", text)
    if not match:
        return None
    value = Fraction(match.group(1))
    if match.group(2) is not None:
        denominator = Fraction(match.group(2))
        if denominator == 0:
            return None
        value /= denominator
    return value


def is_correct(text: str, reference: str) -> bool:
    """Does the output's final answer equal the reference (numerically when both are numbers)?"""
    answer = extract_answer(text)
    if answer is None:
        return False
    got, want = normalize(answer), normalize(str(reference))
    if got == want:
        return True
    got_number, want_number = _as_number(got), _as_number(want)
    return got_number is not None and got_number == want_number
