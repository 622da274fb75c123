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


_UNITS = ("cm", "mm", "km", "inches", "inch", "feet", "foot", "ft", "units", "unit", "degrees",
          "degree", "dollars", "cents", "meters", "meter", "miles", "mph", "seconds", "minutes", "hours", "days",
          "sq", "square")
_WRAPPERS = re.compile(r"\\(?:text|textbf|mathrm|mbox|operatorname)\{")
_SPACES = ("\\!", "\\,", "\\;", "\\:", "\\ ", "~")


def _group(text: str, open_at: int) -> tuple[str, int]:
    """(content, index after the closing brace) of the brace group opening at `open_at`;
    a single character stands for a group (`\\frac12`)."""
    if open_at >= len(text):
        return "", open_at
    if text[open_at] != "{":
        return text[open_at], open_at + 1
    depth = 0
    for i in range(open_at, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[open_at + 1:i], i + 1
    return text[open_at + 1:], len(text)  # unclosed: take the rest


def _fractions(text: str) -> str:
    """\\frac{a}{b} (and \\dfrac, \\tfrac, \\frac12), nested braces allowed -> (a)/(b)."""
    match = re.search(r"\\[dt]?frac", text)
    while match:
        numerator, after = _group(text, match.end())
        denominator, after = _group(text, after)
        text = f"{text[:match.start()]}({_fractions(numerator)})/({_fractions(denominator)}){text[after:]}"
        match = re.search(r"\\[dt]?frac", text)
    return text


def _unwrap(text: str) -> str:
    """\\text{...}, \\mathrm{...}, \\mbox{...} -> their content."""
    match = _WRAPPERS.search(text)
    while match:
        content, after = _group(text, match.end() - 1)
        text = text[:match.start()] + content + text[after:]
        match = _WRAPPERS.search(text)
    return text


def normalize(answer: str) -> str:
    """LaTeX / formatting cleanup so equal answers compare equal: '\\dfrac{1}{2}' and '1/2',
    '\\left( 3, \\frac{\\pi}{2} \\right)' and '(3,\\frac{\\pi}{2})', '90^\\circ' and '90',
    '5\\text{ cm}' and '5', 'x=5' and '5', '1,000' and '1000', a trailing '.' dropped."""
    text = answer.strip().strip("$").strip()
    text = re.sub(r"^\\boxed\{(.*)\}$", r"\1", text)
    for junk in _SPACES:
        text = text.replace(junk, " ")
    text = _unwrap(text)
    for junk in ("\\left", "\\right", "\\displaystyle", "^\\circ", "^{\\circ}", "\\circ", "\\degree", "\\%", "%", "\\$"):
        text = text.replace(junk, "")
    text = re.sub(r"\\sqrt(\w)", r"\\sqrt{\1}", text)
    text = _fractions(text)
    text = text.strip().rstrip(".").strip()
    unit = re.fullmatch(r"(.*?\d)\s*(?:" + "|".join(_UNITS) + r")(?:\^?\{?[23]\}?)?", text)
    if unit:
        text = unit.group(1)
    text = re.sub(r"^[a-zA-Z]\s*=\s*(?=\S)", "", text)  # 'x = 5' -> '5'
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
