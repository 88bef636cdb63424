"""The pipeline's import rule: a stage imports only from the stages before it.

``sources/ -> store -> indicators/ -> framework/ -> report/, web/, cli``, with the values every stage shares
(errors, settings, the Dyad value) first. Imports made for type annotations only (``if TYPE_CHECKING:``)
do not count: they run nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import dyadic

ROOT = Path(dyadic.__file__).parent

#: stage -> rank; a module may import a stage of the same or a lower rank (same stage: within itself).
#: The package's ``__init__`` is the public facade (it re-exports the API) and is not a stage.
RANK = {"__version__": 0, "data": 0, "errors": 0, "config": 1, "dyad": 1, "catalog": 1,
        "sources": 2, "store": 3, "engine": 4, "update": 4, "indicators": 5,
        "events_api": 6, "api": 6, "framework": 6, "report": 7, "web": 8, "cli": 9, "__main__": 10}


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _type_only(tree: ast.Module) -> set[int]:
    """Line numbers of the imports inside ``if TYPE_CHECKING:`` blocks."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING":
            for sub in node.body:
                for n in ast.walk(sub):
                    if isinstance(n, (ast.Import, ast.ImportFrom)):
                        lines.add(n.lineno)
    return lines


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_only(tree)
    out = []
    for n in ast.walk(tree):
        if n.lineno in skip if hasattr(n, "lineno") else False:
            continue
        if isinstance(n, ast.ImportFrom) and n.level == 0 and n.module and n.module.split(".")[0] == "dyadic":
            mods = [n.module] if n.module != "dyadic" else [f"dyadic.{a.name}" for a in n.names]
            out += [(n.lineno, m) for m in mods]
        elif isinstance(n, ast.Import):
            out += [(n.lineno, a.name) for a in n.names if a.name.split(".")[0] == "dyadic"]
    return out


def test_every_stage_has_a_rank():
    stages = {p.stem if p.is_file() else p.name for p in ROOT.iterdir()
              if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists())) and p.name != "__init__.py"}
    assert stages <= set(RANK), f"give these a place in the pipeline: {sorted(stages - set(RANK))}"


def test_stages_import_only_earlier_stages():
    wrong = []
    for path in sorted(ROOT.rglob("*.py")):
        me = _stage(".".join(path.relative_to(ROOT.parent).with_suffix("").parts))
        if me == "__init__":
            continue
        for line, module in _imports(path):
            other = _stage(module)
            if other == "__init__":  # ``import dyadic`` for its file or version
                other = "__version__"
            if other != me and RANK[other] >= RANK[me]:
                wrong.append(f"{path.relative_to(ROOT.parent)}:{line} ({me}) imports {module} ({other})")
    assert not wrong, "a stage imports a later one:\n" + "\n".join(wrong)
