"""`python -m thinklogit_app presets`: the presets and whether each can load on this machine.

For a preset that loads here, its three tokenizers are checked too (seconds, no weights):
the added-token ids whose meaning differs between the models are listed."""
from __future__ import annotations

import json

from ..models.presets import loadable, read_presets


def _checked(preset) -> dict:
    from ..core.compat import IncompatibleModelsError
    from ..models.loading import check_tokenizers

    try:
        report = check_tokenizers(preset)
    except (IncompatibleModelsError, ValueError) as err:
        return {"loadable": False, "status": f"refused: {err}"}
    return {"differing_ids": report.to_json(), "tokenizers": report.summary()}


def cmd_presets(args) -> int:
    rows = []
    for preset in read_presets():
        ok, why = loadable(preset)
        row = {"name": preset.name, "default": preset.default, "target": preset.target,
               "guider": preset.guider, "base": preset.base, "loadable": ok, "status": why,
               "prompt_template": preset.prompt_template}
        if ok and args.check:
            row |= _checked(preset)
        rows.append(row)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    for row in rows:
        mark = "*" if row["default"] else " "
        print(f"{mark} {row['name']}: {row['target']} + ({row['guider']} - {row['base']}) — {row['status']}")
        if row.get("tokenizers"):
            print(f"    {row['tokenizers']}")
    return 0


def register(sub) -> None:
    pre = sub.add_parser("presets", help="list presets and whether each loads here")
    pre.add_argument("--json", action="store_true")
    pre.add_argument("--no-check", dest="check", action="store_false",
                     help="skip loading the tokenizers of loadable presets (their differing ids are not listed)")
    pre.set_defaults(func=cmd_presets)
