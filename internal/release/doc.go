// Package release holds the checks of how perfgate is released and used
// in CI, none of which is Go code of the binary: the release workflow and
// its action rewrite (scripts/release-action.sh), the build of every
// platform's binary (scripts/dist.sh), the setup action's install script
// (setup/install.sh) against a fake release served on 127.0.0.1, and
// actionlint on every workflow of the repository and every workflow
// snippet of README.md and docs/*.md, so the documentation cannot rot.
//
// Its tests run offline; what needs GitHub (pushing the image, signing,
// moving tags) is in .github/workflows/release.yml and is not run here.
package release
