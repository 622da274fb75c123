"""The app's words in English and Japanese: one table for both Gradio's `gr.I18n` (labels and
static text, translated in the browser) and the text the server writes (verdicts, notes,
messages), which `text(key, lang, **values)` fills in the visitor's language.

Every key has an entry in every language; tests/test_i18n.py checks that, and that the app
uses no key the table lacks.
"""
from __future__ import annotations

from ..evaluation.evaluate import COLUMN_LABELS
from ..models.manager import STATUS_WORDS
from . import tips

LANGUAGES = ("en", "ja")
SAME_IN_BOTH_LANGUAGES = {"top-p", "pass@1", "ThinkLogit", "ThinkLogit-DPO"}  # names, not words

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
    "eval.progress": "{n} problems × {ways} ways of decoding: {done} of {total} answers",
    "eval.summary": "{n} held-out problems of **{preset}**, greedy, ThinkLogit at alpha {alpha:g}; {seconds:.0f} s.",
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
    "card.latency": ("latency per token: **{ratio:.2f}×** the target's own pass on the same steps "
                     "({guided_ms:.1f} ms per guided token; {baseline_ms} per token of the target alone)"),
    "card.latency_na": "latency per token: not measured in this record",
    "card.memory": ("memory: guider pair **{pair}** beside the target's **{target}** (+{share:.0%}); "
                    "{pair_bytes:,} vs {target_bytes:,} bytes"),
    "card.empty": "_Run a prompt: the verdict and its cost appear here._",
    "badge.pending": "reference answer: `{reference}` · grading when done",
    "badge.none": "✘ **no answer found** (reference `{reference}`)",
    "badge.correct": "answer `{answer}` · ✔ **correct**",
    "badge.incorrect": "answer `{answer}` · ✘ **incorrect** (reference `{reference}`)",
    "stats.tokens": "**{count}** tokens",
    "stats.speed": "**{speed:.1f}** tok/s",
    "stats.stop": "stop: **{stop}**",
    "stats.running": "running…",
    "warn.format.sums": ("this trio only knows sums written as Q: then numbers joined by + (e.g. Q:541+755+437+677); "
                         "other text gets a made-up answer."),
    "warn.warmup": ("the warm-up ({n} tokens) is as long as the whole answer may be (max new tokens {max_new_tokens}): "
                    "the guider never acts and ThinkLogit writes what the target alone writes."),
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
    "eval.progress": "{n} 問 × {ways} 通りのデコード：{total} 解答のうち {done}",
    "eval.summary": "**{preset}** の評価用の問題 {n} 問、貪欲法、ThinkLogit は alpha {alpha:g}；{seconds:.0f} 秒。",
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
    "card.latency": ("1 トークンあたりの遅延：同じステップでのターゲット自身の計算の **{ratio:.2f} 倍**"
                     "（ガイド付き 1 トークンあたり {guided_ms:.1f} ms；ターゲット単体は 1 トークンあたり {baseline_ms}）"),
    "card.latency_na": "1 トークンあたりの遅延：この記録には測定値がありません",
    "card.memory": ("メモリ：ターゲット **{target}** に加えてガイダー対 **{pair}**（+{share:.0%}）；"
                    "{pair_bytes:,} バイト対 {target_bytes:,} バイト"),
    "card.empty": "_プロンプトを実行すると、判定とそのコストがここに表示されます。_",
    "badge.pending": "参照解答：`{reference}` · 終わったら採点します",
    "badge.none": "✘ **答えが見つかりません**（参照解答 `{reference}`）",
    "badge.correct": "答え `{answer}` · ✔ **正解**",
    "badge.incorrect": "答え `{answer}` · ✘ **不正解**（参照解答 `{reference}`）",
    "stats.tokens": "**{count}** トークン",
    "stats.speed": "**{speed:.1f}** トークン/秒",
    "stats.stop": "停止：**{stop}**",
    "stats.running": "実行中…",
    "warn.format.sums": ("このトリオが知っているのは、Q: のあとに数を + でつないだ足し算（例：Q:541+755+437+677）だけです。"
                         "それ以外の文には、でたらめな答えが返ります。"),
    "warn.warmup": ("ウォームアップ（{n} トークン）が解答全体の長さの上限（最大生成トークン数 {max_new_tokens}）以上です："
                    "ガイダーは一度も働かず、ThinkLogit はターゲット単体と同じ文を書きます。"),
}

