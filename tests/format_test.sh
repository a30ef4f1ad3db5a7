#!/usr/bin/env bash
# Every C++ file follows .clang-format (reformat one with `clang-format -i FILE`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
command -v clang-format >/dev/null || { echo "format_test: clang-format not installed (scripts/setup.sh installs it)"; exit 77; }
mapfile -t files < <(git ls-files 'include/*.h' 'src/*.h' 'src/*.cpp' 'tools/*.h' 'tools/*.cpp' 'python/*.h' 'python/*.cpp' 'tests/*.h' \
  'tests/*.cpp' 'bench/*.h' 'bench/*.cpp' 'fuzz/*.h' 'fuzz/*.cpp' 2>/dev/null || true)
((${#files[@]})) || { echo "format_test: not a git checkout, nothing to check"; exit 77; }
# One clang-format process for every file (one per file costs ~0.3 s each); it names each
# unformatted file in its "error: code should be clang-formatted" lines.
mapfile -t bad < <(clang-format --dry-run --Werror "${files[@]}" 2>&1 >/dev/null |
  sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' | sort -u)
if ((${#bad[@]})); then
  printf 'format_test: not formatted (clang-format -i): %s\n' "${bad[@]}"
  exit 1
fi
echo "format_test: ${#files[@]} files follow .clang-format"
