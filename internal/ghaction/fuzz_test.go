package ghaction

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// FuzzParseEvent: no payload panics; an error names the event; a parsed
// pull-request event has a positive number and its merge ref; no parsed
// name, ref or SHA carries a control character (they end up in step
// outputs, log lines and API paths).
func FuzzParseEvent(f *testing.F) {
	names := []string{EventPullRequest, EventPullRequestTarget, EventPush, EventWorkflowDispatch, EventRelease, EventWorkflowRun}
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "events", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		for i := range names {
			f.Add(uint8(i), b)
		}
	}
	f.Add(uint8(0), []byte(`{"pull_request":{"number":0,"head":{"ref":"x"}}}`))
	f.Add(uint8(0), []byte(`{"number":5,"pull_request":{"head":{"repo":null},"base":{"repo":null}}}`))
	f.Add(uint8(2), []byte(`{"ref":"refs/heads/a\nb","after":"1"}`))
	f.Add(uint8(5), []byte(`{"workflow_run":{"pull_requests":[{}]}}`))
	f.Add(uint8(4), []byte(`{"release":null}`))
	f.Add(uint8(6), []byte(`null`))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		name := "unknown_event"
		if int(which) < len(names) {
			name = names[which]
		}
		e, err := ParseEvent(name, data)
		if err != nil {
			if e != nil {
				t.Fatalf("event and error: %+v, %v", e, err)
			}
			if !strings.Contains(err.Error(), name) {
				t.Fatalf("error does not name the event %s: %v", name, err)
			}
			return
		}
		if e == nil || e.Name != name {
			t.Fatalf("event %+v", e)
		}
		// An empty payload is allowed (ReadEvent fills in from the environment).
		if (name == EventPullRequest || name == EventPullRequestTarget) && strings.TrimSpace(string(data)) != "" {
			if e.PR <= 0 || !e.IsPullRequest() || e.Ref != "refs/pull/"+strconv.Itoa(e.PR)+"/merge" {
				t.Fatalf("pull request event with number %d, ref %q", e.PR, e.Ref)
			}
		}
		v := reflect.ValueOf(*e)
		for i := 0; i < v.NumField(); i++ {
			if s, ok := v.Field(i).Interface().(string); ok && strings.IndexFunc(s, unicode.IsControl) >= 0 {
				t.Fatalf("%s = %q has a control character", v.Type().Field(i).Name, s)
			}
		}
	})
}
