"""Error messages in the visitor's language, at the app's boundary: validation, presets, replays
and the engine raise one English message (the command line and the API show it as it is); the
app matches it here and shows the Japanese. One pattern per message the code can raise; a
message no pattern knows is shown in English after a Japanese lead-in.

tests/test_errors.py raises each message through the real code and checks it is translated."""
from __future__ import annotations

import re

# The names validation.py puts into its messages, in Japanese.
NAMES_JA = {
    "alpha": "alpha", "temperature (0 = greedy)": "温度（0 = 貪欲法）", "temperature": "温度", "top-p": "top-p",
    "max new tokens": "最大生成トークン数", "seed": "シード", "schedule": "スケジュール",
    "schedule length N": "スケジュールの長さ N", "number of problems": "問題数", "alphas to sweep": "掃引する alpha",
    "each alpha of the sweep": "掃引の各 alpha", "The prompt": "プロンプト", "preset": "プリセット", "guider": "ガイダー",
    "forced tokens": "強制するトークン", "forced step": "強制するステップ", "forced token id": "強制するトークン ID",
    "quantization of the target": "ターゲットの量子化", "quantization of the guider": "ガイダーの量子化",
    "quantization of the base": "ベースの量子化",
}

# (the English message as a regular expression, its Japanese with the same named groups)
PATTERNS_JA = [
    (r"(?P<name>.+?) must be a number, got (?P<got>.+)", "{name} は数値で指定してください（入力：{got}）"),
    (r"(?P<name>.+?) must be a finite number, got (?P<got>.+)", "{name} は有限の数値で指定してください（入力：{got}）"),
    (r"(?P<name>.+?) must be a whole number, got (?P<got>.+)", "{name} は整数で指定してください（入力：{got}）"),
    (r"(?P<name>.+?) must be between (?P<low>.+?) and (?P<high>.+?), got (?P<got>.+)",
     "{name} は {low} から {high} の範囲で指定してください（入力：{got}）"),
    (r"(?P<name>.+?) must be text, got (?P<got>.+)", "{name} はテキストで指定してください（入力：{got}）"),
    (r"(?P<name>.+?) must be one of (?P<choices>.+), got (?P<got>.+)",
     "{name} は次のいずれかにしてください：{choices}（入力：{got}）"),
    (r"schedule length N must be at least 1 for a (?P<kind>\S+) schedule, got (?P<got>.+)",
     "{kind} スケジュールの長さ N は 1 以上にしてください（入力：{got}）"),
    (r"top-p must be above 0 and at most 1, got (?P<got>.+)", "top-p は 0 より大きく 1 以下にしてください（入力：{got}）"),
    (r"The prompt is empty: type a question or click an example\.",
     "プロンプトが空です：問題を入力するか、例をクリックしてください。"),
    (r"the prompt is empty: type a question", "プロンプトが空です：問題を入力してください"),
    (r"The prompt has (?P<n>\d+) characters; the limit is (?P<limit>\d+): shorten it\.",
     "プロンプトは {n} 文字あり、上限は {limit} 文字です：短くしてください。"),
    (r"(?P<name>.+?) holds a character that is not valid text \(U\+(?P<code>[0-9A-F]+), a lone surrogate, at "
     r"position (?P<at>\d+)\): remove it",
     "{name} に文字として無効なもの（U+{code}、対になっていないサロゲート、位置 {at}）が含まれています：取り除いてください"),
    (r"alphas to sweep: list at least one, comma-separated, e\.g\. (?P<example>.+)",
     "掃引する alpha：カンマ区切りで 1 つ以上挙げてください（例：{example}）"),
    (r"alphas to sweep: at most (?P<most>\d+) on this server, got (?P<got>\d+)",
     "掃引する alpha：このサーバーでは {most} 個までです（入力：{got} 個）"),
    (r"(?P<n>\d+) problems x (?P<ways>\d+) decodings = (?P<work>\d+); this server's limit is (?P<most>\d+) problems x "
     r"decodings: evaluate fewer problems or alphas",
     "{n} 問 × {ways} 通りのデコード = {work}。このサーバーの上限は 問題数 × デコード数 = {most} です："
     "問題数か alpha の数を減らしてください"),
    (r"at most (?P<most>\d+) alphas in one grid, got (?P<got>\d+): give fewer",
     "1 回のグリッドの alpha は {most} 個までです（入力：{got} 個）：減らしてください"),
    (r"unknown setting (?P<got>.+?): use (?P<names>.+)", "不明な設定 {got}：次を使ってください：{names}"),
    (r"a forced token is STEP:ID with both >= 0, got (?P<got>.+)",
     "強制するトークンは STEP:ID の形で、どちらも 0 以上にしてください（入力：{got}）"),
    (r"quantization must map target/guider/base to a mode, got (?P<got>.+)",
     "量子化はターゲット／ガイダー／ベースごとにモードを指定してください（入力：{got}）"),
    (r"quantization is set per model: target, guider or base, got (?P<got>.+)",
     "量子化はモデルごと（target、guider、base）に指定します（入力：{got}）"),
    (r"Run a prompt first: then fork it at one of its tokens\.",
     "まずプロンプトを実行してください：そのあと、トークンの 1 つで分岐できます。"),
    (r"the prompt has (?P<n>\d+) tokens and (?P<new>\d+) new tokens were asked for, but (?P<model>.+?) holds "
     r"(?P<limit>\d+) positions: shorten the prompt or lower max new tokens to at most (?P<most>\d+)",
     "プロンプトは {n} トークンで、新たに {new} トークンを求めましたが、{model} が扱える位置は {limit} までです："
     "プロンプトを短くするか、最大生成トークン数を {most} 以下にしてください"),
    (r"unknown preset (?P<name>.+?): choose one of (?P<choices>.+)",
     "プリセット {name} はありません：次から選んでください：{choices}"),
    (r"preset (?P<name>.+?) has no guider (?P<guider>.+?): choose one of (?P<choices>.+)",
     "プリセット {name} にガイダー {guider} はありません：次から選んでください：{choices}"),
    (r"preset (?P<name>.+?) needs a CUDA GPU(?: and |; )this machine has none(?:: use the embedded preset)?",
     "プリセット {name} には CUDA GPU が必要ですが、このマシンにはありません：組み込みのプリセットを使ってください"),
    (r"missing model folder\(s\) (?P<folders>.+?): (?P<hint>.+)",
     "モデルのフォルダーがありません：{folders}（{hint}）"),
    (r"(?P<models>.+?) not in the local Hugging Face cache; (?P<hint>.+)",
     "{models} はローカルの Hugging Face キャッシュにありません（{hint}）"),
    (r"downloads from the Hugging Face Hub on first load", "最初の読み込み時に Hugging Face Hub からダウンロードします"),
    (r"this run file is (?P<size>\d+) MiB; a replay reads at most (?P<most>\d+) MiB",
     "この実行ファイルは {size} MiB あります。再生できるのは {most} MiB までです"),
    (r"this file is not JSON \((?P<why>.+)\): open a run saved by Download or `generate --json`",
     "このファイルは JSON ではありません（{why}）：ダウンロードまたは `generate --json` で保存した実行を開いてください"),
    (r"this JSON is not a ThinkLogit run: .+",
     "この JSON は ThinkLogit の実行ではありません：\"baseline\" と \"guided\" の出力が必要です"
     "（ダウンロードまたは `generate --json` で保存してください）"),
    (r"the (?P<stream>baseline|guided) stream of this run lacks its \"text\" or \"ids\"",
     "この実行の {stream} の出力に \"text\" または \"ids\" がありません"),
    (r"this run has no guided trace: .+",
     "この実行にはガイド付きのトレースがありません：トレースを有効にして記録してください（`generate --json` は有効です）"),
    (r"step (?P<step>\d+) of the guided trace (?:is not a record|lacks .+)",
     "ガイド付きトレースのステップ {step} が読めません：このバージョンの ThinkLogit Studio で保存した実行ではありません"),
    (r"generation failed: (?P<detail>.+)", "生成に失敗しました：{detail}"),
]
_COMPILED = [(re.compile(english + r"\Z", re.S), japanese) for english, japanese in PATTERNS_JA]
UNKNOWN_JA = "エラー：{message}"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def message_of(err: BaseException | str, lang: str = "en") -> str:
    """The message of `err` (an exception or its text) in `lang`."""
    message = str(err)
    if lang != "ja" or JAPANESE.search(message):  # (a message the app wrote in the visitor's language already)
        return message
    for pattern, japanese in _COMPILED:
        found = pattern.match(message)
        if found:
            values = {key: NAMES_JA.get(value, value) for key, value in found.groupdict().items()}
            return japanese.format(**values)
    return UNKNOWN_JA.format(message=message)
