#!/usr/bin/env python3
"""Lists the C++ tests that meson runs, for tests/steps/50-platforms.sh.

Reads `meson introspect --tests --targets` of a configured build directory
and prints one tab-separated line per test to run on the other targets:

  test  NAME  USES_GTEST  UNITY  SOURCES  FLAGS  HELPERS

and one line per helper program a test finds through its environment:

  helper  NAME  USES_GTEST  UNITY  SOURCES  FLAGS

UNITY is 1 when meson builds it as one unity translation unit (so it may
be built so here too), SOURCES are paths relative to the source root, FLAGS the -D, -U, -std and
-fno-exceptions arguments meson gives (shell-quoted), HELPERS VAR=NAME pairs.
A test whose executable has the same sources as one listed before it is a
build variant of it (other macros: a wait path, a standard): it is printed as
`variant NAME OF` and not run, since the platforms step covers the wait paths
with tests/platforms and step 10 runs every variant natively.
"""
import json
import os
import shlex
import subprocess
import sys


def introspect(build, what):
    out = subprocess.run(["meson", "introspect", build, what], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    build, root = sys.argv[1], os.path.realpath(sys.argv[2])
    targets = {}
    for t in introspect(build, "--targets"):
        if t["type"] != "executable":
            continue
        info = {"name": t["name"], "sources": [], "flags": [], "gtest": False, "unity": False}
        for s in t["target_sources"]:
            if "linker" in s:
                info["gtest"] = any("gtest" in p for p in s.get("parameters", []))
                continue
            srcs = s.get("sources", []) + s.get("unity_sources", [])
            info["unity"] = info["unity"] or bool(s.get("unity_sources"))
            info["sources"] += [os.path.relpath(p, root) for p in srcs]
            info["flags"] += [p for p in s.get("parameters", [])
                              if p.startswith(("-D", "-U", "-std=")) or p == "-fno-exceptions"]
        for f in t["filename"]:
            targets[os.path.realpath(f)] = info
    seen = {}
    helpers = {}
    for test in introspect(build, "--tests"):
        exe = targets.get(os.path.realpath(test["cmd"][0]))
        if exe is None or not exe["sources"]:
            continue
        key = tuple(sorted(exe["sources"]))
        if key in seen:
            print("variant", test["name"], seen[key], sep="\t")
            continue
        seen[key] = test["name"]
        env = []
        for var, value in (test.get("env") or {}).items():
            h = targets.get(os.path.realpath(value))
            if h is not None:
                helpers[h["name"]] = h
                env.append(f"{var}={h['name']}")
        print("test", test["name"], int(exe["gtest"]), int(exe["unity"]), " ".join(exe["sources"]),
              " ".join(shlex.quote(f) for f in exe["flags"]), " ".join(env), sep="\t")
    for h in helpers.values():
        print("helper", h["name"], int(h["gtest"]), int(h["unity"]), " ".join(h["sources"]),
              " ".join(shlex.quote(f) for f in h["flags"]), sep="\t")


if __name__ == "__main__":
    main()
