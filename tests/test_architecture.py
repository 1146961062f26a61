"""The shape of the house, read from the source (ast, nothing imported): no import circles among chargen_core's
and tui's modules (lazy imports included), stages import only downward and only each other's public names,
and generation loads no TensorFlow/Keras at import time."""
from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("chargen_core", "tui")
# Stages of chargen_core, lowest first: a module may import its own stage and lower ones only. The root
# modules (config, errors, the lazy-name helper) sit under all of them; __main__ on top.
STAGES = ("data", "model", "runs", "generate", "train", "cli")
ROOT_MODULES = {"chargen_core", "chargen_core.config", "chargen_core.errors", "chargen_core._lazy"}
HEAVY = ("tensorflow", "keras")
NUMPY_STAGES = ("chargen_core.generate",)  # must load without TensorFlow (and so must what they import)


@dataclass(frozen=True)
class Import:
    target: str  # the module or package named
    names: frozenset[str]  # the names taken from it (from-imports)
    eager: bool  # runs when the module loads (not in a function, not under TYPE_CHECKING)


@dataclass
class Module:
    name: str
    path: Path
    is_package: bool
    statements: list[Import] = field(default_factory=list)
    defined: set[str] = field(default_factory=set)  # top-level functions, classes and assignments
    heavy: list[int] = field(default_factory=list)  # lines of load-time tensorflow/keras imports
    lazy: dict[str, str] = field(default_factory=dict)  # a package's _LAZY table: name -> module
    checked_lazily: dict[str, str] = field(default_factory=dict)  # names imported under TYPE_CHECKING -> module


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def import_targets(node: ast.Import | ast.ImportFrom, module: Module) -> list[tuple[str, set[str]]]:
    """(module or package imported, names taken from it) for one import statement."""
    if isinstance(node, ast.Import):
        return [(alias.name, set()) for alias in node.names]
    if node.level:
        package = module.name if module.is_package else module.name.rpartition(".")[0]
        base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    return [(target, {alias.name for alias in node.names})]


def walk(module: Module, body: list[ast.stmt], *, eager: bool, type_checking: bool = False) -> None:
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for target, names in import_targets(node, module):
                module.statements.append(Import(target, frozenset(names), eager and not type_checking))
                if type_checking:
                    module.checked_lazily.update({name: target for name in names})
                elif eager and target.split(".")[0] in HEAVY:
                    module.heavy.append(node.lineno)
        elif isinstance(node, ast.If) and is_type_checking(node):
            walk(module, node.body, eager=eager, type_checking=True)
            walk(module, node.orelse, eager=eager)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            walk(module, node.body, eager=False)
        elif isinstance(node, ast.ClassDef):
            walk(module, node.body, eager=eager)  # a class body runs when the module loads
        elif (isinstance(node, ast.Assign) and module.is_package and len(node.targets) == 1
              and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "_LAZY"):
            module.lazy = {k: f"{module.name}.{v}" for k, v in ast.literal_eval(node.value).items()}
        else:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    walk(module, [child], eager=eager, type_checking=type_checking)
                elif isinstance(child, (ast.excepthandler,)):
                    walk(module, child.body, eager=eager, type_checking=type_checking)


def read_module(name: str, path: Path) -> Module:
    module = Module(name, path, path.name == "__init__.py")
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    walk(module, tree.body, eager=True)
    module.defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    module.defined |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets
                       if isinstance(t, ast.Name)}
    return module


