#!/usr/bin/env bash
# The main job: index the shipped sample images with the bundled default model, run a few
# searches (text, weighted, negative, by example image) and a zero-shot classification, and
# check the open_clip parity of every backend this machine has.
#   scripts/demo.sh [BUILD_DIR]      (default: build)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
cliprt="$build/cliprt"
db="$build/samples.db"
cd "$root"  # models/default and samples/ are found relative to the repository

step() { printf '\n== %s\n' "$*"; }

step "cliprt info"
"$cliprt" info

step "index samples/ with the default model (models/default) into $db"
"$cliprt" index samples --db "$db"

step 'search "a green triangle"'
"$cliprt" search "a green triangle" -k 5 --db "$db"

step 'search "2:a red shape" "a circle" (weighted: red first, circles among them first)'
"$cliprt" search "2:a red shape" "a circle" -k 8 --db "$db"

step 'search "a blue shape" --not "a square"'
"$cliprt" search "a blue shape" --not "a square" -k 5 --db "$db"

samples=(samples/*.png)  # no `ls | head`: with pipefail, ls dies of SIGPIPE when head exits first
example="${samples[0]}"
step "search by example image $example"
"$cliprt" search --image "$example" -k 5 --db "$db"

step "classify $example by shape and by colour (zero-shot; accuracies in models/default/MODEL_CARD.md)"
"$cliprt" classify --model models/default --image "$example" --templates none \
  --labels "a photo of a circle,a photo of a square,a photo of a triangle,a photo of a star,a photo of a hexagon,a photo of a heart,a photo of a cross"
"$cliprt" classify --model models/default --image "$example" --templates none \
  --labels "a photo of a red shape,a photo of a green shape,a photo of a blue shape,a photo of a black shape"

step "open_clip parity on the CPU backend (every golden case)"
"$cliprt" parity --goldens tests/goldens --backend cpu
