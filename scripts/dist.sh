#!/bin/sh
# scripts/dist.sh builds the release binaries with scripts/build.sh, one per
# platform, named perfgate-VERSION-OS-ARCH[.exe], and their SHA256SUMS: what
# .github/workflows/release.yml publishes and setup/install.sh downloads.
#
# Usage: scripts/dist.sh VERSION DIR
# PERFGATE_PLATFORMS (space-separated OS/ARCH) builds only some of them.
set -eu
version=${1:?usage: scripts/dist.sh VERSION DIR}
dir=${2:?usage: scripts/dist.sh VERSION DIR}
platforms=${PERFGATE_PLATFORMS:-"linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64"}
build=$(cd "$(dirname "$0")" && pwd)/build.sh
mkdir -p "$dir"
for target in $platforms; do
  os=${target%/*}; arch=${target#*/}
  ext=""; [ "$os" = windows ] && ext=.exe
  GOOS=$os GOARCH=$arch sh "$build" "$(cd "$dir" && pwd)/perfgate-$version-$os-$arch$ext" "$version"
done
cd "$dir"
# Every binary of this version, sorted: the file sha256sum --check reads.
sha256sum perfgate-"$version"-* > SHA256SUMS
