"""`python -m thinklogit_app presets`: the presets and whether each can load on this machine."""
from __future__ import annotations

import json

from ..models.presets import loadable, read_presets


def cmd_presets(args) -> int:
    rows = []
    for preset in read_presets():
        ok, why = loadable(preset)
        rows.append({"name": preset.name, "default": preset.default, "target": preset.target,
                     "guider": preset.guider, "base": preset.base, "loadable": ok, "status": why})
    if args.json:
        print(json.dumps(rows))
        return 0
    for row in rows:
        mark = "*" if row["default"] else " "
        print(f"{mark} {row['name']}: {row['target']} + ({row['guider']} - {row['base']}) — {row['status']}")
    return 0


def register(sub) -> None:
    pre = sub.add_parser("presets", help="list presets and whether each loads here")
    pre.add_argument("--json", action="store_true")
    pre.set_defaults(func=cmd_presets)
