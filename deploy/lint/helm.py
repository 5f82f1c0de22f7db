"""`helm lint` and `helm template` through Helm's own Go SDK (the PyPI package helm-python-sdk
binds its C ABI), for machines without the helm binary.

    python deploy/lint/helm.py lint CHART [-f VALUES]...
    python deploy/lint/helm.py template CHART --output-dir DIR [-f VALUES]... [--name N] [--namespace NS]

lint prints each finding as helm does and fails on any warning or error (helm lint --strict).
template renders every manifest, hooks included, into DIR/<template>.yaml, as
`helm template --output-dir` does, and fails if a template does not render.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from typing import Any

import helm_python as helm

SEVERITIES = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Later values files win, key by key, as with helm's repeated -f."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_values(paths: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for path in paths:
        values = merge(values, helm.values_from_yaml(pathlib.Path(path).read_text()))
    return values


def lint(args: argparse.Namespace) -> int:
    report = helm.lint(
        args.chart, load_values(args.values), strict=True, namespace=args.namespace, quiet=False
    )
    failed = False
    for message in report.get("messages", []):
        severity = int(message.get("severity", 0))
        print(f"[{SEVERITIES.get(severity, severity)}] {message.get('path')}: {message.get('error')}")
        failed |= severity >= 2
    for error in report.get("errors") or []:
        print(f"[ERROR] {error}")
        failed = True
    print(f"{report.get('total_charts_linted', 0)} chart(s) linted, {'failed' if failed else 'no failures'}")
    return 1 if failed else 0


def template(args: argparse.Namespace) -> int:
    out = pathlib.Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    with helm.Chart.load(args.chart) as chart:
        chart.validate_schema(load_values(args.values))
        manifests = chart.render(
            load_values(args.values), name=args.name, namespace=args.namespace, is_install=True
        )
    written = 0
    for source, text in sorted(manifests.items()):
        if source.endswith("NOTES.txt") or not text.strip():
            continue
        target = out / source.replace("/", "__")
        target.write_text(f"---\n# Source: {source}\n{text}\n")
        written += 1
    print(f"rendered {written} template(s) into {out}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("lint", "template"):
        command = commands.add_parser(name)
        command.add_argument("chart")
        command.add_argument("-f", "--values", action="append", default=[])
        command.add_argument("--namespace", default="apus")
        if name == "template":
            command.add_argument("--name", default="apus")
            command.add_argument("--output-dir", required=True)
    args = parser.parse_args()
    try:
        return lint(args) if args.command == "lint" else template(args)
    except helm.HelmError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
