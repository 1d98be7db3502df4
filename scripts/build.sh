#!/bin/sh
# scripts/build.sh builds the perfgate binary the one way the project builds
# it (the Dockerfile runs this script, and a test checks that it does):
# static, reproducible paths, stripped, version stamped.
#
# Usage: scripts/build.sh OUTPUT [VERSION]
set -eu
out=${1:?usage: scripts/build.sh OUTPUT [VERSION]}
version=${2:-${PERFGATE_VERSION:-dev}}
cd "$(dirname "$0")/.."
CGO_ENABLED=0 exec go build -trimpath -ldflags "-s -w -X main.version=${version}" -o "$out" ./cmd/perfgate
