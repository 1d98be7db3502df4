package load

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/gate/metric"
)

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		spec, index string
		want        Shard
		err         string
	}{
		{"2/3", "", Shard{2, 3}, ""},
		{" 1/1 ", "", Shard{1, 1}, ""},
		{"3", "0", Shard{1, 3}, ""},
		{"3", "2", Shard{3, 3}, ""},
		{"3", "", Shard{}, "JOB_COMPLETION_INDEX"},
		{"3", "3", Shard{}, "want I/N"},
		{"0/3", "", Shard{}, "want I/N"},
		{"4/3", "", Shard{}, "want I/N"},
		{"a/3", "", Shard{}, "whole numbers"},
		{"1/5000", "", Shard{}, "want I/N"},
	} {
		got, err := ParseShard(tc.spec, tc.index)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseShard(%q, %q) = %v, %v; want an error with %q", tc.spec, tc.index, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseShard(%q, %q) = %v, %v; want %v", tc.spec, tc.index, got, err, tc.want)
		}
	}
}

// TestShardsPartitionTheSchedule checks that the shards of a schedule
// take every request index once, users and caps add up, and closed-loop
// indices never collide.
func TestShardsPartitionTheSchedule(t *testing.T) {
	const n = 4
	seen := map[uint64]int{}
	users := 0
	for i := 1; i <= n; i++ {
		s := Shard{i, n}
		for k := uint64(0); k < 1000; k++ {
			if s.owns(k) {
				seen[k]++
			}
			seen[1_000_000+s.closedIndex(k)]++
		}
		users += s.share(10)
	}
	for k := uint64(0); k < 1000; k++ {
		if seen[k] != 1 {
			t.Fatalf("request %d taken by %d shards", k, seen[k])
		}
	}
	for k, c := range seen {
		if k >= 1_000_000 && c != 1 {
			t.Fatalf("closed-loop index %d sent by %d shards", k-1_000_000, c)
		}
	}
	if users != 10 {
		t.Errorf("shares of 10 users add up to %d", users)
	}
	if got := countScheduled(ConstantPacer{Rate: 100}, Shard{2, n}, 0, time.Second); got != 25 {
		t.Errorf("shard 2/4 of 100 requests: %d scheduled, want 25", got)
	}
}

// TestResultRoundTrip checks that a result written for a merge reads back
// with the same counts and exactly the same histograms.
func TestResultRoundTrip(t *testing.T) {
	r := &Result{Scenario: "steady", Window: time.Second, Shard: Shard{2, 3}, StartLag: 3 * time.Millisecond, Offered: 10, Achieved: 9.5}
	for i := range 3 {
		w := newWindow(i, time.Duration(i)*time.Second, time.Duration(i+1)*time.Second)
		for v := int64(1); v <= 500; v++ {
			w.Record(metric.E2E, v*int64(i+1)*997)
		}
		w.Sent, w.Succeeded, w.Failed = 510, 500, 10
		w.Errors[ErrTimeout] = 10
		w.Status[503] = 2
		w.Server["kv_cache_usage"] = SeriesStat{Max: 0.5, Mean: 0.25, Samples: 4}
		if i == 1 {
			w.Pack()
		}
		r.Windows = append(r.Windows, w)
	}
	r.Validity = Validity{Sent: 1530, LagP99: 2 * time.Millisecond, LagLimit: 10 * time.Millisecond}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got Result
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Shard != r.Shard || got.StartLag != r.StartLag || got.Validity != r.Validity || len(got.Windows) != 3 {
		t.Fatalf("read back %+v", got)
	}
	for i, w := range got.Windows {
		o := r.Windows[i]
		a, b := w.Histogram(metric.E2E), o.Histogram(metric.E2E)
		if !a.Equals(b) || w.Sent != o.Sent || w.Errors[ErrTimeout] != 10 || w.Status[503] != 2 || w.Server["kv_cache_usage"] != o.Server["kv_cache_usage"] {
			t.Errorf("window %d differs after the round trip", i)
		}
	}
	if err := json.Unmarshal([]byte(`{"Windows":[{"Index":0,"Hist":{"e2e":"HISTFAAAAxx"}}]}`), &got); err == nil {
		t.Error("a malformed histogram was accepted")
	}
}
