"""The shape of the package: a torch-free configuration layer, no import cycles, no hub modules, and a TRL adapter
that uses only the loop's public API (docs/architecture.md)."""
import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).parents[2] / "morlbench"
LONGEST_MODULE = 260  # lines; a module past this mixes jobs and should be split


def python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_spec_and_cli_import_without_torch():
    done = python("import sys; sys.modules['torch'] = None; import morlbench.spec, morlbench.cli; print('ok')")
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_help_and_list_leave_torch_unimported():
    for argv in (["--help"], ["run", "--help"], ["list"], ["list", "-v"]):
        done = python(f"import sys\nfrom morlbench.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n"
                      "    pass\nprint('TORCH', 'torch' in sys.modules)")
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().splitlines()[-1] == "TORCH False", argv


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every morlbench module ``name`` imports, at any depth of the file (TYPE_CHECKING and lazy imports too)."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names}
    return {m for m in found if m in known and m != name}


def test_no_import_cycles():
    known = modules()
    graph = {name: imports_of(name, path, known) for name, path in known.items()}
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_no_module_is_a_hub():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > LONGEST_MODULE}
    assert not long, long


def test_trl_adapter_uses_only_the_public_loop():
    for path in [PACKAGE / "backends" / "trl.py", *(PACKAGE / "integrations").glob("trl*.py")]:
        tree = ast.parse(path.read_text())
        private = sorted({node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                          and isinstance(node.value, ast.Name) and node.value.id in ("loop", "trainer")
                          and node.attr.startswith("_")})
        assert not private, (path.name, private)
