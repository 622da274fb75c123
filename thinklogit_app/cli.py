"""Command line: generate | alphas | presets | eval | bench | organism | dpo (one module each in commands/).

Every user error is one line on stderr and exit code 2: this is the one place that happens.
"""
from __future__ import annotations

import argparse
import sys

from .commands import UsageError


class Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's usage dump -> one clear line
        raise UsageError(f"{self.prog}: {message} (see --help)")


def build_parser() -> Parser:
    from .commands import alphas, bench, dpo, eval as evaluate, generate, organism, presets

    parser = Parser(prog="python -m thinklogit_app", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in (generate, alphas, presets, evaluate, bench, organism, dpo):
        module.register(sub)
    return parser


def main(argv=None) -> int:
    from .core.compat import IncompatibleModelsError
    from .models.presets import PresetError

    try:
        args = build_parser().parse_args(argv)
        return args.func(args) or 0
    except (UsageError, PresetError, IncompatibleModelsError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