UI_EN = {
    "ui.preset": "Preset",
    "ui.guider": "Guider (thinklogit-dpo = ThinkLogit-DPO)",
    "ui.quant.target": "Target quantization",
    "ui.quant.guider": "Guider quantization",
    "ui.quant.base": "Base quantization",
    "ui.advanced.models": "Advanced: quantization per model",
    "ui.advanced.decoding": "Advanced: decoding settings (defaults: the preset's, after the paper)",
    "ui.alpha": "alpha (steering strength)",
    "ui.schedule": "alpha schedule",
    "ui.schedule_n": "N (warm-up / ramp tokens)",
    "ui.temperature": "temperature (0 = greedy)",
    "ui.top_p": "top-p",
    "ui.max_new_tokens": "max new tokens",
    "ui.seed": "seed",
    "ui.stream.baseline": "### Target alone",
    "ui.stream.guided": "### Target + ThinkLogit",
    "ui.inspect": "Inspect one token (click a token or a chart bar above, or pick its step)",
    "ui.step": "step (generated token)",
    "ui.table.target": "What the target wanted (top-5)",
    "ui.table.pushed": "What α·(guider − base) pushed up / down (special tokens no model writes left out)",
    "ui.table.guided": "What was picked (guided top-5)",
    "ui.prompt": "Prompt",
    "ui.prompt.placeholder": "Type a question in the task's format, or click an example",
    "ui.examples": "Examples: prompt · reference answer (click one to put it in the prompt)",
    "ui.run": "Run",
    "ui.stop": "Stop",
    "ui.where": "### Where the guider steers",
    "ui.export": "Download the run's trace (JSON)",
    "ui.verdict.export": "Download the verdict (Markdown)",
    "ui.replay": "Replay a recorded run (no model needed)",
    "ui.replay.gallery": "Recorded runs of the embedded trio",
    "ui.replay.upload": "…or open a run JSON",
    "ui.eval.intro": ("Greedy pass@1 on held-out problems of the preset: target alone, base alone, guider alone and "
                      "ThinkLogit with the preset's own guider, with 95% intervals, plus accuracy across alpha and a "
                      "column per guider variant (e.g. ThinkLogit-DPO)."),
    "ui.eval.n": "held-out problems",
    "ui.eval.alphas": "alphas to sweep (0 = the target alone)",
    "ui.eval.button": "Evaluate",
    "ui.eval.table": "pass@1",
    "ui.eval.decoding": "decoding",
    "ui.eval.interval": "95% interval (Wilson)",
    "ui.eval.why": "why",
    "ui.eval.raw": "Raw result (JSON)",
    "ui.tab.generate": "Generate",
    "ui.tab.evaluate": "Evaluate",
    "ui.tab.learn": "How it works",
    "ui.worked.title": "#### A worked example from your last run",
    "ui.worked.empty": "_Run a prompt: a worked example from its numbers appears here._",
    "ui.sent": "Text sent to the models (the preset's prompt template filled in)",
    "ui.fork.stop": "Stop guiding after this token",
    "ui.fork.force": "Force the other candidate here",
    "ui.fork.full": "Full run (guided throughout)",
    "ui.fork.text": "The fork",
    "ui.compare": "Compare the guiders' pushes at this step",
    "compare.guider": "guider",
    "compare.variant": "{name} guider",
    "compare.token": "token",
    "compare.change": "change",
    "compare.push": "α·({guider} − base)",
    "compare.title": "**Step {step}** (the guided stream wrote `{token}`): what each guider pair pushes, α·(guider − base)",
    "compare.line": "**{name}**: pushes `{top}` hardest ({top_push:+.2f}); on `{written}` {push:+.2f}",
    "compare.none": "_This preset has one guider: nothing to compare (presets with a ThinkLogit-DPO guider have two)._",
    "compare.first": "run a prompt first: then pick a step and compare the guiders there",
    "compare.note": ("_The table: the tokens each guider pushes hardest and the two marked ones; special tokens no "
                     "model writes are left out. change = second guider − first._"),
    "compare.written": "◀ written",
    "compare.pick": "target's pick",
    "ui.reading": "Reading this chart",
    "ui.grid": "What α does: this prompt at α 0 to 3",
    "ui.grid.run": "Decode this prompt at 13 alphas (one batched decode)",
    "ui.grid.alpha": "α (scrub through the grid)",
    "ui.language": ("Language and theme: **Settings** at the foot of the page (日本語 / English, light / dark); "
                    "the page follows the browser's language."),
    "format.sums": "Format: Q: then numbers joined by +, e.g. Q:541+755+437+677. Enter runs; Shift+Enter adds a line.",
    "format.boxed": "Format: a maths question; the answer is read from \\boxed{…}. Enter runs; Shift+Enter adds a line.",
    "format.other": "Enter runs; Shift+Enter adds a line.",
}

