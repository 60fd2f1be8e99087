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

core='^cliprt/(backend|dtype|embedded_file|error|executor|graph|node_cost|op_args|shape|tensor)\.h$'
check runtime/graph "$core"
check runtime/weights "$core|^cliprt/(config_json|safetensors|synthetic_weights|weight_source)\.h$|^embedded_rules\.inc$"
check runtime/text "$core|^cliprt/tokenizer\.h$|^text/"
check runtime/image "$core|^cliprt/image\.h$|^image/"
check runtime/cpu "$core|^cliprt/cpu_backend\.h$|^cpu/"
check runtime/cpu_fast "$core|^cliprt/cpu_backend\.h$|^cpu_fast/|^cpu/"
check runtime/vulkan "$core|^cliprt/vulkan_backend\.h$|^vulkan/|^shader_interface\.h$|^vulkan_shader_ids\.h$|^vulkan_spirv\.inc$"
check cuda_backend "$core|^cliprt/cuda_module_abi\.h$|^[a-z_]+\.(h|cuh)$"
check runtime/backends "$core|^cliprt/(backends|cuda_module|cuda_module_abi|cpu_backend|vulkan_backend)\.h$"
check models "^cliprt/|^models/|^embedded_configs\.inc$"
check shaders '^[a-z_]+\.(glsl|h)$'

[ $status -eq 0 ] && echo "check_layers: every include follows the layers"
exit $status
