"""The layout rules of docs/architecture.md, checked from the source (AST, nothing imported): no import
circle, each part imports only from the layers below it, heavy libraries only where they belong, no
module over 400 lines, and the plugin module importable without the measuring stack."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pytest_worldprior"
MAX_LINES = 400

# Lowest first. A part may import from a lower layer, or from itself; never from its own layer's other
# parts or from above. (Kept in step with the table in docs/architecture.md.)
LAYERS = [
    {"errors", "files", "jsonsafe", "recording", "examples", "lazy", "checks"},
    {"session"},
    {"progress", "stats"},
    {"toy"},
    {"backends"},
    {"tuning"},
    {"results_cache"},
    {"measures"},
    {"assertions", "strategies"},
    {"baselines", "injection_search"},
    {"report"},
    {"plugin"},
    {"__init__"},
]
# Third-party imports allowed only in some parts.
ONLY_IN = {
    "torch": {"backends", "toy", "tuning"},
    "transformers": {"backends", "toy", "tuning"},
    "peft": {"backends", "toy", "tuning"},
    "trl": {"backends", "toy", "tuning"},
    "datasets": {"backends", "toy", "tuning"},
    "accelerate": {"backends", "toy", "tuning"},
    "safetensors": {"backends", "toy", "tuning"},
    "tokenizers": {"backends", "toy", "tuning"},
    "gguf": {"backends"},
    "pytest": {"plugin"},
    "_pytest": {"plugin"},
    "hypothesis": {"strategies", "injection_search"},
}
# What `import pytest_worldprior.plugin` may not load: pytest imports the plugin in every run.
HEAVY = ("numpy", "scipy", "torch", "transformers", "hypothesis", "jsonschema", "tabulate", "matplotlib")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def part(module: str) -> str:
    """The part of the package a module belongs to: its top-level subpackage or module."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else "__init__"


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def imports(path: Path, *, top_level_only: bool = False) -> list[tuple[str, int]]:
    """(absolute module name, line) of every import in the file, relative ones resolved; imports under
    `if TYPE_CHECKING:` are left out (they never run). A name imported from a package that is one of
    its submodules counts as that submodule."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, depth: int) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue
            if top_level_only and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    source = ".".join(base + ([child.module] if child.module else []))
                else:
                    source = child.module or ""
                for alias in child.names:
                    candidate = f"{source}.{alias.name}"
                    found.append((candidate if candidate in MODULES else source, child.lineno))
            visit(child, depth + 1)

    visit(tree, 0)
    return found


def internal_edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for target, _ in imports(path):
            if target.startswith("pytest_worldprior") and target in MODULES and target != name:
                edges[name].add(target)
    return edges


def test_no_import_circle():
    edges = internal_edges()
    state: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                circles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            walk(node)
    assert not circles, "import circles: " + "; ".join(" -> ".join(c) for c in circles)


def test_every_part_has_a_layer():
    known = set().union(*LAYERS)
    assert {part(m) for m in MODULES} <= known, f"parts without a layer: {sorted({part(m) for m in MODULES} - known)}"


def test_each_part_imports_only_from_the_layers_below():
    layer = {name: i for i, names in enumerate(LAYERS) for name in names}
    wrong = []
    for name, path in MODULES.items():
        ours = part(name)
        for target, line in imports(path):
            if not target.startswith("pytest_worldprior.") or target not in MODULES:
                continue
            theirs = part(target)
            if theirs != ours and layer[theirs] >= layer[ours]:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {ours} (layer {layer[ours]}) imports "
                             f"{target} ({theirs}, layer {layer[theirs]})")
    assert not wrong, "\n".join(wrong)


def test_heavy_libraries_only_where_they_belong():
    wrong = []
    for name, path in MODULES.items():
        for target, line in imports(path):
            library = target.split(".")[0]
            if library in ONLY_IN and part(name) not in ONLY_IN[library]:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: imports {library}, allowed only in "
                             f"{sorted(ONLY_IN[library])}")
    assert not wrong, "\n".join(wrong)


def test_no_module_is_over_400_lines():
    long = {str(p.relative_to(PACKAGE.parent)): n for p in MODULES.values()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"over {MAX_LINES} lines: {long}"


def test_the_plugin_module_imports_nothing_heavy_at_module_level():
    """What pytest pays in every run: the plugin's module-level imports, followed through the package."""
    seen, todo, heavy = set(), ["pytest_worldprior.plugin"], []
    while todo:
        name = todo.pop()
        if name in seen or name not in MODULES:
            continue
        seen.add(name)
        for target, line in imports(MODULES[name], top_level_only=True):
            if target.split(".")[0] in HEAVY:
                heavy.append(f"{name}:{line} imports {target}")
            todo.append(target)
            parent = target.rpartition(".")[0]  # importing a submodule runs its package's __init__ first
            while parent.startswith("pytest_worldprior"):
                todo.append(parent)
                parent = parent.rpartition(".")[0]
    assert not heavy, "\n".join(heavy)


@pytest.mark.parametrize("module", ["pytest_worldprior", "pytest_worldprior.plugin"])
def test_importing_loads_no_heavy_library(module):
    """The same, as Python sees it: a fresh interpreter imports the module and lists what got loaded."""
    code = f"import sys, {module}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == [], f"import {module} loaded {loaded}"


DOC = PACKAGE.parent / "docs" / "architecture.md"


