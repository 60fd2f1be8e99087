#!/usr/bin/env bash
# Checks the layering of docs/ARCHITECTURE.md on the #include lines of the tracked sources: a
# library includes its own private headers ("<folder>/...") and the public headers of the layers
# below it, never a higher layer's headers nor another library's private ones. Public headers
# ("cliprt/...", "models/...") are also kept in line by the build itself: a library only sees the
# include roots of the libraries it links.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
# check FOLDER ALLOWED_REGEX: every quoted include in FOLDER must match ALLOWED_REGEX.
check() {
  local folder=$1 allowed=$2
  while IFS= read -r line; do
    local file=${line%%:*} include=${line#*#include \"}
    include=${include%%\"*}
    if ! [[ $include =~ $allowed ]]; then
      echo "check_layers: $file includes \"$include\", which $folder/ must not" >&2
      status=1
    fi
  done < <(git grep -n '#include "' -- "$folder" ':!*.md' || true)
}

# public LIB...: the public headers of the runtime libraries named, as one alternation
# ("cliprt/a\.h|cliprt/b\.h"), read from their include folders so a new header needs no edit here.
public() {
  local names=() lib h
  for lib in "$@"; do
    for h in runtime/"$lib"/include/cliprt/*.h; do names+=("cliprt/$(basename "$h" .h)\\.h"); done
  done
  local IFS='|'
  echo "${names[*]}"
}

core="^($(public graph))$"
check runtime/graph "$core"
check runtime/weights "^($(public graph weights))$|^embedded_rules\\.inc$"
check runtime/text "^($(public graph text))$|^text/"
check runtime/image "^($(public graph image))$|^image/"
check runtime/cpu "^($(public graph cpu))$|^cpu/"
check runtime/cpu_fast "^($(public graph cpu))$|^cpu_fast/|^cpu/"
check runtime/vulkan "^($(public graph vulkan))$|^vulkan/|^shader_interface\\.h$|^vulkan_shader_ids\\.h$|^vulkan_spirv\\.inc$"
check cuda_backend "$core|^cliprt/cuda_module_abi\\.h$|^[a-z_]+\\.(h|cuh)$"
check runtime/backends "^($(public graph backends cpu vulkan))$|^cliprt/cuda_module_abi\\.h$"
check models "^cliprt/|^models/|^embedded_configs\.inc$|^embedded_timm_archs\.inc$"
check shaders '^[a-z_]+\.(glsl|h)$'

[ $status -eq 0 ] && echo "check_layers: every include follows the layers"
exit $status
