#!/bin/sh
# scripts/release-action.sh makes a checkout into the release of VERSION:
# action.yml runs the prebuilt image ghcr.io/perfgate/perfgate:VERSION
# instead of building the Dockerfile, and the setup action (setup/action.yml)
# installs VERSION by default instead of the latest release. On main both
# files keep their development form (the self-test workflow builds this
# commit's image with "uses: ./"); the release workflow runs this script,
# commits the result on top of the tagged commit and points the tags at it.
#
# Usage: scripts/release-action.sh VERSION [ROOT]
set -eu
version=${1:?usage: scripts/release-action.sh VERSION [ROOT]}
root=${2:-$(dirname "$0")/..}
case $version in
v[0-9]*.[0-9]*.[0-9]*) ;;
*) echo "release-action.sh: version $version: want vMAJOR.MINOR.PATCH (a tag such as v1.2.3)" >&2; exit 2 ;;
esac
if printf '%s' "$version" | grep -Eqv '^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$'; then
  echo "release-action.sh: version $version: want vMAJOR.MINOR.PATCH[-PRERELEASE]" >&2; exit 2
fi

# rewrite FILE FROM TO: replace the one line FROM by TO, or fail if FROM is
# not there exactly once (a changed file must not be released half-rewritten).
rewrite() {
  n=$(grep -cxF -- "$2" "$1" || true)
  if [ "$n" != 1 ]; then
    echo "release-action.sh: $1: want exactly one line '$2', found $n" >&2; exit 1
  fi
  awk -v from="$2" -v to="$3" '$0 == from { print to; next } { print }' "$1" > "$1.tmp"
  mv "$1.tmp" "$1"
}
rewrite "$root/action.yml" "  image: Dockerfile" "  image: docker://ghcr.io/perfgate/perfgate:$version"
rewrite "$root/setup/action.yml" "    default: latest" "    default: $version"
