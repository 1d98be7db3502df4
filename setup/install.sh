#!/usr/bin/env bash
# setup/install.sh installs a released perfgate binary: the setup action's
# one step (setup/action.yml), runnable in any CI with the same variables.
#
#   PERFGATE_VERSION       vX.Y.Z or latest (default latest)
#   PERFGATE_DOWNLOAD_URL  base of the releases (default GitHub's); the files
#                          are DOWNLOAD_URL/download/VERSION/ASSET, and
#                          DOWNLOAD_URL/latest redirects to .../tag/VERSION
#   RUNNER_OS, RUNNER_ARCH GitHub's names (Linux, macOS, Windows; X64, ARM64);
#                          without them uname decides
#   PERFGATE_BIN_DIR       where to install the binary (default
#                          RUNNER_TEMP/perfgate-VERSION, else a temporary
#                          directory): outside GitHub, a directory to add to PATH
#   RUNNER_TEMP            GitHub's temporary directory
#   GITHUB_PATH, GITHUB_OUTPUT  if set, the directory goes on PATH and the
#                          outputs version= and path= are written
#
# It downloads perfgate-VERSION-OS-ARCH[.exe] and SHA256SUMS, refuses a
# binary whose checksum is not the one listed, and checks that the binary
# runs and says it is VERSION. Exit 1 on any failure, with a message.
set -euo pipefail

die() { echo "perfgate setup: $*" >&2; exit 1; }

base=${PERFGATE_DOWNLOAD_URL:-https://github.com/perfgate/perfgate/releases}
base=${base%/}
version=${PERFGATE_VERSION:-latest}
curl_() { curl -fsSL --retry 3 --connect-timeout 10 --max-time 300 "$@"; }

if [ "$version" = latest ]; then
  loc=$(curl -fsS --retry 3 --connect-timeout 10 -o /dev/null -w '%{redirect_url}' "$base/latest") ||
    die "cannot ask $base/latest for the latest release"
  version=${loc##*/}
  [ -n "$version" ] || die "$base/latest did not redirect to a release"
fi
if ! [[ $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]]; then
  die "version '$version': want vMAJOR.MINOR.PATCH or latest"
fi

os=${RUNNER_OS:-$(uname -s)}
case $os in
Linux) os=linux ;;
macOS | Darwin) os=darwin ;;
Windows | MINGW* | MSYS* | CYGWIN*) os=windows ;;
*) die "no perfgate release for the operating system '$os' (Linux, macOS, Windows)" ;;
esac
arch=${RUNNER_ARCH:-$(uname -m)}
case $arch in
X64 | x86_64 | amd64) arch=amd64 ;;
ARM64 | aarch64 | arm64) arch=arm64 ;;
*) die "no perfgate release for the architecture '$arch' (X64, ARM64)" ;;
esac
ext=""
[ "$os" = windows ] && ext=.exe
asset=perfgate-$version-$os-$arch$ext

dir=${PERFGATE_BIN_DIR:-${RUNNER_TEMP:-$(mktemp -d)}/perfgate-$version}
mkdir -p "$dir"
curl_ -o "$dir/SHA256SUMS" "$base/download/$version/SHA256SUMS" ||
  die "cannot download SHA256SUMS of $version from $base/download/$version/"
curl_ -o "$dir/$asset" "$base/download/$version/$asset" ||
  die "cannot download $asset from $base/download/$version/"

want=$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1 }' "$dir/SHA256SUMS")
[ -n "$want" ] || die "SHA256SUMS of $version does not list $asset"
if command -v sha256sum > /dev/null; then
  got=$(sha256sum "$dir/$asset" | awk '{print $1}')
else
  got=$(shasum -a 256 "$dir/$asset" | awk '{print $1}')
fi
if [ "$got" != "$want" ]; then
  rm -f "$dir/$asset"
  die "$asset: checksum $got, but SHA256SUMS says $want: not installed"
fi

bin=$dir/perfgate$ext
mv "$dir/$asset" "$bin"
chmod +x "$bin"
out=$("$bin" version) || die "$bin does not run: $out"
case $out in
"perfgate $version "*) ;;
*) die "$bin says '$out', not perfgate $version" ;;
esac

if [ -n "${GITHUB_PATH:-}" ]; then echo "$dir" >> "$GITHUB_PATH"; fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  { echo "version=$version"; echo "path=$bin"; } >> "$GITHUB_OUTPUT"
fi
echo "perfgate setup: installed $out at $bin"
