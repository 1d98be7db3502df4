package gitinfo

import (
	"context"
	"os/exec"
	"strings"
	"testing"
)

func TestDefaultsFromTheRepository(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	for _, args := range [][]string{
		{"init", "-q", "-b", "feature-x"},
		{"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "one"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	t.Chdir(dir)
	var branch, commit string
	from := Defaults(context.Background(), &branch, &commit)
	if branch != "feature-x" || len(commit) != 40 || !strings.Contains(from, "branch feature-x and commit "+commit[:12]+" from the git repository") {
		t.Errorf("branch %q commit %q: %s", branch, commit, from)
	}
	// Flags and the environment win.
	branch, commit = "main", "abc"
	if from := Defaults(context.Background(), &branch, &commit); from != "" || branch != "main" {
		t.Errorf("overrode the flags: %s %s", branch, from)
	}
	// Outside a repository nothing is guessed.
	t.Chdir(t.TempDir())
	branch, commit = "", ""
	if from := Defaults(context.Background(), &branch, &commit); from != "" || branch != "" {
		t.Errorf("outside a repository: %q %q", branch, from)
	}
}
