"""The app's fixed texts: the intro, the How-it-works explainer, the heatmap legend, the CSS."""
from __future__ import annotations

from .views import PAPER

INTRO = f"""# ThinkLogit Studio
A large **target** model, steered token by token at decoding time by a small **guider**
minus its **base**: `guided = target + α · (guider − base)`, on raw logits, with no training of
the target. Watch the target alone and the guided target write side by side, and see where —
and how hard — the guider steers. Paper: [Logit Arithmetic Elicits Long Reasoning Capabilities
Without Training (arXiv 2507.12759)]({PAPER})."""

HOW_IT_WORKS = f"""### How it works
At every step all three models read the same text and give one logit per vocabulary entry. ThinkLogit adds
the **difference** the reasoning fine-tune made to the small model onto the large model's logits:

$$\\ell_{{\\text{{guided}}}} = \\ell_{{\\text{{target}}}} + \\alpha\\,\\big(\\ell_{{\\text{{guider}}}} - \\ell_{{\\text{{base}}}}\\big)$$

Temperature and top-p are applied after the sum. `α = 0` is the target alone; the paper uses `α = 1` after a
100-token warm-up (α = 0 first). The heatmap colours each guided token by how much guidance changed its
probability (guided − target, on a fixed −1…1 scale); tokens marked ▴ are flips: the token written differs
from the target's own top pick.
Paper: [arXiv 2507.12759]({PAPER}) · authors' code: github.com/yunx-z/think-logit."""

LEGEND = ("Colour = guided probability − target probability of each written token, on a fixed scale from −1 "
          "(blue: guidance made it much less likely) through 0 (uncoloured) to +1 (red: much likelier), the same for "
          "every run and every α. ▴ = flip: the token written differs from the target's own top pick (triangles "
          "in the chart). Hover a bar for that step's top-5 tables.")

READING = """**Reading this chart.** Each guided token is coloured by how much guidance changed *its own*
probability: guided probability − target probability, from −1 (blue) through 0 (no colour) to +1 (red), on
one fixed scale for every run and every α. A token the target was already sure of stays pale however hard the
guider pushed. Outlined tokens with ▴ are **flips**: the written token is not the target's own top pick —
the only places where the guider changed *what* was written. Often one early flip is all it takes: use
"Stop guiding after this token" in the inspector to see what that one flip sets off on its own.

- **prob change** (bars): guided − target probability of the written token.
- **KL** (line): KL(guided ‖ target) in nats — how far guidance moved the whole next-token distribution (0 = not at all).
- **target / guider / base logit**: each model's raw score for a token (higher = likelier).
- **α·(guider − base)**: what the reasoning fine-tune changed about a token, times α: added to the target's score.
- **guided logit**: target logit + α·(guider − base), the score the guided stream samples from.
- **Δ up / Δ down**: the tokens α·(guider − base) raised or lowered most (special tokens no model writes are left out).
"""

CSS = """
#baseline-text textarea, #guided-text textarea { font-family: var(--font-mono); font-size: 13px; }
#heatmap .textfield { font-family: var(--font-mono); font-size: 13px; line-height: 1.9; }
"""
