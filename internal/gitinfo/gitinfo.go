// Package gitinfo reads the branch and commit of the working directory's git
// repository, for runs outside GitHub Actions.
package gitinfo

import (
	"context"
	"os/exec"
	"strings"
	"time"
)

// Defaults fills branch and commit from the git repository of the
// working directory when the flags and the environment (GITHUB_REF_NAME,
// GITHUB_SHA) left them empty, and says where they came from ("" when
// nothing was taken from git). Outside a repository, or without git, they
// stay empty.
func Defaults(ctx context.Context, branch, commit *string) string {
	if *branch != "" && *commit != "" {
		return ""
	}
	git := func(args ...string) string {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "git", args...).Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(out))
	}
	var took []string
	if *branch == "" {
		if b := git("rev-parse", "--abbrev-ref", "HEAD"); b != "" && b != "HEAD" {
			*branch = b
			took = append(took, "branch "+b)
		}
	}
	if *commit == "" {
		if c := git("rev-parse", "HEAD"); c != "" {
			*commit = c
			took = append(took, "commit "+c[:min(12, len(c))])
		}
	}
	if len(took) == 0 {
		return ""
	}
	return strings.Join(took, " and ") + " from the git repository of the working directory (--branch and --commit override)"
}
