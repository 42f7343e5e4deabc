#!/usr/bin/env python3
"""Regenerates the README's generated sections (the help texts and the rule table) from the
binary, so they never drift; tests/readme.rs fails when they do.

Usage: scripts/sync-readme.py [path/to/migcov]  (default: target/debug/migcov)
"""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
binary = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target/debug/migcov")


def run(*args):
    return subprocess.run([binary, *args], check=True, capture_output=True, text=True).stdout


def replace(text, name, body):
    pattern = re.compile(rf"(<!-- {re.escape(name)} -->\n).*?(<!-- /{re.escape(name)} -->)", re.S)
    if not pattern.search(text):
        sys.exit(f"README.md has no <!-- {name} --> section")
    return pattern.sub(lambda m: m.group(1) + body + m.group(2), text)


readme = (ROOT / "README.md").read_text()
for command in ["build", "validate", "generate", "collect"]:
    readme = replace(readme, f"help:{command}", f"```text\n{run(command, '--help')}```\n")
table = "| id | severity | checks that |\n|---|---|---|\n"
for line in run("rules").splitlines():
    rule, severity, summary = line[:45].strip(), line[45:54].strip(), line[54:].strip()
    table += f"| `{rule}` | {severity} | {summary} |\n"
readme = replace(readme, "rules", table)
(ROOT / "README.md").write_text(readme)