UI_JA = {
    "ui.preset": "プリセット",
    "ui.guider": "ガイダー（thinklogit-dpo = ThinkLogit-DPO）",
    "ui.quant.target": "ターゲットの量子化",
    "ui.quant.guider": "ガイダーの量子化",
    "ui.quant.base": "ベースの量子化",
    "ui.advanced.models": "詳細設定：モデルごとの量子化",
    "ui.advanced.decoding": "詳細設定：デコード設定（既定値はプリセットのもの、論文に準拠）",
    "ui.alpha": "alpha（誘導の強さ）",
    "ui.schedule": "alpha のスケジュール",
    "ui.schedule_n": "N（ウォームアップ／ランプのトークン数）",
    "ui.temperature": "温度（0 = 貪欲法）",
    "ui.top_p": "top-p",
    "ui.max_new_tokens": "最大生成トークン数",
    "ui.seed": "シード",
    "ui.stream.baseline": "### ターゲット単体",
    "ui.stream.guided": "### ターゲット + ThinkLogit",
    "ui.inspect": "1 トークンを調べる（上のトークンかグラフの棒をクリックするか、ステップを選ぶ）",
    "ui.step": "ステップ（生成されたトークン）",
    "ui.table.target": "ターゲットが望んだもの（上位 5）",
    "ui.table.pushed": "α·(ガイダー − ベース) が押し上げた／押し下げたもの（どのモデルも書かない特殊トークンは除く）",
    "ui.table.guided": "選ばれたもの（ガイド付きの上位 5）",
    "ui.prompt": "プロンプト",
    "ui.prompt.placeholder": "タスクの書式で問題を入力するか、例をクリックしてください",
    "ui.examples": "例：プロンプト · 参照解答（クリックするとプロンプトに入ります）",
    "ui.run": "実行",
    "ui.stop": "停止",
    "ui.where": "### ガイダーが誘導する場所",
    "ui.export": "実行のトレースをダウンロード（JSON）",
    "ui.verdict.export": "判定をダウンロード（Markdown）",
    "ui.replay": "記録された実行を再生（モデル不要）",
    "ui.replay.gallery": "組み込みトリオの記録された実行",
    "ui.replay.upload": "…または実行の JSON を開く",
    "ui.eval.intro": ("プリセットの評価用の問題での貪欲法の pass@1：ターゲット単体、ベース単体、ガイダー単体、"
                      "プリセットのガイダーによる ThinkLogit を 95% 区間つきで示し、alpha ごとの正解率と"
                      "ガイダーの変種ごとの列（例：ThinkLogit-DPO）も加えます。"),
    "ui.eval.n": "評価用の問題数",
    "ui.eval.alphas": "掃引する alpha（0 = ターゲット単体）",
    "ui.eval.button": "評価",
    "ui.eval.table": "pass@1",
    "ui.eval.decoding": "デコード方法",
    "ui.eval.interval": "95% 区間（Wilson）",
    "ui.eval.why": "理由",
    "ui.eval.raw": "生の結果（JSON）",
    "ui.tab.generate": "生成",
    "ui.tab.evaluate": "評価",
    "ui.tab.learn": "仕組み",
    "ui.worked.title": "#### 直近の実行から作った計算例",
    "ui.worked.empty": "_プロンプトを実行すると、その数値から作った計算例がここに表示されます。_",
    "ui.sent": "モデルに送られるテキスト（プリセットのプロンプトテンプレートに当てはめたもの）",
    "ui.fork.stop": "このトークンのあとは誘導をやめる",
    "ui.fork.force": "ここでもう一方の候補を強制する",
    "ui.fork.full": "全体の実行（最後まで誘導）",
    "ui.fork.text": "分岐",
    "ui.compare": "このステップでのガイダーの押し出しを比べる",
    "compare.guider": "ガイダー",
    "compare.variant": "{name} のガイダー",
    "compare.token": "トークン",
    "compare.change": "変化",
    "compare.push": "α·({guider} − ベース)",
    "compare.title": "**ステップ {step}**（誘導ありの出力は `{token}` を書いた）：各ガイダー対の押し出し α·(ガイダー − ベース)",
    "compare.line": "**{name}**：最も強く押すのは `{top}`（{top_push:+.2f}）；`{written}` には {push:+.2f}",
    "compare.none": "_このプリセットにはガイダーが一つしかないため比べられません（ThinkLogit-DPO のガイダーを持つプリセットには二つあります）。_",
    "compare.first": "まずプロンプトを実行し、ステップを選んでからガイダーを比べてください",
    "compare.note": ("_表：各ガイダーが最も強く押すトークンと、印の付いた二つ。どのモデルも書かない特殊トークンは"
                     "除いています。変化 = 二つ目のガイダー − 一つ目。_"),
    "compare.written": "◀ 書かれたトークン",
    "compare.pick": "ターゲットの第一候補",
    "ui.reading": "このグラフの読み方",
    "ui.grid": "α の働き：このプロンプトを α 0 から 3 で",
    "ui.grid.run": "このプロンプトを 13 通りの alpha でデコード（1 回のバッチ処理）",
    "ui.grid.alpha": "α（グリッドを順に見る）",
    "ui.language": ("言語とテーマ：ページ下部の **設定** で切り替えられます（日本語 / English、ライト / ダーク）。"
                    "ページはブラウザの言語に従います。"),
    "format.sums": "書式：Q: のあとに数を + でつなぎます（例：Q:541+755+437+677）。Enter で実行、Shift+Enter で改行。",
    "format.boxed": "書式：数学の問題。答えは \\boxed{…} から読み取ります。Enter で実行、Shift+Enter で改行。",
    "format.other": "Enter で実行、Shift+Enter で改行。",
}

