package runner

import (
	"testing"
	"time"

	"github.com/perfgate/perfgate/gate/load"
)

func TestProgressLineShowsTheTopErrorClass(t *testing.T) {
	cases := []struct {
		s    load.Snapshot
		want string
	}{
		{load.Snapshot{Phase: load.PhaseWarmup, Elapsed: time.Second, Rate: 8.9, Errors: 9, TopErrors: "http-4xx 404 ×9"},
			"steady [warmup]    1s/70s     8.9 req/s  in flight   0  p95 —  errors 9 (http-4xx 404 ×9)"},
		{load.Snapshot{Phase: load.PhaseDrain, Elapsed: 72 * time.Second, Rate: 8, InFlight: 2, P95: 1234567 * time.Microsecond},
			"steady [drain]   70s/70s     8.0 req/s  in flight   2  p95 1.235s  errors 0"},
	}
	for _, c := range cases {
		if got := progressLine("steady", c.s, 70*time.Second); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
	}
}
