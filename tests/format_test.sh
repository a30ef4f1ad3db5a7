#!/usr/bin/env bash
# Every C++ file follows .clang-format (reformat one with `clang-format -i FILE`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
command -v clang-format >/dev/null || { echo "format_test: clang-format not installed (scripts/setup.sh installs it)"; exit 77; }
mapfile -t files < <(git ls-files 'include/*.h' 'src/*.h' 'src/*.cpp' 'tools/*.h' 'tools/*.cpp' 'python/*.h' 'python/*.cpp' 'tests/*.h' \
  'tests/*.cpp' 'bench/*.h' 'bench/*.cpp' 'fuzz/*.h' 'fuzz/*.cpp' 2>/dev/null || true)
((${#files[@]})) || { echo "format_test: not a git checkout, nothing to check"; exit 77; }
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  printf 'format_test: not formatted (clang-format -i): %s\n' "${bad[@]}"
  exit 1
fi
echo "format_test: ${#files[@]} files follow .clang-format"
