#!/usr/bin/env bash
# The one-shot NVIDIA check: cliprt's CUDA and Vulkan backends on a real GPU, reached through the
# device tool (a second machine with one GPU, no package registries, ~10 minutes a call).
#
#   scripts/device_check.sh prepare [--build DIR] [--dest DIR] [--no-wheels]     here
#   scripts/device_check.sh run [--bundle DIR] [--out DIR] [--deadline S] [--dry-run]   there
#   scripts/device_check.sh dry-run [--build DIR]                                 here (ctest)
#
# prepare: packs what the GPU machine lacks into DIR (default .device/, git-ignored) as one
#   bundle.tar.xz: the binaries of BUILD (cliprt, cliprt_tests, cliprt_device_report and the CUDA
#   module libcliprt_cuda.so, which must hold sm_90 code), stripped; every shared library they
#   need beyond the C and C++ runtimes, the Vulkan loader and the Khronos validation layer, copied
#   from this Debian machine's packages; the wheels of open_clip (and ftfy, wcwidth) for the
#   PyTorch side. It checks that the repository's files plus the bundle fit the 64 MiB that
#   travels and prints the device call to make.
# run: unpacks the bundle under /tmp, then within --deadline seconds (default 540) runs, each stage
#   with its own time limit (guesses until a GPU has run it: see the report's seconds): the GPU's facts (nvidia-smi), `cliprt info`, the CUDA op-parity suite
#   and every golden case on CUDA in f32 and f16, the same on Vulkan where an NVIDIA Vulkan driver
#   is found (validation layer on), `cliprt bench` for ViT-B-32, ViT-L-14 and RN50 (image and text,
#   f32 and f16, batch 1/8/64/256) on cuda, the same towers in PyTorch (tools/torch_gpu_bench.py),
#   then on vulkan, and `cliprt profile` of ViT-B-32's image tower on each; writes report.md,
#   report.json and results.tar.gz (every raw output and log) into $OUT. A stage that fails or runs out of time is recorded as such; the others still run.
# dry-run: prepare without wheels into a temporary directory, then run --dry-run from it on this
#   machine: CUDA and PyTorch stages skipped, Vulkan parity and bench on a small selection (lavapipe),
#   then checks the report. The ctest entry device_check_dry_run.
#
# A session whose task draws a GPU: `scripts/device_check.sh prepare` in the checkout the device
# tool sends, then device run with command "bash scripts/device_check.sh run" and carry [".device"],
# timeout_s 600. README.md, "Checking on an NVIDIA GPU", says what the report proves.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SELF="$ROOT/scripts/device_check.sh"
MODE="${1:-}"
shift || true

# Internal: one parity suite (NAME FILTER) with its JSON result, `cliprt bench` for every model
# and dtype, one process and JSON file each so that a timeout loses one, and `cliprt profile` of one
# image tower at batch 1 (BACKEND MODEL RUNS); each inside a stage, with BIN and RESULTS from the
# environment.
case "$MODE" in
  _gtest)
    exec "$BIN/cliprt_tests" --gtest_filter="$2" --gtest_output="json:$RESULTS/gtest_$1.json" ;;
  _bench)
    backend="$1" models="$2" dtypes="$3" towers="$4" batches="$5" seconds="$6" rc=0
    for model in ${models//,/ }; do
      for dtype in ${dtypes//,/ }; do
        file="$RESULTS/bench_${backend}_$(basename "$model")_${dtype}.json"
        echo "== $model $dtype"
        if "$BIN/cliprt" bench --json --model "$model" --weights synthetic --backend "$backend" --dtype "$dtype" \
          --tower "$towers" --batch "$batches" --min-seconds "$seconds" > "$file.tmp"; then
          mv "$file.tmp" "$file"
        else
          rc=1
        fi
        rm -f "$file.tmp"
      done
    done
    exit "$rc" ;;
  _profile)
    file="$RESULTS/profile_$1_$(basename "$2").json"
    "$BIN/cliprt" profile --json --model "$2" --weights synthetic --backend "$1" --tower image --batch 1 \
      --runs "$3" --top 0 > "$file.tmp" && mv "$file.tmp" "$file"
    rc=$?
    rm -f "$file.tmp"
    exit "$rc" ;;
esac

BUILD="$ROOT/build"
DEST="$ROOT/.device"
WHEELS=1
OUT_DIR="${OUT:-}"
DEADLINE=540
DRY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD="$(cd "$2" && pwd)"; shift 2 ;;
    --dest | --bundle) DEST="$2"; shift 2 ;;
    --no-wheels) WHEELS=0; shift ;;
    --out) OUT_DIR="$2"; shift 2 ;;
    --deadline) DEADLINE="$2"; shift 2 ;;
    --dry-run) DRY=1; shift ;;
    *) echo "device_check: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

