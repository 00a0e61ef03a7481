"""The layout holds (issue 19; ../shared/reference/structure-step.md §4.4): none of
the arrows that must never exist, no import cycle at import time, stored frames
parsed only by chargers/frames/reader.py, and no file over 600 lines. Read off the
source files with `ast`, so a broken arrow fails here whether or not a test ever
imports the module."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGES = ("certify", "chargers")
MAX_LINES = 600
# Where a JSON parser may read a frame's text: the one reader of the stored log, and the
# OCPP-J framing that reads a frame off the wire before it is stored.
PARSES_RAW = {
    "chargers.frames.reader": "the one reader of the stored log",
    "chargers.protocol.rpc": "OCPP-J framing of a frame on the wire, before it is stored",
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    path: str  # its file
    target: str  # the module imported (a submodule when `from pkg import sub` names one)
    line: int
    top_level: bool  # runs when the module is imported (not in a function, not only for type checkers)

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.target}"


def sources(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the project's packages, migrations aside: dotted name -> file."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if "migrations" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = sources()


def path_of(module: str) -> str:
    return str(MODULES[module].relative_to(ROOT)) if module in MODULES else module


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def imports_of(module: str, tree: ast.Module, modules=MODULES) -> list[Import]:
    """What a module imports, relative imports resolved, `from pkg import sub` read as
    an import of the submodule when `sub` is one."""
    path = modules[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    shown = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
    found: list[Import] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend(Import(module, shown, alias.name, child.lineno, top) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = package.rsplit(".", child.level - 1)[0] if child.level > 1 else package
                target = ".".join(p for p in (base if child.level else "", child.module or "") if p)
                for alias in child.names:
                    sub = f"{target}.{alias.name}"
                    found.append(Import(module, shown, sub if sub in modules else target, child.lineno, top))
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                visit(child, False)
            elif _type_checking(child):
                visit(child, False)
            else:
                visit(child, top)

    visit(tree, True)
    return found


@cache
def tree_of(module: str) -> ast.Module:
    return ast.parse(MODULES[module].read_text(), filename=str(MODULES[module]))


def all_imports() -> list[Import]:
    return [found for module in MODULES for found in imports_of(module, tree_of(module))]


def under(module: str, *prefixes: str) -> bool:
    """The module is one of the prefixes or lies below one."""
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _catalog_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["certify", "catalogs"] else None


def _version_of(module: str) -> str | None:
    match = re.match(r"chargers\.protocol\.(v\d+)(\.|$)", module)
    return match.group(1) if match else None


# §4.4, each arrow as (its words, does this import break it).
NEVER = [
    (
        "1. chargers/** -> certify/**: the OCPP layer knows nothing of certification",
        lambda i: under(i.source, "chargers") and under(i.target, "certify"),
    ),
    (
        "2. chargers/frames/** -> chargers/protocol/**: the log is OCPP-J, not a version",
        lambda i: under(i.source, "chargers.frames") and under(i.target, "chargers.protocol"),
    ),
    (
        "3. chargers/hooks.py -> anything but chargers/models.py: hooks hand values, not live objects",
        lambda i: i.source == "chargers.hooks" and under(i.target, *PACKAGES) and i.target != "chargers.models",
    ),
    (
        "4. chargers/protocol/{central_system, rpc} -> chargers/protocol/vNN/**: the core names no version",
        lambda i: (
            i.source in ("chargers.protocol.central_system", "chargers.protocol.rpc")
            and _version_of(i.target) is not None
        ),
    ),
    (
        "5. chargers/protocol/vNN/** <-> chargers/protocol/vMM/**: versions never import each other",
        lambda i: None is not _version_of(i.source) != _version_of(i.target) is not None,
    ),
    (
        "6. certify/catalogs/A/** -> certify/catalogs/B/**: catalogs never import each other",
        lambda i: None is not _catalog_of(i.source) != _catalog_of(i.target) is not None,
    ),
    (
        "7. certify/catalogs/** -> a model, a view, the server's session code or django.db: "
        "a case is data, a pure rule over the log and a procedure over a run",
        lambda i: (
            under(i.source, "certify.catalogs")
            and (
                under(
                    i.target,
                    "certify.models",
                    "certify.evaluation",
                    "certify.sessions",
                    "certify.reactions",
                    "certify.views",
                    "certify.offline_views",
                    "certify.api",
                    "certify.history",
                    "certify.report",
                    "chargers.models",
                    "chargers.views",
                    "chargers.api",
                    "django.db",
                )
                or i.target.endswith((".models", ".views"))
            )
        ),
    ),
    (
        "8. certify/judging/** -> certify/{catalogs, models, evaluation}: the vocabulary lies below the cases",
        lambda i: (
            under(i.source, "certify.judging")
            and under(i.target, "certify.catalogs", "certify.models", "certify.evaluation")
        ),
    ),
    (
        "9. certify/headless/** -> certify/{models, sessions, evaluation, reactions, catalogs/<name>}: "
        "the runner talks through the JSON API and is handed its catalog",
        lambda i: (
            under(i.source, "certify.headless")
            and (
                under(i.target, "certify.models", "certify.sessions", "certify.evaluation", "certify.reactions")
                or _catalog_of(i.target) is not None
            )
        ),
    ),
    (
        "10. certify/{views, api, history} -> certify/reactions.py: reactions are reached only through hooks",
        lambda i: (
            under(i.source, "certify.views", "certify.api", "certify.history") and under(i.target, "certify.reactions")
        ),
    ),
]


def broken_arrows(imports: list[Import]) -> list[str]:
    """Every import that draws a never-arrow, with the file, line and the arrow."""
    return [f"{found}: never-arrow {words}" for words, breaks in NEVER for found in imports if breaks(found)]


def cycles(imports: list[Import]) -> list[list[str]]:
    """The import cycles among the project's modules at import time (Tarjan's
    strongly connected components over the top-level imports)."""
    graph: dict[str, set[str]] = {}
    for found in imports:
        if found.top_level and found.target in MODULES and found.target != found.source:
            graph.setdefault(found.source, set()).add(found.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:  # iterative, so a deep chain cannot hit the recursion limit
        work = [(node, iter(sorted(graph.get(node, ()))))]
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        while work:
            current, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[current])
                if low[current] == index[current]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == current:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on_stack:
                low[current] = min(low[current], index[child])

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return components


# -- what parses a stored frame's text ------------------------------------------------------

JSON_PARSERS = {"json.loads", "json.load", "loads", "orjson.loads", "ujson.loads", "simplejson.loads"}


def _mentions_raw(node: ast.AST, tainted: set[str]) -> bool:
    """The expression is, or is computed from, a frame's text: `.raw`, `["raw"]`,
    `.get("raw")`, a name `raw`/`raw_*`, or a name bound from one of those."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Attribute) and inner.attr == "raw":
            return True
        if isinstance(inner, ast.Constant) and inner.value == "raw":
            return True  # a "raw" key: line["raw"], fields.get("raw")
        if isinstance(inner, ast.Name) and (inner.id in tainted or re.fullmatch(r"raw(_\w+)?", inner.id)):
            return True
    return False