def prefixed(group: str, words: dict) -> dict:
    """A group of words under its table keys: {"none": ...} -> {"status.none": ...}."""
    return {f"{group}.{key}": value for key, value in words.items()}


# The models' status line in Japanese, key for key with models.manager.STATUS_WORDS (its English).
STATUS_JA = {
    "none": "まだモデルを読み込んでいません：プリセットを選んでください。",
    "loaded": ("**{preset}**{guider} を **{device}** に読み込み済み · {dtype} · 量子化：{quantization} · "
               "メモリ上の重み {memory}（上限 {budget}）"),
    "guider": "（ガイダー **{guider}**）",
    "quant_role": "{role}：{mode}", "mode_none": "なし",
    "role_target": "ターゲット", "role_guider": "ガイダー", "role_base": "ベース",
    "guiders_loaded": "読み込み済みのガイダー：{guiders}",
    "own_guider": "プリセット既定",
    "trios_loaded": "読み込み済みのトリオ：{trios}",
    "trio": "{preset}（{modes}、実行中 {runs}）",
    "gpu_memory": "GPU メモリ使用量 {memory}",
    "policy": ("ほかのプリセットや量子化もメモリ上限の範囲でこれらと並べて読み込みます。どの実行も使っていないトリオのうち"
               "最も長く使われていないものから解放します。誰かの選択のためにほかの人の実行を止めることはありません。"),
}

