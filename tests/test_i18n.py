"""Every word of the UI in English and Japanese: both tables have the same keys, no entry is
left empty or untranslated, every key the app names exists, and the filled-in texts agree."""
from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from thinklogit_app.app import i18n
from thinklogit_app.app.i18n import SAME_IN_BOTH_LANGUAGES as SAME_IN_BOTH, language_of, tables, text

APP = Path(i18n.__file__).parent


def test_both_languages_have_the_same_keys_and_no_empty_entry():
    both = tables()
    assert set(both["en"]) == set(both["ja"])
    for lang, table in both.items():
        assert all(value.strip() for value in table.values()), lang


def test_japanese_entries_are_translated_not_copied():
    both = tables()
    copied = [k for k, v in both["ja"].items() if v == both["en"][k] and v not in SAME_IN_BOTH]
    assert not copied
    kana = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff01-\uff60]")  # kana, kanji, Japanese punctuation
    untranslated = [k for k, v in both["ja"].items() if v not in SAME_IN_BOTH and not kana.search(v)]
    assert not untranslated


def test_placeholders_agree_between_languages():
    def fields(value):
        return {name for _, name, _, _ in string.Formatter().parse(value) if name}

    both = tables()
    for key in i18n.EN:  # the Markdown texts (md.*) are not format strings
        assert fields(both["en"][key]) == fields(both["ja"][key]), key


def used_keys() -> set[str]:
    """Every literal key the app's modules pass to L(...) or text(...)."""
    keys = set()
    for path in APP.glob("*.py"):
        source = path.read_text()
        keys |= set(re.findall(r'\bL\("([a-z_.\-]+)"\)', source))
        keys |= set(re.findall(r'\btext\("([a-z_.\-]+)"', source))
    return keys


def test_every_key_the_app_names_exists_in_both_languages():
    keys = used_keys()
    keys |= {f"ui.quant.{role}" for role in ("target", "guider", "base")}  # keys built with f-strings
    keys |= {f"ui.stream.{name}" for name in ("baseline", "guided")}
    keys |= {f"format.{task}" for task in ("sums", "boxed", "other")}
    keys |= {f"note.{kind}" for kind in ("target", "base", "guider", "thinklogit")}
    assert len(keys) > 60
    both = tables()
    missing = sorted(k for k in keys if k not in both["en"] or k not in both["ja"])
    assert not missing


def test_the_browser_language_picks_the_table():
    assert language_of("ja-JP,ja;q=0.9,en;q=0.8") == "ja"
    assert language_of("fr-FR,ja;q=0.5") == "ja"
    assert language_of("de-DE") == "en" and language_of(None) == "en"
    assert text("ui.run", "ja") == "実行" and text("ui.run", "fr") == "Run"
    with pytest.raises(KeyError, match="no 'ja' text for 'nope'"):
        text("nope", "ja")


def test_the_japanese_explainers_follow_the_english_they_were_translated_from():
    import hashlib

    english = tables()["en"]
    stale = [key for key, digest in i18n.TRANSLATED_FROM.items()
             if hashlib.sha1(english[key].encode()).hexdigest()[:12] != digest]
    assert not stale, f"texts.py changed {stale}: update the Japanese in app/i18n.py, then TRANSLATED_FROM"


def test_a_replay_in_japanese_writes_every_view_in_japanese():
    """The server-written views of a shipped replay (no model): headline, stats, worked example,
    inspector, tooltips, chart, status line and replay labels in Japanese, no English sentences."""
    from thinklogit_app.app import language, plots, steering, views
    from thinklogit_app.app.handlers import Studio
    from thinklogit_app.evaluation.record import gallery

    label, path = next((label, path) for label, path in gallery() if "541+755" in label)
    studio = Studio()
    panel = studio.replay(Path(path).read_bytes(), "ja")
    inspected = studio.inspect(panel["records"], panel["focus"], "ja")
    chart = plots.token_chart(views.chart_series(panel["records"], "ja"), "ja")
    written = [panel["headline"], panel["guided_stats"], panel["worked"], inspected["summary"],
               steering.colour_bar_html("ja"), steering.tooltip(panel["records"][0], "ja"), studio.status_line("ja"),
               *(trace.name for trace in chart.data), chart.layout.xaxis.title.text,
               language.replay_label(label, "ja"), *views.table_headers("formula", "ja")[1:]]
    english = re.compile(r"\b(the|flipped|step|tokens|Loaded|chosen|probability|target|guided|constant|prob)\b")
    assert not [line for line in written if english.search(line)]
    assert panel["headline"].startswith("**ガイダーは") and inspected["formula"][0][0] == "選ばれた"


def test_the_page_language_cookie_comes_before_the_browser_language():
    from types import SimpleNamespace

    from thinklogit_app.app.showcase import LANG_COOKIE, lang_of

    def request(**headers):
        return SimpleNamespace(headers=headers)

    assert lang_of(request(**{"accept-language": "ja-JP,ja;q=0.9"})) == "ja"
    assert lang_of(request(**{"accept-language": "ja-JP", "cookie": f"a=1; {LANG_COOKIE}=en"})) == "en"
    assert lang_of(request(**{"accept-language": "en-US", "cookie": f"{LANG_COOKIE}=ja"})) == "ja"
    assert lang_of(request(**{"accept-language": "ja", "cookie": "broken=\"x"})) == "ja" and lang_of(None) == "en"


def test_every_shipped_preset_has_its_description_in_japanese():
    import json

    shipped = json.loads((APP.parent.parent / "assets" / "presets.json").read_text())["presets"]
    assert sorted(p["name"] for p in shipped) == sorted(i18n.PRESETS_JA)
    assert i18n.preset_description("tiny-sums", "x", "ja") == i18n.PRESETS_JA["tiny-sums"]
    assert i18n.preset_description("tiny-sums", "x", "en") == "x"
    assert i18n.preset_description("elsewhere", "as written", "ja") == "as written"


def test_the_japanese_preset_descriptions_follow_the_english_they_were_translated_from():
    import hashlib
    import json

    shipped = json.loads((APP.parent.parent / "assets" / "presets.json").read_text())["presets"]
    stale = [p["name"] for p in shipped
             if hashlib.sha1(p["description"].encode()).hexdigest()[:12] != i18n.PRESETS_TRANSLATED_FROM.get(p["name"])]
    assert not stale, f"assets/presets.json changed {stale}: update PRESETS_JA in app/i18n.py, then PRESETS_TRANSLATED_FROM"


def test_the_status_line_words_are_translated_key_for_key():
    from thinklogit_app.models.manager import STATUS_WORDS

    assert set(i18n.STATUS_JA) == set(STATUS_WORDS)
    assert i18n.status_words("ja")["none"] == i18n.STATUS_JA["none"]
    assert i18n.status_words("en") == STATUS_WORDS
