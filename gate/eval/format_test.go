package eval

import (
	"strings"
	"testing"
)

// TestFormatAligned checks that columns keep their positions across the
// blank lines between injections, and that the targets are judged.
func TestFormatAligned(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Rules.Gate = Gate
	aa := Row{Mode: ModePaired, Check: RunLevel, Trials: 200, Fail: 1, Warn: 20, Pass: 179, FailLow: 0.001, FailHigh: 0.03, MeanMDE: 0.1}
	inj := Injection{Check: "requests_per_s", Size: 0.10, Knob: KnobCapacity, Value: 0.7109, Realised: 0.1}
	hit := Row{Mode: ModePaired, Injection: inj, Check: "requests_per_s", Trials: 100, Fail: 96, Warn: 4, MeanMDE: 0.08}
	tab := &Table{Config: cfg, Plan: Plan{Sizes: DefaultSizes}, Rows: []Row{aa, hit}}
	var b strings.Builder
	if err := tab.Format(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	var header, last string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "mode ") {
			header = l
		}
		if strings.Contains(l, "Capacity=0.7109") {
			last = l
		}
		if strings.HasSuffix(l, " ") {
			t.Errorf("trailing space: %q", l)
		}
	}
	if header == "" || last == "" {
		t.Fatalf("missing lines in\n%s", out)
	}
	if strings.Index(header, "fail 95% CI") != strings.Index(last, "[") || strings.Index(header, "target") != strings.Index(last, "fail>=95%: met") {
		t.Errorf("columns not aligned:\n%s\n%s", header, last)
	}
	if !strings.Contains(out, "fail<=1%, warn<=5%: NOT met") {
		t.Errorf("A/A with 10%% warnings should miss its target:\n%s", out)
	}
}
