"""One line in words per number on screen, in English and Japanese, and the markup that puts it
under the pointer: a dotted underline (`titled`) or a small ⓘ (`info`) whose title is the line.
The words join i18n's tables (keys "tip.*"); the legend lines under tables whose headers cannot
carry a title are shown with gr.I18n (class LEGEND)."""
from __future__ import annotations

import html

LEGEND = "tl-legend"  # elem_classes of a legend line: small and muted, right under its table or chart
CSS = """
.tl-tip { text-decoration: underline dotted; text-underline-offset: 3px; cursor: help; }
.tl-info { text-decoration: none; cursor: help; opacity: 0.65; font-size: 0.9em; }
.tl-legend p { font-size: 12px; line-height: 1.45; opacity: 0.8; margin: 2px 0 0; }
"""

EN = {
    "bar.label": "guided − target probability of the written token",  # the colour bar's own words
    "bar.flip": "outlined = flip (not the target's own top pick)",
    "tip.tokens": "how many tokens (word pieces) this stream has written",
    "tip.speed": "tokens written per second on this machine while the run went on",
    "tip.stop": ("why the stream ended: eos = the model wrote its end-of-text token; max_new_tokens = it reached the "
                 "length limit; repetition = a loop was cut short; cancelled = Stop was pressed"),
    "tip.flips": ("a flip is a token where the guided stream wrote something other than the target's own top pick: "
                  "the only places where the guider changed what was written"),
    "tip.tick.down": "{value}: guidance made the written token {points} percentage points less likely than the target alone",
    "tip.tick.zero": "0: guidance left the written token's probability where the target alone had it",
    "tip.tick.up": "{value}: guidance made the written token {points} percentage points likelier than the target alone",
    "tip.chip": ("α {alpha}: this prompt decoded with steering strength {alpha} (0 = the target alone); {verdict}; "
                 "{flips} flips (tokens where the guider changed the target's own pick)"),
    "tip.chip.correct": "✔ = its answer matches the reference",
    "tip.chip.incorrect": "✘ = its answer does not match the reference",
    "tip.chip.ungraded": "the answer it wrote (no reference to grade it against)",
    "tip.grid": ("the answer at this α and its grade; tokens = how long that answer is; flips = tokens where the guider "
                 "changed the target's own pick (step: the target's pick → what was written)"),
    "tip.grid.token": "guided − target probability of this token, at step {step}: {change}",
    "tip.card.answer": "the answer read from each stream, graded against the reference; tokens = how long that answer is",
    "tip.card.tokens": ("how many tokens each answer took: every guided token costs a forward pass of all three models, "
                        "one of the target alone a pass of the target"),
    "tip.card.seconds": "wall-clock seconds each whole answer took on this machine",
    "tip.card.latency": ("how many times slower one guided token is than one token of the target alone: the guider and "
                         "the base run beside the target at every step"),
    "tip.card.memory": "the memory the guider and base weights add (what ThinkLogit needs on top) beside the target's own weights",
    "tip.eval": ("pass@1 = the share of held-out problems answered right at the first (greedy) try; [low–high] = the 95% "
                 "Wilson interval, where the true share likely lies; points = the gap in percentage points"),
    # legend lines (gr.I18n) under the views whose numbers sit in table headers or plot axes
    "tip.chart": ("Bars: guided − target probability of the written token (−1 to +1) · line: KL(guided ‖ target) in nats, "
                  "how far guidance moved the whole next-token distribution (0 = not at all) · ▴ a flip · hover a "
                  "step for its top-5 tables, click it to inspect that step."),
    "tip.formula": ("Logits: each model's raw score for the token (higher = likelier) · α·(guider − base): what the "
                    "reasoning fine-tune changed about it, times α · guided logit = target logit + that · guided prob: "
                    "its probability (0 to 1) in the guided stream · KL above: how far guidance moved the whole "
                    "next-token distribution (0 = not at all)."),
    "tip.tables": ("Logit: a raw score (higher = likelier) · prob: a probability from 0 to 1 · Δ up / Δ down: the tokens "
                   "whose score α·(guider − base) raised or lowered most, in logits."),
    "tip.eval.table": ("pass@1: the share of held-out problems answered right at the first (greedy) try · 95% interval "
                       "(Wilson): where the true share likely lies with this many problems · why: what that column's "
                       "answers look like."),
    "tip.grid.alpha": "The steering strength whose answer is shown below: 0 is the target alone, 1 the paper's setting.",
}

