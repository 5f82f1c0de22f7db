"""Checks an nginx configuration with crossplane (NGINX's own configuration parser): syntax,
every directive in a context where nginx allows it with a number of arguments it takes, and no
directive nginx does not know. crossplane's own --strict also takes the entries of data blocks
(map, types, ...) for unknown directives; this check skips those entries.

    python deploy/lint/nginx.py FILE...
"""

from __future__ import annotations

import sys
from typing import Any

import crossplane
from crossplane.analyzer import DIRECTIVES

# Blocks whose entries are data (keys and values), not directives.
DATA_BLOCKS = {"map", "types", "geo", "split_clients", "match", "charset_map"}


def unknown_directives(block: list[dict[str, Any]], path: str) -> list[str]:
    found = []
    for entry in block:
        name = entry["directive"]
        if name not in DIRECTIVES:
            found.append(f'{path}:{entry["line"]}: unknown directive "{name}"')
        if "block" in entry and name not in DATA_BLOCKS:
            found.extend(unknown_directives(entry["block"], path))
    return found


def check(path: str) -> list[str]:
    # single=True: an include of the container's own files (mime.types) is not followed here.
    payload = crossplane.parse(path, single=True, catch_errors=True)
    problems = [f"{error['file']}:{error.get('line')}: {error['error']}" for error in payload["errors"]]
    for config in payload["config"]:
        problems.extend(unknown_directives(config["parsed"], config["file"]))
    return problems


def main() -> int:
    failed = False
    for path in sys.argv[1:]:
        problems = check(path)
        for problem in problems:
            print(problem)
        print(f"{path}: {'failed' if problems else 'ok'}")
        failed |= bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
