"""Hidden channels stay few: the request path's state travels as arguments (the call, its record)
and through one request scope; a context variable is allowed only where an argument cannot reach,
and says why where it is defined."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

ALLOWED = {
    "clients/context.py": "scope_var",
    "bff/transport.py": "_queueing_var",
}


def _context_variables() -> dict[str, str]:
    found: dict[str, str] = {}
    for package in ("bff", "clients"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.AnnAssign | ast.Assign)
                    and isinstance(node.value, ast.Call)
                    and getattr(node.value.func, "id", None) == "ContextVar"
                ):
                    target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
                    assert isinstance(target, ast.Name)
                    found[str(path.relative_to(ROOT))] = target.id
    return found


def test_at_most_two_context_variables_in_the_product() -> None:
    assert _context_variables() == ALLOWED


def test_each_says_why_it_cannot_be_an_argument() -> None:
    for module in ALLOWED:
        assert "cannot be an argument" in " ".join((ROOT / module).read_text().split()), module