# What the server writes into the views: stop reasons, tooltips, the inspector, the flip headline,
# the worked example, the heatmap's bar, the alpha grid, the forks, the chart, the models' status.
VIEWS_EN = {
    "stop.eos": "eos", "stop.max_new_tokens": "max_new_tokens", "stop.repetition": "repetition",  # the engine's names
    "stop.cancelled": "cancelled", "stop.superseded": "superseded",
    "hover.head": "step {step} · <b>'{token}'</b> · prob {before} → {after} · KL {kl:.3f}",
    "hover.flipped": "flipped from '{token}'",
    "hover.columns": "target top-5 │ guided top-5",
    "table.picked": "◀ picked", "table.chosen": "chosen", "table.target_pick": "target's pick",
    "head.token": "token", "head.target_logit": "target logit", "head.guider_logit": "guider logit",
    "head.base_logit": "base logit", "head.delta": "α·(guider − base)", "head.guided_logit": "guided logit",
    "head.guided_prob": "guided prob", "head.target_prob": "target prob", "head.pushed_up": "pushed up",
    "head.delta_up": "Δ up", "head.pushed_down": "pushed down", "head.delta_down": "Δ down",
    "ui.formula": "guided = target + α·(guider − base), for the written token and the target's own pick",
    "step.summary": ("Step **{step}** (α {alpha:g}): wrote `{token}` — {verdict}; its probability {before:.3f} (target) "
                     "→ {after:.3f} (guided), KL(guided‖target) {kl:.3f}."),
    "step.flipped": "the guider **flipped** the target's own pick `{pick}`",
    "step.kept": "the target's own pick, **kept**",
    "step.empty": "_Run a prompt first: then pick a step to see its numbers._",
    "flips.head": "flipped {flipped} of {tokens} tokens",
    "flips.none": ": the guided stream wrote what the target alone would have written at every step",
    "flips.one": "step {step}, `{pick}`→`{token}`",
    "flips.sep": ", ",
    "flips.colon": ": ",
    "flips.more": ", and {n} more",
    "flips.sentence": "**The guider {headline}.**",
    "worked.from": "From this run, step **{step}**, α = **{alpha:g}**:",
    "worked.line": ("{label} `{token}`: target {target:.3f} + {alpha:g} × (guider {guider:.3f} − base {base:.3f}) "
                    "= **{guided:.3f}** (prob {before:.3f} → {after:.3f})"),
    "worked.chosen": "chosen token",
    "worked.pick": "the target's own pick",
    "worked.flipped": ("The guider pair moved `{token}` above `{pick}`: ThinkLogit wrote a different token than the "
                       "target's own top pick. In the whole run: {headline}."),
    "worked.kept": ("The guider flipped no token in this run; this is the step where guidance changed the chosen "
                    "token's probability most."),
    "heat.empty": "Run a prompt: its guided text, coloured token by token, appears here.",
    "grid.flip": "step {step} `{pick}`→`{token}`",
    "grid.summary": "**α {alpha:g}**: answer `{answer}`{verdict} · {tokens} tokens · flipped {flipped}",
    "fork.same": "**the very same text as the full run**",
    "fork.leaves": "the text leaves the full run's at step **{step}**",
    "fork.stop": "Guided only for steps 0–{step} (α 0 after)",
    "fork.force": "Step {step} forced to `{token}`, then decoded on",
    "fork.summary": ("{what}: {tokens} tokens, {outcome}. Answer: full run `{full}`, this one `{fork}`."),
    "chart.bars": "prob change of the chosen token (guided − target)",
    "chart.kl": "KL(guided ‖ target)",
    "chart.flips": "flipped (chosen ≠ target's pick)",
    "chart.x": "generated token (step)",
    "chart.y": "prob change",
    "chart.y2": "KL (nats)",
    "info.idle": "Nothing is running.",
    "note.cannot": "⚠️ **Cannot load here:** {why}",
    "guider.own": "{name} (the preset's)",
    "guider.preset": "the preset's guider",
    "schedule.constant": "constant", "schedule.warmup": "warm-up", "schedule.ramp": "ramp",
    "schedule.first": "first N only",
    "quant.none": "none",
    "common.complete": "Complete",  # Gradio's own key, missing from its Japanese table
    **prefixed("status", STATUS_WORDS),
}

