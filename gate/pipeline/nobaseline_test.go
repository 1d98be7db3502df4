package pipeline

import (
	"strings"
	"testing"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/policies"
)

// "No baseline yet" names the branch and the store it searched.
func TestNoBaselineNamesBranchAndStore(t *testing.T) {
	p := &policies.Policy{Name: "chat"}
	runs := []*baseline.Record{{Scenario: "steady"}, {Scenario: "paired", Reference: &baseline.Record{}}}
	o := Options{BaseBranch: "main", StoreName: ".perfgate"}
	got := o.noBaseline(p, nil, runs)
	if len(got) != 1 || got[0] != `no baseline yet for scenario steady: store ".perfgate" holds no stored run of policy chat on branch "main"; a run on that branch with --save-baseline stores one` {
		t.Errorf("%q", got)
	}
	o.BaseBranch = ""
	if got := o.noBaseline(p, nil, runs[:1]); len(got) != 1 || !strings.Contains(got[0], "no branch (pass --branch") {
		t.Errorf("%q", got)
	}
	if got := o.noBaseline(p, map[string][]*baseline.Record{"steady": {{}}}, runs[:1]); len(got) != 0 {
		t.Errorf("with history: %q", got)
	}
}