def documented_tree() -> set[str]:
    """The files named in docs/architecture.md's tree (paths relative to the package's parent)."""
    block = DOC.read_text(encoding="utf-8").split("## The tree", 1)[1].split("```", 2)[1]
    stack: list[str] = []
    files = set()
    for line in block.splitlines()[1:]:
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip())) // 2
        name = line.split()[0]
        stack[depth:] = [name.rstrip("/")]
        if not name.endswith("/"):
            files.add("/".join(stack))
    return files


def test_the_documented_tree_matches_the_files():
    documented = documented_tree()
    actual = {str(p.relative_to(PACKAGE.parent)) for p in PACKAGE.rglob("*") if p.suffix in (".py", ".json")}
    missing = {f for f in actual - documented if not f.endswith("__init__.py")}  # an __init__ may go unlisted
    assert not missing, f"files docs/architecture.md does not list: {sorted(missing)}"
    assert documented <= actual, f"listed in docs/architecture.md but not there: {sorted(documented - actual)}"


def test_the_documented_layers_are_the_ones_enforced():
    text = DOC.read_text(encoding="utf-8").split("## What may import what", 1)[1]
    rows = [line for line in text.splitlines() if line.startswith("| ") and line.split("|")[1].strip().isdigit()]
    documented = [{name.strip("` ") for name in row.split("|")[2].split(",")} for row in rows]
    documented[-1] = {"__init__"}  # "the package's `__init__` (the public API)"
    assert documented == LAYERS


# --- no run state in module globals -----------------------------------------------------------------
# One run's state lives in session.WorldpriorSession; two pytest sessions in one process (pytester) must
# not share any. Module-level objects are constants and registries built at import: nothing rebinds them
# (`global`) or changes them later. Calls at module level that build immutable or process-neutral
# objects are allowed by name; a call to one of the package's own classes must build a frozen dataclass.
IMMUTABLE_CALLS = {"re.compile", "frozenset", "tuple", "TypeVar", "math.log", "sorted", "lazy_names", "object",
                   "contextvars.ContextVar", "ContextVar", "pytest.StashKey", "Path"}
MUTATING_METHODS = {"append", "extend", "insert", "pop", "popitem", "remove", "clear", "update", "setdefault", "add",
                    "discard", "sort", "reverse", "__setitem__", "__delitem__"}


def _module_level_objects(tree: ast.Module) -> dict[str, ast.expr]:
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value
    return found


def _frozen_classes() -> set[str]:
    """The package's classes that are frozen dataclasses, by name."""
    frozen = set()
    for path in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                    isinstance(d, ast.Call) and any(k.arg == "frozen" and getattr(k.value, "value", False) for k in d.keywords)
                    for d in node.decorator_list):
                frozen.add(node.name)
    return frozen


def _target_name(node: ast.expr) -> str | None:
    """The module-level name an expression changes: `X`, `X[...]`, `X.attr`, or `module.X` and its parts."""
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id[:1].islower():
            return node.attr if isinstance(node.ctx, ast.Load) else node.value.id
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def module_state_problems() -> list[str]:
    frozen = _frozen_classes()
    problems, mutable = [], {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Global):
                problems.append(f"{module}:{node.lineno}: `global {', '.join(node.names)}` rebinds module state")
        for name, value in _module_level_objects(tree).items():
            if isinstance(value, ast.Call):
                callee = ast.unparse(value.func).split("[")[0]
                if callee in IMMUTABLE_CALLS or callee.startswith("Path(") or callee.rpartition(".")[2] in frozen:
                    continue
                if callee[:1].isupper() or callee.rpartition(".")[2][:1].isupper():
                    problems.append(f"{module}:{value.lineno}: {name} = {callee}(...): an instance at module level is "
                                    "run state; keep it in session.WorldpriorSession")
                    continue
            if isinstance(value, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp, ast.Call)):
                mutable.setdefault(name, []).append(module)
    for module, path in MODULES.items():
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            local = {a.arg for a in function.args.args + function.args.kwonlyargs}
            for node in ast.walk(function):
                changed = []
                if isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
                    targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
                    changed = [_target_name(t) for t in targets if isinstance(t, (ast.Subscript, ast.Attribute))]
                elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                      and node.func.attr in MUTATING_METHODS):
                    changed = [_target_name(node.func.value) if not isinstance(node.func.value, ast.Name)
                               else node.func.value.id]
                for name in changed:
                    if name in mutable and name not in local and (module in mutable[name] or "." in ast.unparse(node)):
                        problems.append(f"{module}:{node.lineno}: changes the module-level {name} "
                                        f"(defined in {', '.join(mutable[name])}) at run time")
    return problems


def test_no_module_level_run_state():
    assert module_state_problems() == []


def test_the_module_state_rule_catches_a_global_registry_and_an_instance(tmp_path, monkeypatch):
    bad = tmp_path / "pytest_worldprior"
    bad.mkdir()
    (bad / "bad.py").write_text(
        "class Recorder:\n    pass\n\nRECORDER = Recorder()\n_SEEN = {}\n_N = 0\n\n"
        "def see(key):\n    _SEEN[key] = True\n\ndef bump():\n    global _N\n    _N += 1\n")
    monkeypatch.setattr(sys.modules[__name__], "MODULES", {"pytest_worldprior.bad": bad / "bad.py"})
    problems = "\n".join(module_state_problems())
    assert "RECORDER = Recorder(...)" in problems and "changes the module-level _SEEN" in problems
    assert "`global _N`" in problems