VIEWS_JA = {
    "stop.eos": "終了トークン", "stop.max_new_tokens": "最大生成トークン数", "stop.repetition": "繰り返し",
    "stop.cancelled": "停止済み", "stop.superseded": "新しい実行に置き換え",
    "hover.head": "ステップ {step} · <b>'{token}'</b> · 確率 {before} → {after} · KL {kl:.3f}",
    "hover.flipped": "'{token}' から反転",
    "hover.columns": "ターゲットの上位 5 │ ガイド付きの上位 5",
    "table.picked": "◀ 選択", "table.chosen": "選ばれた", "table.target_pick": "ターゲットの第 1 候補",
    "head.token": "トークン", "head.target_logit": "ターゲットのロジット", "head.guider_logit": "ガイダーのロジット",
    "head.base_logit": "ベースのロジット", "head.delta": "α·(ガイダー − ベース)", "head.guided_logit": "ガイド付きロジット",
    "head.guided_prob": "ガイド付き確率", "head.target_prob": "ターゲットの確率", "head.pushed_up": "押し上げ",
    "head.delta_up": "Δ 上げ", "head.pushed_down": "押し下げ", "head.delta_down": "Δ 下げ",
    "ui.formula": "ガイド付き = ターゲット + α·(ガイダー − ベース)：書かれたトークンとターゲット自身の第 1 候補について",
    "step.summary": ("ステップ **{step}**（α {alpha:g}）：`{token}` を書いた — {verdict}。その確率は {before:.3f}（ターゲット）"
                     "→ {after:.3f}（ガイド付き）、KL(ガイド付き‖ターゲット) {kl:.3f}。"),
    "step.flipped": "ガイダーがターゲット自身の第 1 候補 `{pick}` を**反転**させた",
    "step.kept": "ターゲット自身の第 1 候補を**維持**",
    "step.empty": "_まずプロンプトを実行し、ステップを選ぶとその数値が表示されます。_",
    "flips.head": "{tokens} トークン中 {flipped} トークンを反転",
    "flips.none": "：ガイド付きの出力は、どのステップでもターゲット単体と同じトークンを書きました",
    "flips.one": "ステップ {step}、`{pick}`→`{token}`",
    "flips.sep": "、",
    "flips.colon": "：",
    "flips.more": "、ほか {n} 件",
    "flips.sentence": "**ガイダーは {headline}。**",
    "worked.from": "この実行のステップ **{step}**、α = **{alpha:g}**：",
    "worked.line": ("{label} `{token}`：ターゲット {target:.3f} + {alpha:g} × (ガイダー {guider:.3f} − ベース {base:.3f}) "
                    "= **{guided:.3f}**（確率 {before:.3f} → {after:.3f}）"),
    "worked.chosen": "選ばれたトークン",
    "worked.pick": "ターゲット自身の第 1 候補",
    "worked.flipped": ("ガイダー対が `{token}` を `{pick}` より上に押し上げました：ThinkLogit はターゲット自身の第 1 候補と"
                       "異なるトークンを書きました。実行全体では：{headline}。"),
    "worked.kept": ("この実行でガイダーが反転させたトークンはありません。これは、ガイドが選ばれたトークンの確率を"
                    "最も大きく変えたステップです。"),
    "heat.empty": "プロンプトを実行すると、ガイド付きの文がトークンごとに色分けされてここに表示されます。",
    "grid.flip": "ステップ {step} `{pick}`→`{token}`",
    "grid.summary": "**α {alpha:g}**：答え `{answer}`{verdict} · {tokens} トークン · 反転 {flipped} 件",
    "fork.same": "**全体の実行とまったく同じ文**",
    "fork.leaves": "ステップ **{step}** で全体の実行の文から分かれます",
    "fork.stop": "ステップ 0–{step} だけを誘導（その後は α 0）",
    "fork.force": "ステップ {step} を `{token}` に強制し、その後デコードを続行",
    "fork.summary": "{what}：{tokens} トークン、{outcome}。答え：全体の実行 `{full}`、こちら `{fork}`。",
    "chart.bars": "確率の変化（ガイド付き − ターゲット）",  # short: the legend is one line on a phone
    "chart.kl": "KL(ガイド付き ‖ ターゲット)",
    "chart.flips": "反転（≠ ターゲットの第 1 候補）",
    "chart.x": "生成されたトークン（ステップ）",
    "chart.y": "確率の変化",
    "chart.y2": "KL（単位 nats）",
    "info.idle": "実行中のものはありません。",
    "note.cannot": "⚠️ **ここでは読み込めません：** {why}",
    "guider.own": "{name}（プリセット既定）",
    "guider.preset": "既定",  # (a phone shows a few characters of a dropdown's choice)
    "schedule.constant": "一定", "schedule.warmup": "ウォームアップ", "schedule.ramp": "ランプ",
    "schedule.first": "最初の N トークンのみ",
    "quant.none": "なし",
    "common.complete": "完了",
    **prefixed("status", STATUS_JA),
}

