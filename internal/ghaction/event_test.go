package ghaction

import (
	"path/filepath"
	"testing"
)

func fixture(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join("..", "..", "testdata", "events", name)
}

func TestReadEventFixtures(t *testing.T) {
	cases := []struct {
		file, event string
		want        Event
		pushDefault bool
		compare     string
	}{
		{"pull_request_same_repo.json", EventPullRequest, Event{
			Name: EventPullRequest, Owner: "acme", Repo: "chat", DefaultBranch: "main", PR: 42,
			BaseBranch: "main", BaseSHA: "3d4e5f60718293a4b5c6d7e8f9001122334455aa",
			HeadBranch: "batch-prefill", HeadSHA: "9f2c1e0b7d3a4c5e6f708192a3b4c5d6e7f80912", HeadRepo: "acme/chat",
			Ref: "refs/pull/42/merge", Branch: "batch-prefill", SHA: "9f2c1e0b7d3a4c5e6f708192a3b4c5d6e7f80912",
		}, false, "main"},
		{"pull_request_fork.json", EventPullRequestTarget, Event{
			Name: EventPullRequestTarget, Owner: "acme", Repo: "chat", DefaultBranch: "main", PR: 57,
			BaseBranch: "main", BaseSHA: "3d4e5f60718293a4b5c6d7e8f9001122334455aa",
			HeadBranch: "main", HeadSHA: "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12", HeadRepo: "outsider/chat", Fork: true,
			Ref: "refs/pull/57/merge", Branch: "main", SHA: "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12",
		}, false, "main"},
		{"push_main.json", EventPush, Event{
			Name: EventPush, Owner: "acme", Repo: "chat", DefaultBranch: "main",
			Ref: "refs/heads/main", Branch: "main", SHA: "5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081",
		}, true, "main"},
		{"workflow_dispatch.json", EventWorkflowDispatch, Event{
			Name: EventWorkflowDispatch, Owner: "acme", Repo: "chat", DefaultBranch: "main",
			Ref: "refs/heads/release-2.4", Branch: "release-2.4", SHA: "from-env",
		}, false, "release-2.4"},
		{"release.json", EventRelease, Event{
			Name: EventRelease, Owner: "acme", Repo: "chat", DefaultBranch: "main",
			Ref: "refs/tags/v2.4.0", Tag: "v2.4.0", SHA: "from-env",
		}, false, ""},
		{"workflow_run_fork.json", EventWorkflowRun, Event{
			Name: EventWorkflowRun, Owner: "acme", Repo: "chat", DefaultBranch: "main",
			HeadRepo: "outsider/chat", Fork: true,
			Ref: "refs/heads/main", Branch: "main", SHA: "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12",
		}, false, "main"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			env := map[string]string{
				"GITHUB_EVENT_NAME": c.event, "GITHUB_EVENT_PATH": fixture(t, c.file),
				"GITHUB_REPOSITORY": "other/ignored", "GITHUB_SHA": "from-env", "GITHUB_REF": "refs/heads/main",
			}
			got, err := ReadEvent(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if *got != c.want {
				t.Errorf("got  %+v\nwant %+v", *got, c.want)
			}
			if got.IsPushToDefault() != c.pushDefault {
				t.Errorf("IsPushToDefault = %v", got.IsPushToDefault())
			}
			if got.CompareBranch() != c.compare {
				t.Errorf("CompareBranch = %q, want %q", got.CompareBranch(), c.compare)
			}
		})
	}
}

func TestReadEventWithoutPayload(t *testing.T) {
	env := map[string]string{"GITHUB_EVENT_NAME": "schedule", "GITHUB_REPOSITORY": "acme/chat", "GITHUB_SHA": "abc", "GITHUB_REF": "refs/heads/main"}
	e, err := ReadEvent(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if e.Owner != "acme" || e.Repo != "chat" || e.Branch != "main" || e.SHA != "abc" || e.IsPullRequest() {
		t.Errorf("%+v", *e)
	}
}

func TestParseEventErrors(t *testing.T) {
	if _, err := ParseEvent(EventPullRequest, []byte(`{"repository":{"full_name":"a/b"}}`)); err == nil {
		t.Error("pull_request without pull_request: no error")
	}
	if _, err := ParseEvent(EventPush, []byte(`[1,2]`)); err == nil {
		t.Error("payload that is not an object: no error")
	}
	dir := t.TempDir()
	if _, err := ReadEvent(func(k string) string {
		if k == "GITHUB_EVENT_PATH" {
			return filepath.Join(dir, "missing.json")
		}
		return ""
	}); err == nil {
		t.Error("missing payload file: no error")
	}
	// A deleted fork: the head repository is null.
	e, err := ParseEvent(EventPullRequest, []byte(`{"pull_request":{"number":3,"head":{"ref":"x","sha":"1","repo":null},"base":{"ref":"main","sha":"2","repo":{"full_name":"a/b"}}}}`))
	if err != nil || !e.Fork || e.PR != 3 {
		t.Errorf("deleted fork: %+v, %v", e, err)
	}
}