def _bound_names(target: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def raw_parsers(module: str, tree: ast.Module) -> list[str]:
    """JSON parsers called on a frame's text, per function (names bound from the
    text in the same function count: `text = frame.raw; json.loads(text)`)."""
    found = []
    scopes = [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))]
    for scope in scopes:
        body = [n for n in ast.walk(scope) if n is not scope]
        tainted: set[str] = set()
        for _ in range(10):  # names bound from tainted names, to a fixed point
            before = len(tainted)
            for node in body:
                if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.NamedExpr) and node.value:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    if _mentions_raw(node.value, tainted):
                        tainted.update(name for t in targets for name in _bound_names(t))
                elif isinstance(node, ast.For | ast.comprehension) and _mentions_raw(node.iter, tainted):
                    tainted.update(_bound_names(node.target))
            if len(tainted) == before:
                break
        for node in body:
            if isinstance(node, ast.Call) and ast.unparse(node.func) in JSON_PARSERS:
                if any(_mentions_raw(arg, tainted) for arg in [*node.args, *(k.value for k in node.keywords)]):
                    found.append(f"{path_of(module)}:{node.lineno} {ast.unparse(node)}")
    return sorted(set(found))


# -- the tests ------------------------------------------------------------------------------


def test_no_never_arrow_of_the_layout_is_drawn():
    broken = broken_arrows(all_imports())
    assert not broken, "\n".join(broken)


def test_no_import_cycle_at_import_time():
    found = cycles(all_imports())
    assert not found, "import cycles (top-level imports):\n" + "\n".join(
        " <-> ".join(path_of(m) for m in cycle) for cycle in found
    )