# The shipped presets' descriptions (assets/presets.json) in Japanese; a preset not listed here
# shows its own description.
PRESETS_JA = {
    "tiny-sums": ("このプロジェクトで学習した組み込みの小さなトリオ（`python -m thinklogit_app organism train`）："
                  "どこでもオフラインで動きます。"),
    "two-styles": ("組み込みの小さなトリオ。ガイダーはターゲットが苦手な連鎖の書き方へ誘導し、thinklogit-dpo ガイダーは"
                   "ターゲットが正しく解ける書き方へ誘導するよう学習しました（`python -m thinklogit_app organism styles`）。"),
    "qwen2.5-7b-instruct+r1-distill-1.5b": ("Qwen2.5-7B-Instruct を DeepSeek-R1-Distill-Qwen-1.5B から "
                                            "Qwen2.5-Math-1.5B を引いた差で誘導（GPU とハブへのアクセスがあるホスト向け）。"),
    "qwen2.5-32b+r1-distill-1.5b": ("論文の設定：Qwen2.5-32B（4 ビット nf4、約 18 GB）を DeepSeek-R1-Distill-Qwen-1.5B から "
                                    "Qwen2.5-Math-1.5B を引いた差で誘導。"),
}
# The English each Japanese description was translated from (sha1[:12] of its description in
# assets/presets.json): tests/test_i18n.py flags a description changed without its Japanese.
PRESETS_TRANSLATED_FROM = {
    "tiny-sums": "e84c3365ff8e",
    "two-styles": "60f4d357eba6",
    "qwen2.5-7b-instruct+r1-distill-1.5b": "de93bf58c48a",
    "qwen2.5-32b+r1-distill-1.5b": "30830d46c194",
}

EN |= UI_EN | tips.EN | VIEWS_EN  # tips.py: one line in words per number on screen
JA |= UI_JA | tips.JA | VIEWS_JA
TRANSLATIONS = {"en": EN, "ja": JA}

PAPER = "https://arxiv.org/abs/2507.12759"

