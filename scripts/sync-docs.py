#!/usr/bin/env python3
"""Regenerates the manual's generated sections (the help texts in docs/commands.md, the rule
table in docs/rules.md) from the binary, so they never drift; tests/readme.rs fails when they
do.

Usage: scripts/sync-docs.py [path/to/migcov]  (default: target/debug/migcov)
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
        sys.exit(f"no <!-- {name} --> section")
    return pattern.sub(lambda m: m.group(1) + body + m.group(2), text)


commands = ROOT / "docs/commands.md"
text = commands.read_text()
for command in ["build", "validate", "generate", "collect"]:
    text = replace(text, f"help:{command}", f"```text\n{run(command, '--help')}```\n")
commands.write_text(text)

table = "| id | severity | checks that |\n|---|---|---|\n"
for line in run("rules").splitlines():
    rule, severity, summary = line[:45].strip(), line[45:54].strip(), line[54:].strip()
    table += f"| `{rule}` | {severity} | {summary} |\n"
rules = ROOT / "docs/rules.md"
rules.write_text(replace(rules.read_text(), "rules", table))
