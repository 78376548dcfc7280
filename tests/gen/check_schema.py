#!/usr/bin/env python3
"""Validates scenario files against scenarios/schema.json (JSON Schema draft 2020-12).

usage: check_schema.py SCHEMA [--valid FILE...] [--invalid FILE...]
Exit 0 when every --valid file validates and every --invalid file does not; 1 otherwise;
77 when the jsonschema module is missing (the caller skips).
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("python3 jsonschema module is not installed (Debian: python3-jsonschema)")
    sys.exit(77)


def main(argv):
    schema = json.load(open(argv[1]))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    expect, failures = None, 0
    for arg in argv[2:]:
        if arg in ("--valid", "--invalid"):
            expect = arg
            continue
        try:
            doc = json.load(open(arg))
            errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        except json.JSONDecodeError as e:
            errors = [e]
        if expect == "--valid" and errors:
            failures += 1
            print(f"{arg}: expected valid, schema says:")
            for e in errors[:5]:
                where = "/" + "/".join(str(p) for p in getattr(e, "absolute_path", []))
                print(f"  {where}: {getattr(e, 'message', e)}"[:400])
        elif expect == "--invalid" and not errors:
            failures += 1
            print(f"{arg}: expected the schema to reject it, but it validates")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