die() { echo "device_check: $*" >&2; exit 1; }

# The C and C++ runtimes and the dynamic loader: the GPU machine's own are used (newer glibc and
# libstdc++ run this Debian 12 build); everything else a binary needs travels.
is_base_library() {
  case "$1" in
    linux-vdso.so.* | ld-linux-x86-64.so.* | libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | \
      libstdc++.so.* | libgcc_s.so.* | libcublasLt.so.* | libcublas.so.* | libcuda.so.*) return 0 ;;
  esac
  return 1
}

# ---------------------------------------------------------------------------------------------
prepare() {
  local cliprt="$BUILD/cliprt" tests="$BUILD/tests/cliprt_tests" report="$BUILD/bench/cliprt_device_report"
  local module="$BUILD/libcliprt_cuda.so"
  for f in "$cliprt" "$tests" "$report"; do [ -x "$f" ] || die "$f is missing: build first (cmake --build $BUILD -j2)"; done
  local cuda_arch="none"
  if [ -f "$module" ]; then
    # The architectures with machine code in the module: cuobjdump where the toolkit has it, else
    # the cubins' names in the fat binary.
    if command -v cuobjdump > /dev/null; then
      cuda_arch="$(cuobjdump --list-elf "$module" 2> /dev/null | grep -oE 'sm_[0-9]+' | sort -u | tr '\n' ' ')"
    else
      cuda_arch="$(strings -n 5 "$module" | grep -oE 'sm_[0-9]+' | sort -u | tr '\n' ' ')"
    fi
    cuda_arch="${cuda_arch}(CLIPRT_CUDA_ARCHITECTURES $(grep -E '^CLIPRT_CUDA_ARCHITECTURES' "$BUILD/CMakeCache.txt" | cut -d= -f2))"
    case "$cuda_arch" in *sm_90*) ;; *) [ "$DRY" = 1 ] || die "$module has no sm_90 code ($cuda_arch): configure with CLIPRT_CUDA_ARCHITECTURES including 90" ;; esac
  else
    [ "$DRY" = 1 ] || die "$module is missing: the CUDA backend needs the CUDA toolkit at build time"
  fi

  local stage="$DEST/stage"
  rm -rf "$stage" && mkdir -p "$stage/bin" "$stage/lib" "$stage/vulkan/explicit_layer.d" "$stage/wheels" || die "cannot write $DEST"
  for f in "$cliprt" "$tests" "$report"; do strip -o "$stage/bin/$(basename "$f")" "$f" || die "strip $f failed"; done
  [ -f "$module" ] && { strip -o "$stage/bin/libcliprt_cuda.so" "$module" || die "strip $module failed"; }

  # Shared libraries: what ldd resolves for every binary, the Vulkan loader (dlopen()ed) and the
  # validation layer (with its own needs).
  local layer_so=/usr/lib/x86_64-linux-gnu/libVkLayer_khronos_validation.so
  local layer_json=/usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json
  local loader; loader="$(readlink -f /usr/lib/x86_64-linux-gnu/libvulkan.so.1)"
  [ -f "$loader" ] || die "the Vulkan loader libvulkan.so.1 is not installed (Debian package libvulkan1)"
  [ -f "$layer_so" ] && [ -f "$layer_json" ] || die "the validation layer is not installed (vulkan-validationlayers)"
  cp "$loader" "$stage/lib/libvulkan.so.1"
  cp "$layer_so" "$stage/lib/"
  cp "$layer_json" "$stage/vulkan/explicit_layer.d/"
  local bins=("$stage"/bin/* "$layer_so")
  ldd "${bins[@]}" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | sort -u | while read -r name path; do
    is_base_library "$name" || cp -L "$path" "$stage/lib/$name"
  done

  if [ "$WHEELS" = 1 ]; then
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
      -d "$stage/wheels" open_clip_torch==3.3.0 ftfy==6.3.1 wcwidth==0.2.13 || die "pip download of the wheels failed"
  fi

  {
    printf 'source_dir\t%s\n' "$ROOT"
    printf 'commit\t%s\n' "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    printf 'prepared\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf 'cuda_module\t%s\n' "$([ -f "$module" ] && echo "sm: $cuda_arch" || echo "not built")"
    printf 'nvcc\t%s\n' "$( (nvcc --version 2>/dev/null || /usr/local/cuda/bin/nvcc --version 2>/dev/null) | grep -o 'release [0-9.]*' || echo none)"
    printf 'libraries\t%s\n' "$(cd "$stage/lib" && ls | tr '\n' ' ')"
    printf 'wheels\t%s\n' "$(cd "$stage/wheels" && ls | tr '\n' ' ')"
  } > "$stage/manifest.tsv"

  rm -f "$DEST/bundle.tar.xz"
  # xz -6 by default (the smallest bundle); the dry run packs with -1, which is faster.
  tar -C "$stage" -cf - . | xz -T2 "-${XZ_LEVEL:-6}" > "$DEST/bundle.tar.xz" || die "packing the bundle failed"
  rm -rf "$stage"

  # What travels: the tracked and untracked-not-ignored files of the repository, plus the bundle.
  local tree bundle total limit=$((64 << 20))
  tree="$(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')"
  bundle="$(stat -c %s "$DEST/bundle.tar.xz")"
  total=$((tree + bundle))
  echo "device_check: bundle $DEST/bundle.tar.xz $((bundle >> 10)) KiB; repository files $((tree >> 10)) KiB; total $((total >> 10)) KiB of $((limit >> 10)) KiB"
  [ "$total" -le "$limit" ] || die "the repository and the bundle are larger than the 64 MiB that travels"
  echo "device_check: now call the device tool: run(command=\"bash scripts/device_check.sh run\", carry=[\"${DEST#"$ROOT"/}\"], timeout_s=600)"
}

# ---------------------------------------------------------------------------------------------
START=$(date +%s)
remaining() { echo $((DEADLINE - ($(date +%s) - START))); }

# stage NAME LIMIT CMD...: runs CMD with at most LIMIT seconds (less if the deadline is nearer),
# output to results/NAME.log, and records its status.
stage() {
  local name="$1" limit="$2"; shift 2
  local left; left=$(($(remaining) - 20))
  [ "$left" -lt "$limit" ] && limit="$left"
  if [ "$limit" -lt 5 ]; then
    printf '%s\tnot run\t0\tno time left before the deadline\n' "$name" >> "$RESULTS/stages.tsv"
    return 1
  fi
  local t0 rc; t0=$(date +%s)
  timeout --kill-after=5 "$limit" "$@" > "$RESULTS/$name.log" 2>&1
  rc=$?
  local secs=$(($(date +%s) - t0)) status note=""
  case "$rc" in
    0) status=passed ;;
    124 | 137) status="timed out"; note="limit ${limit} s" ;;
    *) status=failed; note="exit $rc: $(grep -v '^\s*$' "$RESULTS/$name.log" | tail -1 | tr '\t' ' ' | cut -c1-160)" ;;
  esac
  printf '%s\t%s\t%s\t%s\n' "$name" "$status" "$secs" "$note" >> "$RESULTS/stages.tsv"
  echo "device_check: $name $status (${secs} s) $note"
  return "$rc"
}
skip() { printf '%s\tskipped\t0\t%s\n' "$1" "$2" >> "$RESULTS/stages.tsv"; echo "device_check: $1 skipped: $2"; }

run() {
  local bundle_file="$DEST/bundle.tar.xz"
  [ -f "$bundle_file" ] || die "$bundle_file is missing: run 'scripts/device_check.sh prepare' first"
  local work; work="$(mktemp -d /tmp/cliprt-device.XXXXXX)"
  [ -n "$OUT_DIR" ] || OUT_DIR="$work/out"
  mkdir -p "$OUT_DIR" "$work/bundle" "$work/results"
  RESULTS="$work/results"
  : > "$RESULTS/stages.tsv"
  local t0; t0=$(date +%s)
  if tar -C "$work/bundle" -xJf "$bundle_file" 2>/dev/null ||
    python3 -c "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" "$bundle_file" "$work/bundle"; then
    printf 'unpack\tpassed\t%s\t%s\n' $(($(date +%s) - t0)) "$(du -sh "$work/bundle" | cut -f1) unpacked" >> "$RESULTS/stages.tsv"
  else
    die "cannot unpack $bundle_file"
  fi
  export BIN="$work/bundle/bin" RESULTS
  local manifest="$work/bundle/manifest.tsv"
  local source_dir; source_dir="$(awk -F'\t' '$1 == "source_dir" {print $2}' "$manifest")"

  # The tests read their data from the source directory they were built in: point it here.
  if [ -n "$source_dir" ] && [ ! -e "$source_dir" ]; then
    mkdir -p "$(dirname "$source_dir")" && ln -s "$ROOT" "$source_dir"
  fi
  export LD_LIBRARY_PATH="$work/bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export VK_LAYER_PATH="$work/bundle/vulkan/explicit_layer.d"
  [ -f "$BIN/libcliprt_cuda.so" ] && export CLIPRT_CUDA_MODULE="$BIN/libcliprt_cuda.so"
  export CLIPRT_VULKAN_PIPELINE_CACHE=off

  {
    printf 'mode\t%s\n' "$([ "$DRY" = 1 ] && echo "dry run (CUDA and PyTorch skipped; Vulkan on a small selection)" || echo "full")"
    printf 'date\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf 'host\t%s, %s cores, %s\n' "$(uname -m)" "$(nproc)" "$(awk '/MemTotal/ {print int($2 / 1048576) " GiB"}' /proc/meminfo)"
    awk -F'\t' '{print "bundle " $1 "\t" $2}' "$manifest"
  } > "$RESULTS/meta.tsv"

  # Carried libraries must be the ones the binaries load.
  stage libraries 30 bash -c '
    out=$(ldd "$1"/cliprt "$1"/cliprt_tests "$1"/cliprt_device_report) || exit 1
    echo "$out"
    if grep -q "not found" <<< "$out"; then exit 1; fi
    for lib in "$2"/lib*.so*; do
      name=$(basename "$lib")
      case "$name" in libVkLayer*|libvulkan*) continue ;; esac
      ldd "$1"/cliprt "$1"/cliprt_tests | grep -F "$name =>" | grep -qvF "$2/$name" && { echo "$name resolves outside the bundle"; exit 1; }
    done
    exit 0' _ "$BIN" "$work/bundle/lib"

  local icd=""
  if [ "$DRY" = 0 ]; then
    stage gpu 20 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
    printf 'gpu\t%s\n' "$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)" >> "$RESULTS/meta.tsv"
    # cuBLASLt comes from the machine's CUDA installation (too large to carry).
    local cublas; cublas="$(timeout 30 find /usr/local /usr/lib /opt -name 'libcublasLt.so.13*' 2>/dev/null | head -1)"
    if [ -n "$cublas" ]; then
      export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$(dirname "$cublas")"
      printf 'cublasLt\t%s\n' "$cublas" >> "$RESULTS/meta.tsv"
    fi
    for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
      /etc/vulkan/icd.d/nvidia_icd.json ""; do
      [ -n "$icd" ] && [ -f "$icd" ] && break
    done
    if [ -n "$icd" ]; then
      export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"
      printf 'vulkan_icd\t%s\n' "$icd" >> "$RESULTS/meta.tsv"
    fi
  fi

  stage info 60 bash -c '"$1"/cliprt info --json > "$2"/info.json' _ "$BIN" "$RESULTS"

  local models="ViT-B-32,ViT-L-14,RN50" batches="1,8,64,256"
  if [ "$DRY" = 1 ]; then
    skip cuda_parity "dry run"
    skip bench_cuda "dry run"
    skip torch "dry run"
    stage vulkan_parity 300 env CLIPRT_REQUIRE_VULKAN=1 "$SELF" _gtest vulkan_contract \
      'VulkanOpsContract*:VulkanOpsErrors*:VulkanBindingPiecesErrors*'
    stage bench_vulkan 300 "$SELF" _bench vulkan "$ROOT/models/default" f32 text,image 1,2 0.05
    stage profile_vulkan 120 "$SELF" _profile vulkan "$ROOT/models/default" 2
  else
    stage cuda_ops 60 "$SELF" _gtest cuda_ops 'Cuda/OpParity*'
    stage cuda_goldens 90 "$SELF" _gtest cuda_goldens 'CudaGoldens*'
    stage cuda_other 30 "$SELF" _gtest cuda_other '*Cuda*:-Cuda/OpParity*:CudaGoldens*'
    stage bench_cuda 120 "$SELF" _bench cuda "$models" f32,f16 image,text "$batches" 0.1
    stage profile_cuda 30 "$SELF" _profile cuda ViT-B-32 10
    if ls "$work/bundle/wheels"/*.whl > /dev/null 2>&1; then
      stage torch 90 bash -c "python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
        --target '$work/site' '$work/bundle/wheels'/*.whl && PYTHONPATH='$work/site' PYTHONUNBUFFERED=1 \
        python3 '$ROOT/tools/torch_gpu_bench.py' --models $models --batches $batches --min-seconds 0.1 --out '$RESULTS/torch.json'"
    else
      skip torch "no wheels in the bundle"
    fi
    if [ -n "$icd" ]; then
      stage vulkan_ops 60 env CLIPRT_REQUIRE_VULKAN=1 "$SELF" _gtest vulkan_ops 'Vulkan/OpParity*'
      stage vulkan_goldens 60 env CLIPRT_REQUIRE_VULKAN=1 "$SELF" _gtest vulkan_goldens 'VulkanGoldens*'
      stage vulkan_other 30 env CLIPRT_REQUIRE_VULKAN=1 "$SELF" _gtest vulkan_other \
        '*Vulkan*:-Vulkan/OpParity*:VulkanGoldens*'
      stage bench_vulkan 100 "$SELF" _bench vulkan "$models" f32,f16 image,text "$batches" 0.1
      stage profile_vulkan 30 "$SELF" _profile vulkan ViT-B-32 10
    else
      skip vulkan_parity "no NVIDIA Vulkan driver manifest (nvidia_icd.json) found"
      skip bench_vulkan "no NVIDIA Vulkan driver manifest found"
      skip profile_vulkan "no NVIDIA Vulkan driver manifest found"
    fi
  fi

  "$BIN/cliprt_device_report" "$RESULTS" > "$RESULTS/report.log" 2>&1 || echo "device_check: the report writer failed" >&2
  cp "$RESULTS/report.md" "$RESULTS/report.json" "$OUT_DIR"/ 2>/dev/null
  tar -C "$work" -czf "$OUT_DIR/results.tar.gz" results
  cat "$RESULTS/report.md" 2>/dev/null
  echo "device_check: report in $OUT_DIR ($(($(date +%s) - START)) s)"
}

# ---------------------------------------------------------------------------------------------
dry_run() {
  local tmp; tmp="$(mktemp -d /tmp/cliprt-device-dry.XXXXXX)"
  trap 'rm -rf "$tmp"' EXIT
  DEST="$tmp/device" WHEELS=0 DRY=1 XZ_LEVEL=1
  prepare || exit 1
  OUT_DIR="$tmp/out"
  run || exit 1
  local r="$OUT_DIR/report.json" fail=0
  check() { if ! jq -e "$1" "$r" >/dev/null; then echo "device_check dry run: FAILED: $2" >&2; fail=1; else echo "ok: $2"; fi; }
  [ -f "$OUT_DIR/report.md" ] || { echo "device_check dry run: no report.md" >&2; exit 1; }
  check '.stages | map(select(.stage == "libraries" and .status == "passed")) | length == 1' "the carried libraries are the ones loaded"
  check '.stages | map(select(.stage == "cuda_parity" and .status == "skipped")) | length == 1' "the CUDA stage is skipped"
  check '.stages | map(select(.stage == "vulkan_parity" and .status == "passed")) | length == 1' "the Vulkan parity stage passed"
  check '.parity | map(select(.suite == "vulkan_contract" and .tests > 0 and .failed == 0)) | length == 1' "the Vulkan contract suite is in the report"
  check '[.bench[] | select(.["cliprt vulkan"].items_per_second > 0)] | length == 4' "four Vulkan bench rows"
  check '.info.backends | length > 0' "cliprt info is in the report"
  check '.profiles | map(select(.backend == "vulkan" and (.ops | length) > 0)) | length == 1' "a Vulkan profile is in the report"
  local files; files="$(find "$OUT_DIR" -type f | wc -l)"
  [ "$files" -le 8 ] && echo "ok: $files files in OUT (at most 8 come back)" || { echo "device_check dry run: $files files in OUT, more than 8" >&2; fail=1; }
  exit "$fail"
}

case "$MODE" in
  prepare) prepare ;;
  run) run ;;
  dry-run) dry_run ;;
  *) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
