"""The app's words in English and Japanese: one table for both Gradio's `gr.I18n` (labels and
static text, translated in the browser) and the text the server writes (verdicts, notes,
messages), which `text(key, lang, **values)` fills in the visitor's language.

Every key has an entry in every language; tests/test_i18n.py checks that, and that the app
uses no key the table lacks.
"""
from __future__ import annotations

from ..evaluation.evaluate import COLUMN_LABELS

LANGUAGES = ("en", "ja")

EN = {
    # evaluation columns: the names the `eval` command prints
    **{f"col.{name}": label for name, label in COLUMN_LABELS.items()},
    "note.target": "the large model alone: worked steps in {steps} of its answers",
    "note.base": "the small model before its reasoning fine-tune: worked steps in {steps} of its answers",
    "note.guider.format_only": ("knows the format (worked steps in {steps} of its answers) but is too small "
                                "to get the answers right"),
    "note.guider": "the small reasoning model alone: worked steps in {steps} of its answers",
    "note.thinklogit": "the target's knowledge steered into the guider's format: worked steps in {steps} of its answers",
    "verdict.eval": ("**{best}** {best_acc} [{best_low}–{best_high}] vs **{target}** {target_acc} "
                     "[{target_low}–{target_high}] on {n} held-out problems: **{gain:+.0f} points**; {separation}."),
    "verdict.apart": "the 95% intervals do not overlap",
    "verdict.overlap": "the 95% intervals overlap, so evaluate more problems before trusting the gap",
    "eval.header": "| decoding | pass@1 | 95% interval (Wilson) | why |",
    # the generate verdict card
    "card.title": "### Verdict",
    "card.answer": "**{name}**: {answer} · {tokens} tokens",
    "card.correct": "✔ correct",
    "card.incorrect": "✘ incorrect",
    "card.no_answer": "✘ no answer",
    "card.ungraded": "not graded (no reference answer)",
    "card.reference": "Reference answer `{reference}`.",
    "card.cost": "**Cost** (forward passes of this run)",
    "card.tokens": "tokens per answer: **{guided}** guided vs **{baseline}** target alone",
    "card.seconds": "seconds per answer: **{guided:.3f} s** guided vs **{baseline:.3f} s** target alone",
    "card.latency": "latency per token: **{ratio:.2f}×** the target's alone ({guided_ms:.1f} ms vs {baseline_ms:.1f} ms)",
    "card.latency_na": "latency per token: needs two tokens or more in each answer",
    "card.memory": ("memory: guider pair **{pair}** beside the target's **{target}** (+{share:.0%}); "
                    "{pair_bytes:,} vs {target_bytes:,} bytes"),
    "card.empty": "_Run a prompt: the verdict and its cost appear here._",
}

JA = {
    "col.target": "ターゲット単体",
    "col.base": "ベース単体",
    "col.guider": "ガイダー単体",
    "col.thinklogit": "ThinkLogit",
    "col.thinklogit-dpo": "ThinkLogit-DPO",
    "note.target": "大きなモデル単体：途中式を書いた解答は {steps}",
    "note.base": "推論用の微調整を受ける前の小さなモデル：途中式を書いた解答は {steps}",
    "note.guider.format_only": "書式は知っている（途中式を書いた解答は {steps}）が、小さすぎて正しい答えに届かない",
    "note.guider": "推論用に微調整した小さなモデル単体：途中式を書いた解答は {steps}",
    "note.thinklogit": "ターゲットの知識をガイダーの書式へ導いたもの：途中式を書いた解答は {steps}",
    "verdict.eval": ("**{best}** {best_acc} [{best_low}–{best_high}] 対 **{target}** {target_acc} "
                     "[{target_low}–{target_high}]（評価用の問題 {n} 問）：**{gain:+.0f} ポイント**。{separation}。"),
    "verdict.apart": "95% 区間は重なっていません",
    "verdict.overlap": "95% 区間が重なっています。差を信じる前に問題数を増やして評価してください",
    "eval.header": "| デコード方法 | pass@1 | 95% 区間（Wilson） | 理由 |",
    "card.title": "### 判定",
    "card.answer": "**{name}**：{answer} · {tokens} トークン",
    "card.correct": "✔ 正解",
    "card.incorrect": "✘ 不正解",
    "card.no_answer": "✘ 答えなし",
    "card.ungraded": "採点なし（参照解答がありません）",
    "card.reference": "参照解答 `{reference}`。",
    "card.cost": "**コスト**（この実行の順伝播）",
    "card.tokens": "1 解答あたりのトークン数：ガイド付き **{guided}**、ターゲット単体 **{baseline}**",
    "card.seconds": "1 解答あたりの秒数：ガイド付き **{guided:.3f} 秒**、ターゲット単体 **{baseline:.3f} 秒**",
    "card.latency": ("1 トークンあたりの遅延：ターゲット単体の **{ratio:.2f} 倍**"
                     "（{guided_ms:.1f} ms 対 {baseline_ms:.1f} ms）"),
    "card.latency_na": "1 トークンあたりの遅延：どちらの解答にも 2 トークン以上必要です",
    "card.memory": ("メモリ：ターゲット **{target}** に加えてガイダー対 **{pair}**（+{share:.0%}）；"
                    "{pair_bytes:,} バイト対 {target_bytes:,} バイト"),
    "card.empty": "_プロンプトを実行すると、判定とそのコストがここに表示されます。_",
}

TRANSLATIONS = {"en": EN, "ja": JA}


def language_of(accept_language: str | None) -> str:
    """The first supported language of an Accept-Language header ('ja-JP,ja;q=0.9' -> 'ja'); English otherwise."""
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower().split("-")[0]
        if code in TRANSLATIONS:
            return code
    return "en"


def text(key: str, lang: str = "en", **values) -> str:
    """The entry `key` in `lang` (English when `lang` is not supported), filled with `values`."""
    table = TRANSLATIONS.get(lang, EN)
    if key not in table:
        raise KeyError(f"no {lang!r} text for {key!r}: add it to thinklogit_app/app/i18n.py")
    return table[key].format(**values) if values else table[key]
