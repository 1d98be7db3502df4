#!/bin/sh
# scripts/html-check.sh opens a report.html in headless Chromium (Debian's
# chromium package), fails if the page logs anything to the console (a
# script error, a resource blocked by the page's Content-Security-Policy, a
# failed load), and saves a full-page screenshot to look at.
#
# Usage: scripts/html-check.sh REPORT.html SCREENSHOT.png
#
# Not part of .ci/run: Chromium is a large install and slow to start on CI's
# 2 cores. gate/report's tests check the page's structure without a browser
# (TestHTMLGolden, TestHTMLSelfContained).
set -eu
page=${1:?usage: scripts/html-check.sh REPORT.html SCREENSHOT.png}
shot=${2:?usage: scripts/html-check.sh REPORT.html SCREENSHOT.png}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "html-check: no chromium (apt-get install chromium)" >&2; exit 2; }
case $page in /*) ;; *) page=$(pwd)/$page ;; esac
case $shot in /*) ;; *) shot=$(pwd)/$shot ;; esac
[ -f "$page" ] || { echo "html-check: no file $page" >&2; exit 2; }
profile=$(mktemp -d)
log=$profile/console.log
trap 'rm -rf "$profile"' EXIT
# --enable-logging=stderr --v=0 prints every console message of the page as
# a line with CONSOLE; the page's own CSP turns any attempt to load a
# resource into such a message. No network is needed or used.
timeout 60 "$browser" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$profile" \
  --enable-logging=stderr --v=0 --hide-scrollbars --window-size=1200,900 \
  --screenshot="$shot" "file://$page" > "$log" 2>&1 || {
  echo "html-check: chromium failed:" >&2; tail -n 20 "$log" >&2; exit 1; }
# A full-page screenshot: render again at the page's height.
# (Headless Chromium has no full-page flag: the height is estimated from
# the page's charts and table rows, generously.)
svgs=$(grep -o '<svg' "$page" | wc -l)
rows=$(grep -o '<tr' "$page" | wc -l)
height=$(( svgs * 300 + rows * 45 + 900 ))
[ "$height" -lt 16000 ] || height=16000
timeout 60 "$browser" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$profile" \
  --enable-logging=stderr --v=0 --hide-scrollbars --window-size=1200,$height \
  --screenshot="$shot" "file://$page" >> "$log" 2>&1 || {
  echo "html-check: chromium failed:" >&2; tail -n 20 "$log" >&2; exit 1; }
if grep -E 'CONSOLE|Refused to|Uncaught' "$log" >&2; then
  echo "html-check: $page logged the console messages above" >&2
  exit 1
fi
[ -s "$shot" ] || { echo "html-check: no screenshot" >&2; exit 1; }
echo "html-check: $page: no console messages; screenshot $shot"
