"""The size rules of the codebase (README "Architecture"): no module over 400 lines and no
function over 50 lines under the folders given. Exits 1 listing every breach."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50


def breaches(root: Path) -> list[str]:
    out = []
    for path in sorted(root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.count("\n")
        if lines > MAX_MODULE_LINES:
            out.append(f"{path}: {lines} lines (a module is at most {MAX_MODULE_LINES})")
        for node in ast.walk(ast.parse(source, str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    out.append(
                        f"{path}:{node.lineno} {node.name}: {length} lines "
                        f"(a function is at most {MAX_FUNCTION_LINES})"
                    )
    return out


def main(folders: list[str]) -> int:
    found = [b for folder in folders for b in breaches(Path(folder))]
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
