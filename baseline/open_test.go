package baseline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/fakegithub"
)

func TestOpenDir(t *testing.T) {
	tmp := t.TempDir()
	for spec, dir := range map[string]string{
		filepath.Join(tmp, "a"):          filepath.Join(tmp, "a"),
		"dir:" + filepath.Join(tmp, "b"): filepath.Join(tmp, "b"),
		filepath.Join(tmp, "c:d"):        filepath.Join(tmp, "c:d"), // not a known prefix: a path
	} {
		st, err := Open(spec, OpenOptions{})
		if err != nil {
			t.Fatalf("Open(%q): %v", spec, err)
		}
		if ds, ok := st.(*DirStore); !ok || ds.Dir() != dir {
			t.Errorf("Open(%q) = %T %v, want a directory store in %s", spec, st, st, dir)
		}
	}
	for _, spec := range []string{"", "dir:"} {
		if _, err := Open(spec, OpenOptions{}); err == nil || !strings.Contains(err.Error(), "empty directory") {
			t.Errorf("Open(%q): %v, want an empty-directory error", spec, err)
		}
	}
	// Keep reaches the store.
	st, err := Open(filepath.Join(tmp, "keep"), OpenOptions{Keep: 2})
	if err != nil {
		t.Fatal(err)
	}
	keys := saveAll(t, st, KindRun, 0, 1, 2)
	if got := list(t, st, Query{}); len(got) != 2 || got[0] != keys[2] {
		t.Errorf("Keep 2: %v", got)
	}
}

// env returns a Getenv over m.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestOpenBranchEnvErrors(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{nil, "needs GITHUB_TOKEN and GITHUB_REPOSITORY (owner/repo) in the environment"},
		{map[string]string{"GITHUB_TOKEN": testToken}, "needs GITHUB_REPOSITORY (owner/repo)"},
		{map[string]string{"GITHUB_REPOSITORY": "o/r"}, "needs GITHUB_TOKEN in"},
		{map[string]string{"GITHUB_TOKEN": testToken, "GITHUB_REPOSITORY": "just-a-name"}, `GITHUB_REPOSITORY "just-a-name" is not owner/repo`},
		{map[string]string{"GITHUB_TOKEN": testToken, "GITHUB_REPOSITORY": "o/r", "GITHUB_API_URL": "ftp://u:" + testToken + "@x"}, "GITHUB_API_URL"},
	} {
		_, err := Open("branch:b", OpenOptions{Getenv: env(c.env)})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `"branch:b"`) {
			t.Errorf("env %v: %v, want an error saying %q", c.env, err, c.want)
		} else if strings.Contains(err.Error(), testToken) {
			t.Errorf("the error shows the token: %v", err)
		}
	}
	// A nil Getenv is an empty environment, not the process's.
	t.Setenv("GITHUB_TOKEN", testToken)
	t.Setenv("GITHUB_REPOSITORY", "o/r")
	if _, err := Open("branch:", OpenOptions{}); err == nil {
		t.Error("Open read the process environment")
	}
}

func TestOpenBranchFromEnv(t *testing.T) {
	fake := newFake(t)
	getenv := env(map[string]string{"GITHUB_TOKEN": testToken, "GITHUB_REPOSITORY": "o/r", "GITHUB_API_URL": strings.TrimSuffix(fake.URL, "/")})
	for spec, branch := range map[string]string{"branch:": DefaultBranch, "branch:perf/data": "perf/data"} {
		st, err := Open(spec, OpenOptions{Getenv: getenv, Keep: 1})
		if err != nil {
			t.Fatalf("Open(%q): %v", spec, err)
		}
		bs, ok := st.(*BranchStore)
		if !ok || bs.Branch() != branch {
			t.Fatalf("Open(%q) = %T, want a branch store of %s", spec, st, branch)
		}
		// The client built from the environment retries a rate limit.
		fake.SecondaryRateLimitNext(fakegithub.OpPutContents, 0, 1)
		keys := saveAll(t, st, KindRun, 0, 1)
		if got := list(t, st, Query{}); len(got) != 1 || got[0] != keys[1] {
			t.Errorf("%s: Keep 1 kept %v", spec, got)
		}
		if _, ok := fake.File("o", "r", branch, keys[1]); !ok {
			t.Errorf("%s: the record is not on branch %s", spec, branch)
		}
	}
	if got := fake.Statuses(fakegithub.OpPutContents)[403]; got != 2 {
		t.Errorf("%d rate-limited PUTs, want 2 (then retried)", got)
	}
}

func TestOpenBranchWithClient(t *testing.T) {
	fake := newFake(t)
	client, _ := fakeClient(t, fake)
	getenv := func(k string) string {
		t.Errorf("Open read %s although a client was given", k)
		return ""
	}
	st, err := Open("branch:x", OpenOptions{Getenv: getenv, Client: client, Owner: "o", Repo: "r"})
	if err != nil {
		t.Fatal(err)
	}
	saveAll(t, st, KindRun, 0)
	if got := fake.Paths("o", "r", "x"); len(got) != 2 {
		t.Errorf("branch x holds %v", got)
	}
	if _, err := Open("branch:x", OpenOptions{Client: client}); err == nil || !strings.Contains(err.Error(), "invalid repository") {
		t.Errorf("a client without owner and repo: %v", err)
	}
}

// TestOpenRefusesURLs: "s3://bucket/x" once created ./s3:/bucket/x.
func TestOpenRefusesURLs(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, spec := range []string{"s3://bucket/x", "gs://b/p", "https://example.com/store"} {
		_, err := Open(spec, OpenOptions{})
		if err == nil || !strings.Contains(err.Error(), "dir:PATH") || !strings.Contains(err.Error(), "branch:NAME") {
			t.Errorf("Open(%q): %v, want an error listing the supported stores", spec, err)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("a refused store left %v", ents)
	}
}
