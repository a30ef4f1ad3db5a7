#!/usr/bin/env python3
"""Fails when a library or CLI file includes a header of a higher area.

The areas, bottom to top, are listed in AREAS (docs/architecture.md explains them): a file
may include headers of its own area and of the areas below it. Usage:
    check_layers.py [ROOT]        ROOT: the repository (default: this script's parent's parent)
Exit 0 with a summary line when the tree is layered; 1 with one line per upward include.
"""
import os
import re
import sys

# Bottom to top; areas in one tuple share a level and must not include each other.
AREAS = [
    ("common",),
    ("kernels",),
    ("metrics",),
    ("neurons", "ssm"),
    ("layers",),
    ("models",),
    ("data", "text"),
    ("train",),
    ("infer",),
    ("export",),
    ("api",),
    ("tools", "python"),  # the CLI and the Python bindings (python/csrc): library calls out
]
LEVEL = {area: i for i, group in enumerate(AREAS) for area in group}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def area_of(rel):
    """Area of a repository-relative path, or None for files outside the layered tree."""
    parts = rel.split("/")
    if parts[0] == "include" and len(parts) > 3 and parts[1] == "spikessm":
        return parts[2]
    if parts[0] == "src" and len(parts) > 2:
        return parts[1]
    if parts[0] in ("tools", "python"):
        return parts[0]
    return None


def resolve(root, rel_file, inc):
    """Repository-relative path of an include: "spikessm/..." or relative to the file."""
    if inc.startswith("spikessm/"):
        return "include/" + inc
    path = os.path.normpath(os.path.join(os.path.dirname(rel_file), inc))
    return path if os.path.exists(os.path.join(root, path)) else None


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), ".."))
    errors, files, includes = [], 0, 0
    for top in ("include", "src", "tools", "python"):
        for d, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if not name.endswith((".h", ".cpp")):
                    continue
                rel = os.path.relpath(os.path.join(d, name), root)
                mine = area_of(rel)
                if mine is None:
                    continue
                if mine not in LEVEL:
                    errors.append(f"{rel}: area '{mine}' is not in the layer order (scripts/check_layers.py)")
                    continue
                files += 1
                text = open(os.path.join(root, rel), encoding="utf-8").read()
                for m in INCLUDE.finditer(text):
                    target = resolve(root, rel, m.group(1))
                    theirs = area_of(target) if target else None
                    if theirs is None or theirs == mine:
                        continue
                    includes += 1
                    if theirs not in LEVEL or LEVEL[theirs] >= LEVEL[mine]:
                        line = text.count("\n", 0, m.start()) + 1
                        errors.append(f"{rel}:{line}: area '{mine}' includes '{m.group(1)}' "
                                      f"of area '{theirs}', which is not below it")
    for e in errors:
        print(e)
    if errors:
        print(f"check_layers: {len(errors)} upward include(s) in {files} files")
        return 1
    print(f"check_layers: {files} files, {includes} cross-area includes, all downward")
    return 0


if __name__ == "__main__":
    sys.exit(main())