JA_MARKDOWN = {
    "md.intro": f"""# ThinkLogit Studio
大きな **ターゲット** モデルを、小さな **ガイダー** とその **ベース** の差でデコード時に 1 トークンずつ誘導します：
`guided = target + α · (guider − base)`（生のロジット上で計算し、ターゲットは一切学習しません）。ターゲット単体と
誘導されたターゲットが並んで書き進める様子を見比べ、ガイダーがどこで、どれだけ強く誘導したかを確かめられます。
論文：[Logit Arithmetic Elicits Long Reasoning Capabilities Without Training (arXiv 2507.12759)]({PAPER})。""",
    "md.how": f"""### 仕組み
各ステップで 3 つのモデルは同じテキストを読み、語彙の各エントリに 1 つずつロジットを出します。ThinkLogit は、推論用の
微調整が小さなモデルにもたらした **差分** を大きなモデルのロジットに足し込みます：

$$\\ell_{{\\text{{ガイド付き}}}} = \\ell_{{\\text{{ターゲット}}}} + \\alpha\\,\\big(\\ell_{{\\text{{ガイダー}}}} - \\ell_{{\\text{{ベース}}}}\\big)$$

温度と top-p は足し算のあとに適用します。`α = 0` はターゲット単体です。論文は 100 トークンのウォームアップ（最初は α = 0）
のあとに `α = 1` を使います。ヒートマップは各ガイド付きトークンを、ガイドがその確率をどれだけ変えたか
（ガイド付き − ターゲット、−1…1 の固定スケール）で色分けします。▴ の付いたトークンは反転です：書かれたトークンが
ターゲット自身の第 1 候補と異なります。
論文：[arXiv 2507.12759]({PAPER}) · 著者のコード：github.com/yunx-z/think-logit。""",
    "md.reading": """**このグラフの読み方。** ガイド付きの各トークンは、ガイドが *そのトークン自身の* 確率をどれだけ変えたかで
色分けされます：ガイド付きの確率 − ターゲットの確率を、−1（青）から 0（無色）を経て +1（赤）まで、どの実行・どの α でも
同じ 1 つの固定スケールで示します。ターゲットがもともと確信していたトークンは、ガイダーがどれだけ強く押しても淡いままです。
▴ 付きの枠で囲まれたトークンは **反転** です：書かれたトークンがターゲット自身の第 1 候補ではありません —
ガイダーが *何を* 書くかを変えたのはこの場所だけです。早い段階の 1 回の反転だけで十分なことも多くあります：
インスペクターの「このトークンのあとは誘導をやめる」で、その 1 回の反転だけが何を引き起こすかを確かめられます。

- **確率の変化**（棒）：書かれたトークンの確率、ガイド付き − ターゲット。
- **KL**（線）：KL(ガイド付き ‖ ターゲット)、単位は nats — ガイドが次トークンの分布全体をどれだけ動かしたか（0 = まったく動かしていない）。
- **ターゲット／ガイダー／ベースのロジット**：各モデルがトークンにつける生のスコア（高いほど起こりやすい）。
- **α·(ガイダー − ベース)**：推論用の微調整がそのトークンについて変えた量の α 倍。ターゲットのスコアに足されます。
- **ガイド付きロジット**：ターゲットのロジット + α·(ガイダー − ベース)。ガイド付きの出力はこのスコアからサンプリングします。
- **Δ 上げ／Δ 下げ**：α·(ガイダー − ベース) が最も上げた／下げたトークン（どのモデルも書かない特殊トークンは除く）。
""",
    "md.legend": ("色 = 書かれた各トークンの確率の変化（ガイド付き − ターゲット）。固定スケールで −1（青：ガイドにより"
                  "ずっと起こりにくくなった）から 0（無色）を経て +1（赤：ずっと起こりやすくなった）まで、どの実行・どの α "
                  "でも同じです。▴ = 反転：書かれたトークンがターゲット自身の第 1 候補と異なる（グラフでは三角）。"
                  "棒にカーソルを合わせると、そのステップの上位 5 の表が出ます。"),
}
# The English each Japanese Markdown text was translated from (sha1 of texts.py's text): a test
# fails when the English changes, so the Japanese is brought up to date with it.
TRANSLATED_FROM = {"md.intro": "5872603d1412", "md.how": "1ed9e016e9b6", "md.legend": "55611dfb7b47",
                   "md.reading": "fe01dd6e72bf"}
JA |= JA_MARKDOWN


def tables() -> dict[str, dict[str, str]]:
    """Both languages' tables for gr.I18n, the English Markdown texts (texts.py) included."""
    from . import texts  # texts -> views -> this module: imported late

    english = EN | {"md.intro": texts.INTRO, "md.how": texts.HOW_IT_WORKS, "md.legend": texts.LEGEND,
                    "md.reading": texts.READING}
    return {"en": english, "ja": JA}


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


def status_words(lang: str = "en") -> dict[str, str]:
    """The models' status line's words (models.manager.STATUS_WORDS) in `lang`."""
    return {key: text(f"status.{key}", lang) for key in STATUS_WORDS}


def preset_description(name: str, description: str, lang: str = "en") -> str:
    """A preset's description in `lang`: the shipped presets' in Japanese, any other as written."""
    return PRESETS_JA.get(name, description) if lang == "ja" else description
