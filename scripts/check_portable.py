#!/usr/bin/env python3
"""Proves that flowlab builds without CPU-specific code (for arm64 and other machines).

1. No source includes an x86 or ARM intrinsics header (cpuid.h, immintrin.h, arm_neon.h, ...).
2. Every source that tests an architecture macro (__x86_64__, __aarch64__, __SSE4_2__, ...) is
   compiled again, with its own flags from compile_commands.json plus -DFLOWLAB_PORTABLE
   -fsyntax-only, so the portable branch those files promise really compiles here.
Cheap enough for every CI run (a few files, syntax only). Usage: check_portable.py SOURCE BUILD
"""
import json
import pathlib
import re
import shlex
import subprocess
import sys

src = pathlib.Path(sys.argv[1]).resolve()
build = pathlib.Path(sys.argv[2]).resolve()
modules = ["core", "gen", "replay", "verify", "app", "harness", "report"]
headers = re.compile(r'#\s*include\s*[<"](cpuid|immintrin|x86intrin|emmintrin|smmintrin|nmmintrin|tmmintrin|'
                     r'wmmintrin|xmmintrin|pmmintrin|arm_neon|arm_acle)\.h[>"]')
arch = re.compile(r'__(x86_64|i386|aarch64|arm|SSE\w*|AVX\w*|SHA|ARM_NEON|ARM_FEATURE_\w+)__')

problems = []
guarded = []
for m in modules:
    for p in sorted((src / m).rglob("*")) if (src / m).is_dir() else []:
        if p.suffix not in (".cpp", ".hpp", ".h", ".cc"):
            continue
        text = p.read_text(errors="replace")
        for n, line in enumerate(text.splitlines(), 1):
            if headers.search(line):
                problems.append(f"{p.relative_to(src)}:{n}: includes a CPU-specific header: {line.strip()}")
        if arch.search(text) and p.suffix in (".cpp", ".cc"):
            guarded.append(p)

commands = {pathlib.Path(e["file"]).resolve(): e for e in json.loads((build / "compile_commands.json").read_text())}
for p in guarded:
    e = commands.get(p)
    if e is None:
        problems.append(f"{p.relative_to(src)}: tests an architecture macro but is not in compile_commands.json")
        continue
    args = e["arguments"] if "arguments" in e else shlex.split(e["command"])
    # Drop the launcher (ccache), the output and dependency-file options; keep the rest.
    if pathlib.Path(args[0]).name == "ccache":
        args = args[1:]
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
            continue
        if a in ("-MD", "-MMD", "-c"):
            continue
        out.append(a)
    out += ["-DFLOWLAB_PORTABLE", "-fsyntax-only"]
    r = subprocess.run(out, cwd=e["directory"], capture_output=True, text=True)
    if r.returncode != 0:
        problems.append(f"{p.relative_to(src)}: the portable path (-DFLOWLAB_PORTABLE) does not compile:\n{r.stderr}")
    else:
        print(f"portable path compiles: {p.relative_to(src)}")

if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"portable: no CPU-specific headers; {len(guarded)} file(s) with architecture guards compile portably")
