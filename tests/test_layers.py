"""The package's layers (README, "Architecture"): a module imports only from its own floor or
the floors below, so nothing low (the engine) can come to depend on something high (the UI)."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "thinklogit_app"
FLOORS = {"core": 0, "models": 1, "organism": 2, "evaluation": 3, "dpo": 4, "validation": 5,
          "app": 6, "commands": 6, "cli": 7, "__main__": 8, "__init__": 8}


def floor_of(module: str) -> str:
    return module.split(".")[1] if module.count(".") else "__init__"


def imported_modules(path: Path) -> set[str]:
    """Every thinklogit_app module the file imports, at any depth (function-level imports too)."""
    here = ["thinklogit_app", *path.relative_to(PACKAGE).with_suffix("").parts]
    package = here[:-1] if here[-1] != "__init__" else here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("thinklogit_app"):
                if node.module:  # `from .. import x` imports x, not the package's __init__
                    found.add(target)
                found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("thinklogit_app"))
    return found


def test_imports_only_go_down_the_layers():
    upward = []
    for path in PACKAGE.rglob("*.py"):
        me = floor_of("thinklogit_app." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts))
        for target in imported_modules(path):
            other = floor_of(target)
            if other not in FLOORS or other == me:
                continue
            if FLOORS[other] > FLOORS[me] or (FLOORS[other] == FLOORS[me] and other != me):
                upward.append(f"{path.relative_to(PACKAGE)} ({me}) imports {target} ({other})")
    assert not upward, "imports that run up (or sideways) a layer:\n" + "\n".join(sorted(set(upward)))


def test_every_package_folder_has_a_floor():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    assert folders | modules <= set(FLOORS), f"give these a floor: {sorted((folders | modules) - set(FLOORS))}"