def test_stored_frames_are_parsed_only_by_the_reader():
    found = [hit for module in MODULES if module not in PARSES_RAW for hit in raw_parsers(module, tree_of(module))]
    assert not found, "a frame's raw text parsed outside chargers/frames/reader.py:\n" + "\n".join(found)


def long_files(modules: dict[str, Path]) -> dict[str, int]:
    """Files over the house limit, with their line counts."""
    counts = {path: len(path.read_text().splitlines()) for path in modules.values()}
    return {str(path): n for path, n in counts.items() if n > MAX_LINES}


def test_no_file_is_over_600_lines():
    found = long_files(MODULES)
    assert not found, f"over {MAX_LINES} lines (split by what each holds): {found}"


# -- each check can fail: fed a made-up offender, it names it ---------------------------------


def _fake(source: str, module: str, text: str) -> list[Import]:
    return imports_of(module, ast.parse(text), {**MODULES, module: ROOT / source})


@pytest.mark.parametrize(
    ("source", "module", "text", "arrow"),
    [
        ("chargers/x.py", "chargers.x", "from certify import models", "1."),
        ("chargers/frames/x.py", "chargers.frames.x", "def f():\n    from ..protocol import rpc", "2."),
        ("chargers/hooks.py", "chargers.hooks", "from .live import announce", "3."),
        ("chargers/protocol/rpc.py", "chargers.protocol.rpc", "from .v16 import actions", "4."),
        ("chargers/protocol/v16/x.py", "chargers.protocol.v16.x", "from ..v201 import state", "5."),
        ("certify/catalogs/octt16/x.py", "certify.catalogs.octt16.x", "from ..testscript16 import reset", "6."),
        ("certify/catalogs/octt16/x.py", "certify.catalogs.octt16.x", "from chargers.models import Frame", "7."),
        ("certify/catalogs/testscript16/x.py", "certify.catalogs.testscript16.x", "from django.db import models", "7."),
        ("certify/judging/x.py", "certify.judging.x", "from ..models import ItemResult", "8."),
        ("certify/headless/x.py", "certify.headless.x", "from certify.catalogs import octt16", "9."),
        ("certify/views.py", "certify.views", "from . import reactions", "10."),
    ],
)
def test_each_never_arrow_is_caught_naming_file_and_arrow(source, module, text, arrow):
    broken = broken_arrows(_fake(source, module, text))
    assert len(broken) == 1 and f"never-arrow {arrow}" in broken[0] and source in broken[0], broken


def test_a_cycle_is_caught_but_an_import_inside_a_function_is_no_cycle():
    one = _fake("chargers/models.py", "chargers.models", "from .frames import reader")
    other = _fake("chargers/frames/reader.py", "chargers.frames.reader", "from chargers import models")
    assert cycles(one + other) == [["chargers.frames.reader", "chargers.models"]]
    lazy = _fake("chargers/frames/reader.py", "chargers.frames.reader", "def f():\n    from chargers import models")
    assert cycles(one + lazy) == []


@pytest.mark.parametrize(
    "text",
    [
        "import json\ndef f(frame):\n    return json.loads(frame.raw)",
        "import json\ndef f(line):\n    return json.loads(line['raw'])",
        "from json import loads\ndef f(frame):\n    text = frame.raw.strip()\n    data = loads(text)",
        "import json\ndef f(raw):\n    return json.loads(raw)",
        "import json\ndef f(rows):\n    return [json.loads(r) for r in (x.raw for x in rows)]",
    ],
)
def test_a_parse_of_a_frames_raw_text_is_caught(text):
    assert len(raw_parsers("certify.views", ast.parse(text))) == 1


def test_parsing_other_json_is_no_parse_of_a_frame():
    text = (
        "import json\ndef f(request, raw=False):\n    body = request.body\n    return body if raw else json.loads(body)"
    )
    assert raw_parsers("certify.views", ast.parse(text)) == []


def test_a_file_over_600_lines_is_caught(tmp_path):
    (tmp_path / "chargers").mkdir()
    (tmp_path / "chargers" / "big.py").write_text("x = 1\n" * (MAX_LINES + 1))
    (tmp_path / "chargers" / "small.py").write_text("x = 1\n" * MAX_LINES)
    assert list(long_files(sources(tmp_path))) == [str(tmp_path / "chargers" / "big.py")]