JA = {
    "bar.label": "書かれたトークンの確率：ガイド付き − ターゲット",
    "bar.flip": "枠付き = 反転（ターゲット自身の第 1 候補ではない）",
    "tip.tokens": "このストリームが書いたトークン（単語の断片）の数",
    "tip.speed": "実行中にこのマシンで 1 秒あたりに書いたトークン数",
    "tip.stop": ("ストリームが終わった理由：終了トークン = モデルが文末トークンを書いた；最大生成トークン数 = 長さの上限に"
                 "達した；繰り返し = 繰り返しを打ち切った；停止済み = 停止が押された"),
    "tip.flips": ("反転とは、ガイド付きのストリームがターゲット自身の第 1 候補と違うトークンを書いた場所です："
                  "ガイダーが書かれる内容を変えたのはここだけです"),
    "tip.tick.down": "{value}：ガイドにより、書かれたトークンの確率がターゲット単体より {points} ポイント下がった",
    "tip.tick.zero": "0：ガイドは書かれたトークンの確率をターゲット単体のときのまま変えなかった",
    "tip.tick.up": "{value}：ガイドにより、書かれたトークンの確率がターゲット単体より {points} ポイント上がった",
    "tip.chip": ("α {alpha}：誘導の強さ {alpha} でこのプロンプトをデコードした結果（0 = ターゲット単体）；{verdict}；"
                 "反転 {flips} 回（ガイダーがターゲット自身の第 1 候補を変えたトークン）"),
    "tip.chip.correct": "✔ = 答えが参照解答と一致",
    "tip.chip.incorrect": "✘ = 答えが参照解答と一致しない",
    "tip.chip.ungraded": "書かれた答え（採点に使う参照解答がありません）",
    "tip.grid": ("この α での答えとその採点；トークン = その答えの長さ；反転 = ガイダーがターゲット自身の第 1 候補を変えた"
                 "トークン（ステップ：ターゲットの候補 → 書かれたもの）"),
    "tip.grid.token": "このトークンの確率（ガイド付き − ターゲット）、ステップ {step}：{change}",
    "tip.card.answer": "各ストリームから読み取った答えと参照解答による採点；トークン = その答えの長さ",
    "tip.card.tokens": ("各解答にかかったトークン数：ガイド付きの 1 トークンには 3 つのモデルすべての順伝播が、"
                        "ターゲット単体の 1 トークンにはターゲットの順伝播が 1 回ずつかかります"),
    "tip.card.seconds": "このマシンで各解答の全体にかかった実時間（秒）",
    "tip.card.latency": ("ガイド付きの 1 トークンが、ターゲット単体の 1 トークンの何倍遅いか："
                         "各ステップでガイダーとベースがターゲットと並んで動きます"),
    "tip.card.memory": "ガイダーとベースの重みが加えるメモリ（ThinkLogit に追加で要るもの）と、ターゲット自身の重みの比較",
    "tip.eval": ("pass@1 = 評価用の問題のうち最初の（貪欲法の）1 回で正解した割合；[下限–上限] = 95% Wilson 区間、"
                 "本当の割合がありそうな範囲；ポイント = 差をパーセントポイントで表したもの"),
    "tip.chart": ("棒：書かれたトークンの確率のガイド付き − ターゲット（−1 から +1）· 線：KL(ガイド付き ‖ ターゲット)"
                  "（nats）、ガイドが次トークン分布全体をどれだけ動かしたか（0 = まったく動かさない）· ▴ 反転 · "
                  "ステップにカーソルを合わせると上位 5 の表、クリックするとそのステップを調べられます。"),
    "tip.formula": ("ロジット：各モデルがそのトークンに付けた生のスコア（高いほど起こりやすい）· α·(ガイダー − ベース)："
                    "推論用の微調整がそのトークンについて変えた分の α 倍 · ガイド付きロジット = ターゲットのロジット + "
                    "その分 · ガイド付き確率：ガイド付きのストリームでの確率（0 から 1）· 上の KL：ガイドが次トークン"
                    "分布全体をどれだけ動かしたか（0 = まったく動かさない）。"),
    "tip.tables": ("ロジット：生のスコア（高いほど起こりやすい）· 確率：0 から 1 の値 · Δ："
                   "α·(ガイダー − ベース) がスコアを最も上げた／下げたトークン（ロジット単位）。"),
    "tip.eval.table": ("pass@1：評価用の問題のうち最初の（貪欲法の）1 回で正解した割合 · 95% 区間（Wilson）："
                       "この問題数で本当の割合がありそうな範囲 · 理由：その列の解答の様子。"),
    "tip.grid.alpha": "下に答えを表示する誘導の強さ：0 はターゲット単体、1 は論文の設定です。",
}


def titled(shown: str, words: str) -> str:
    """`shown` (Markdown or HTML) dotted-underlined, `words` its hover text."""
    return f'<span class="tl-tip" title="{html.escape(words)}">{shown}</span>'


def info(words: str) -> str:
    """A small ⓘ after a line (a no-break space keeps it on the line's last word), `words` its
    hover text (and its name for a screen reader)."""
    escaped = html.escape(words)
    return f'\u00a0<span class="tl-info" title="{escaped}" aria-label="{escaped}">ⓘ</span>'
