#!/usr/bin/env bash
# Checks that every tracked C++ source and header (and CUDA source) is formatted as the repository's
# .clang-format says; prints the offending files and exits non-zero otherwise. Formats nothing:
# to fix a file, run `clang-format -i FILE`.
#
# Usage: scripts/check_format.sh [CLANG_FORMAT]   (default: clang-format from PATH; Debian
# package clang-format, installed by scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

clang_format=${1:-clang-format}
if ! command -v "$clang_format" >/dev/null; then
  echo "check_format: $clang_format not found (Debian package clang-format)" >&2
  exit 2
fi

# Another clang-format major version formats some constructs differently: the tree is formatted
# with Debian 12's clang-format 14, so another version skips (exit 77) instead of failing.
expected_major=14
major=$("$clang_format" --version | sed -n 's/.*version \([0-9][0-9]*\)\..*/\1/p')
if [ "$major" != "$expected_major" ]; then
  echo "check_format: skipped: $("$clang_format" --version) is not clang-format $expected_major" >&2
  exit 77
fi

# Tracked files only: build trees and generated files are never checked.
mapfile -t files < <(git ls-files -- '*.cpp' '*.h' '*.cc' '*.hpp' '*.cu' '*.cuh')
if [ ${#files[@]} -eq 0 ]; then
  echo "check_format: no C++ files found" >&2
  exit 2
fi

bad=()
for f in "${files[@]}"; do
  "$clang_format" --dry-run -Werror --style=file "$f" >/dev/null 2>&1 || bad+=("$f")
done

if [ ${#bad[@]} -ne 0 ]; then
  echo "check_format: ${#bad[@]} of ${#files[@]} files are not formatted ($("$clang_format" --version)):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  echo "check_format: run clang-format -i on them" >&2
  exit 1
fi
echo "check_format: ${#files[@]} files formatted"
