package baseline

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-github/v62/github"

	"github.com/perfgate/perfgate/internal/ghclient"
)

// OpenOptions are what Open needs besides the store spec.
type OpenOptions struct {
	// Getenv reads GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_API_URL when a
	// branch store is opened without a Client; nil reads an empty
	// environment. Open never reads os.Getenv itself.
	Getenv func(string) string
	// Client, Owner and Repo name the repository of a branch store. With
	// Client nil they come from the environment, and the client retries
	// rate limits and server errors (ghclient.New).
	Client      *github.Client
	Owner, Repo string
	// Keep is how many unpinned records per (policy, scenario, kind,
	// branch) the store keeps: 0 means DefaultKeep, a negative Keep keeps
	// every record, calibration groups keep at least CalibrationRecords, and
	// pinned records are never pruned. A Keep below the policy's
	// regression.history leaves history mode fewer runs than it asks for.
	Keep int
}

// urlScheme matches the scheme of a URL (RFC 3986).
var urlScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)

// Open opens the store that spec names:
//
//	DIR or dir:PATH  a directory (DirStore), created if missing
//	branch:NAME      the branch NAME of a GitHub repository (BranchStore);
//	                 "branch:" alone is DefaultBranch
//
// A spec with another prefix before a colon is a directory path as a whole,
// except one that looks like a URL ("s3://bucket/x", "gs://…"): no store
// speaks those, and taking it for a directory would quietly create
// ./s3:/bucket/x, so it is an error that lists the supported forms.
// Errors say what is missing; they never contain the token.
func Open(spec string, o OpenOptions) (Store, error) {
	if scheme, _, ok := strings.Cut(spec, "://"); ok && urlScheme.MatchString(scheme) {
		return nil, fmt.Errorf("baseline: store %q: %s:// is not a store perfgate knows; use a directory (DIR or dir:PATH) or branch:NAME", spec, scheme)
	}
	kind, arg, ok := strings.Cut(spec, ":")
	if !ok || (kind != "dir" && kind != "branch") {
		kind, arg = "dir", spec
	}
	if kind == "dir" {
		if arg == "" {
			return nil, errors.New("baseline: store: empty directory")
		}
		return NewDirStore(arg, o.Keep)
	}
	client, owner, repo := o.Client, o.Owner, o.Repo
	if client == nil {
		var err error
		client, owner, repo, err = clientFromEnv(o.Getenv)
		if err != nil {
			return nil, fmt.Errorf("baseline: store %q: %w", spec, err)
		}
	}
	return NewBranchStore(client, owner, repo, arg, WithKeep(o.Keep))
}

// clientFromEnv builds a REST client from the GitHub Actions environment.
func clientFromEnv(getenv func(string) string) (*github.Client, string, string, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	token := getenv("GITHUB_TOKEN")
	full := getenv("GITHUB_REPOSITORY")
	owner, repo, ok := strings.Cut(full, "/")
	var missing []string
	if token == "" {
		missing = append(missing, "GITHUB_TOKEN")
	}
	if full == "" {
		missing = append(missing, "GITHUB_REPOSITORY (owner/repo)")
	}
	if len(missing) > 0 {
		return nil, "", "", fmt.Errorf("a branch store needs %s in the environment", strings.Join(missing, " and "))
	}
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, "", "", fmt.Errorf("GITHUB_REPOSITORY %q is not owner/repo", full)
	}
	client, err := ghclient.New(getenv("GITHUB_API_URL"), token, nil)
	if err != nil {
		return nil, "", "", err
	}
	return client, owner, repo, nil
}
