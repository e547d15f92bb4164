#!/usr/bin/env bash
# Lays out every Red5 SDK build the matrix test knows (docs/drivers-red5pro.md) as npm would install it,
# one package folder per version, from a local clone of Red5's public repository red5pro/red5pro-webrtc-sdk:
#
#   bash scripts/red5pro-sdk-builds.sh /path/to/red5pro-webrtc-sdk.git /tmp/red5pro-sdk-builds
#   RED5PRO_SDK_BUILDS=/tmp/red5pro-sdk-builds npm run test:e2e -- red5pro-matrix
#
# Red5's licence forbids redistributing the SDK: the folder stays outside this repository and nothing
# here ever commits it. Each build is read with `git show COMMIT:FILE`; nothing is built or run.
set -euo pipefail
repo=${1:?usage: red5pro-sdk-builds.sh <git dir of red5pro-webrtc-sdk> <destination folder>}
dest=${2:?usage: red5pro-sdk-builds.sh <git dir of red5pro-webrtc-sdk> <destination folder>}
# version  commit  commit-of-package.json (15.2.0's own commit still says 15.0.0; 1d9d637 bumps it)
builds=(
  "11.0.0 a604107 a604107"
  "12.5.0 15c9009 15c9009"
  "13.0.0 54b555c 54b555c"
  "14.3.0 33d6144 33d6144"
  "15.0.0 b1913de b1913de"
  "15.2.0 7b50441 1d9d637"
)
for line in "${builds[@]}"; do
  read -r version commit manifest <<<"$line"
  out="$dest/$version/node_modules/red5pro-webrtc-sdk"
  mkdir -p "$out"
  git --git-dir="$repo" show "$manifest:package.json" >"$out/package.json"
  for file in red5pro-sdk.min.js red5pro-sdk.esm.min.js index.d.ts LICENSE; do
    if git --git-dir="$repo" cat-file -e "$commit:$file" 2>/dev/null; then
      git --git-dir="$repo" show "$commit:$file" >"$out/$file"
    fi
  done
  echo "$version <- $commit: $(ls "$out" | tr '\n' ' ')"
done