def load_modules() -> dict[str, Module]:
    return {module_name(path): read_module(module_name(path), path)
            for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


MODULES = load_modules()


def resolve(target: str, names: set[str] = frozenset()) -> set[str]:
    """The project's modules an import statement loads: `from pkg import mod` is the module, `from pkg import
    name` the package (its __init__), `import a.b` the deepest of a.b, a that is ours."""
    found = {f"{target}.{name}" for name in names if f"{target}.{name}" in MODULES}
    if names - {n.rpartition(".")[2] for n in found} or not names:
        parts = target.split(".")
        while parts and ".".join(parts) not in MODULES:
            parts.pop()
        if parts:
            found.add(".".join(parts))
    return found


def edges(module: Module, *, eager_only: bool = False) -> set[str]:
    out = set()
    for statement in module.statements:
        if statement.eager or not eager_only:
            out |= resolve(statement.target, statement.names)
    if not eager_only:
        out |= set(module.lazy.values())
    return out - {module.name}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def stage(name: str) -> int:
    parts = name.split(".")
    if name in ROOT_MODULES:
        return -1
    if parts[0] != "chargen_core" or len(parts) < 2 or parts[1] == "__main__":
        return len(STAGES)  # tui, __main__: above every stage
    return STAGES.index(parts[1])


def public_names(package: str) -> set[str]:
    """What a package's __init__ offers: the names it imports or defines, and those of its lazy table."""
    module = MODULES[package]
    imported = {name for statement in module.statements if statement.eager for name in statement.names}
    return imported | module.defined | set(module.lazy)


def test_the_graph_reader_sees_lazy_and_type_checking_imports():
    generator = MODULES["chargen_core.generate.generator"]
    assert "chargen_core.model" in edges(generator) and "chargen_core.generate.strategies" in edges(generator)
    train = MODULES["chargen_core.train"]
    assert "chargen_core.train.trainer" in edges(train)
    assert "chargen_core.train.trainer" not in edges(train, eager_only=True)
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circles():
    graph = {name: edges(module) & MODULES.keys() for name, module in MODULES.items()}
    found = circles(graph)
    assert not found, "import circles (cut each by moving the shared piece into a lower module):\n" + "\n".join(
        " <-> ".join(c) for c in found)


def test_stages_import_only_their_own_and_lower_ones():
    wrong = [f"{name} -> {target}" for name, module in MODULES.items() if name.startswith("chargen_core.")
             for target in edges(module) if target.startswith("chargen_core") and stage(target) > stage(name)]
    assert not wrong, "a lower stage imports a higher one:\n" + "\n".join(sorted(wrong))


def test_other_packages_use_only_a_stage_s_public_names():
    """tui, bench, cli and each stage reach another stage through its __init__, and only for names it exports;
    inside a stage, modules import their siblings directly, never through their own __init__."""
    sources = dict(MODULES)
    for path in sorted((ROOT / "bench").glob("*.py")):
        sources[f"bench.{path.stem}"] = read_module(f"bench.{path.stem}", path)
    wrong = []
    for name, module in sources.items():
        home = ".".join(name.split(".")[:2])
        for statement in module.statements:
            target, names = statement.target, statement.names
            parts = target.split(".")
            if parts[0] != "chargen_core" or len(parts) < 2 or target in ROOT_MODULES:
                continue
            package = ".".join(parts[:2])
            if package == home:
                through_init = {n for n in names if f"{package}.{n}" not in MODULES}  # not a sibling module
                # A package's __main__ (python -m) is its entry point: nothing imports it, so it may call the
                # package's own main.
                if target == package and name != package and not name.endswith(".__main__") and through_init:
                    wrong.append(f"{name} imports its own package's __init__ ({', '.join(sorted(through_init))})")
                continue
            if package not in MODULES or not MODULES[package].is_package:
                continue  # chargen_core.__main__ and the like
            if target != package:
                wrong.append(f"{name} imports the private module {target}")
            elif names - public_names(package):
                wrong.append(f"{name} imports {', '.join(sorted(names - public_names(package)))} from {package}, "
                             "which does not export it")
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_each_lazy_name_is_defined_where_the_table_says():
    for name, module in MODULES.items():
        if not module.is_package:
            continue
        assert module.lazy.keys() == module.checked_lazily.keys(), f"{name}: _LAZY and the TYPE_CHECKING imports differ"
        for attribute, target in module.lazy.items():
            assert module.checked_lazily[attribute] == target, f"{name}.{attribute}: two modules named"
            assert attribute in MODULES[target].defined, f"{target} does not define {attribute} ({name}._LAZY)"


def test_generation_imports_no_tensorflow_at_load_time():
    """The next step runs generation without TensorFlow: generate/ and everything it loads at import time
    (inside chargen_core) keep TensorFlow and Keras inside the functions that need them."""
    start = [name for name in MODULES if name.startswith(NUMPY_STAGES)]
    reached: dict[str, str | None] = {name: None for name in start}  # module -> the module that loaded it
    todo = list(start)
    while todo:
        name = todo.pop()
        for target in edges(MODULES[name], eager_only=True) & MODULES.keys():
            if target not in reached:
                reached[target] = name
                todo.append(target)
    heavy = []
    for name in reached:
        if MODULES[name].heavy:
            chain, at = [name], reached[name]
            while at is not None:
                chain.append(at)
                at = reached[at]
            heavy.append(f"{' <- '.join(chain)} (line {MODULES[name].heavy[0]})")
    assert not heavy, "TensorFlow/Keras imported at load time by:\n" + "\n".join(heavy)


def test_importing_the_stages_loads_no_tensorflow():
    """The same, for real: every stage's public names that are not marked heavy import without TensorFlow."""
    code = ("import sys\nimport chargen_core.data, chargen_core.model, chargen_core.runs, chargen_core.generate, "
            "chargen_core.train, chargen_core.cli\nprint(sorted({'tensorflow', 'keras'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
