"""Validates every JSON file of a site against migcov's schema, with the `jsonschema`
package (Draft 2020-12). Usage: validate.py SCHEMA SITE [EXTRA_JSON=DEF ...].
Prints one line per file; exits 1 on the first invalid file, 2 when jsonschema is missing."""
import fnmatch
import json
import pathlib
import sys

try:
    import jsonschema
except ImportError:
    print("python package jsonschema is missing (pip install jsonschema)", file=sys.stderr)
    sys.exit(2)

schema = json.loads(pathlib.Path(sys.argv[1]).read_text())
site = pathlib.Path(sys.argv[2])
jsonschema.Draft202012Validator.check_schema(schema)


def validator(ref):
    return jsonschema.Draft202012Validator({"$ref": ref, "$defs": schema["$defs"]})


checked = 0
for path in sorted(site.rglob("*.json")):
    relative = path.relative_to(site).as_posix()
    if relative.startswith("archive/"):
        relative = relative.split("/", 2)[2]
    # The file's own entry first, then the first pattern that matches it.
    ref = schema["x-files"].get(relative) or next(
        (r for pattern, r in schema["x-files"].items() if fnmatch.fnmatch(relative, pattern)), None)
    if ref is None:
        print(f"{relative}: no schema for this file", file=sys.stderr)
        sys.exit(1)
    errors = sorted(validator(ref).iter_errors(json.loads(path.read_text())), key=str)
    if errors:
        print(f"{relative}: {errors[0].message} at {list(errors[0].absolute_path)}", file=sys.stderr)
        sys.exit(1)
    checked += 1
for extra in sys.argv[3:]:
    file, ref = extra.split("=", 1)
    errors = list(validator(ref).iter_errors(json.loads(pathlib.Path(file).read_text())))
    if errors:
        print(f"{file}: {errors[0].message}", file=sys.stderr)
        sys.exit(1)
    checked += 1
print(f"{checked} JSON files valid")
