package metric

import "testing"

func TestSplitName(t *testing.T) {
	for in, want := range map[string][2]string{
		"ttft.p95":                  {"ttft", "p95"},
		"e2e.p99.9":                 {"e2e", "p99.9"},
		"requests_per_s":            {"requests_per_s", "value"},
		"server.kv_cache_usage.max": {"server.kv_cache_usage", "max"},
		"server.rss":                {"server.rss", "value"},
	} {
		if m, s := SplitName(in); m != want[0] || s != want[1] {
			t.Errorf("SplitName(%q) = %q, %q; want %q", in, m, s, want)
		}
	}
}

func TestEnoughTail(t *testing.T) {
	for _, c := range []struct {
		stat string
		n    int64
		want bool
	}{
		{"p90", 100, true}, {"p90", 99, false},
		{"p95", 200, true}, {"p95", 199, false},
		{"p99", 1000, true}, {"p99.9", 9999, false}, {"p99.9", 10000, true},
		{"p50", 20, true}, {"p50", 0, false},
		{"mean", 1, true}, {"max", 0, false},
	} {
		if got := EnoughTail(c.stat, c.n); got != c.want {
			t.Errorf("EnoughTail(%s, %d) = %v, want %v", c.stat, c.n, got, c.want)
		}
		// MinCount is the boundary EnoughTail draws.
		if m := MinCount(c.stat); !EnoughTail(c.stat, m) || m > 1 && EnoughTail(c.stat, m-1) {
			t.Errorf("MinCount(%s) = %d disagrees with EnoughTail", c.stat, m)
		}
	}
}

func TestCatalog(t *testing.T) {
	seen := map[string]bool{}
	policy := true
	for _, d := range All() {
		if seen[d.Name] {
			t.Errorf("%s listed twice", d.Name)
		}
		seen[d.Name] = true
		if d.Policy && !policy {
			t.Errorf("%s: metrics a policy may name must come first", d.Name)
		}
		policy = d.Policy
		if d.Recorded && d.Kind != Percentiles {
			t.Errorf("%s: a recorded metric is a distribution", d.Name)
		}
		if unit, _ := RecordScale(d.Name); d.Recorded && unit != d.Unit {
			t.Errorf("%s: RecordScale unit %q, catalog %q", d.Name, unit, d.Unit)
		}
	}
	if !HigherIsBetter(Capacity) || HigherIsBetter(E2E) || HigherIsBetter("server.rss") {
		t.Error("HigherIsBetter")
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		v    float64
		unit string
		want string
	}{
		{2310, Ms, "2.31 s"}, {42, Ms, "42.0 ms"}, {0.0042, Ratio, "0.420%"},
		{4200, RPS, "4,200 req/s"}, {1, Tokens, "1 token"}, {3 << 20, Bytes, "3.00 MiB"},
		{512, Bytes, "512 B"}, {12.5, "", "12.5"},
	} {
		if got := Format(c.v, c.unit); got != c.want {
			t.Errorf("Format(%v, %q) = %q, want %q", c.v, c.unit, got, c.want)
		}
	}
}

func TestHolds(t *testing.T) {
	for _, c := range []struct {
		op   string
		v    float64
		want bool
	}{
		{"<", 1, true}, {"<", 2, false}, {"<=", 2, true}, {"<=", 2.1, false},
		{">", 3, true}, {">", 2, false}, {">=", 2, true}, {">=", 1.9, false}, {"==", 2, false},
	} {
		if got := Holds(c.op, c.v, 2); got != c.want {
			t.Errorf("Holds(%q, %v, 2) = %v", c.op, c.v, got)
		}
	}
}
