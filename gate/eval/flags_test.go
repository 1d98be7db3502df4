package eval

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func TestFlagsResolve(t *testing.T) {
	parse := func(args ...string) (Config, Plan, []float64, error) {
		fs := flag.NewFlagSet("eval", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		f := BindFlags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return f.Resolve()
	}
	base, plan, shifts, err := parse("--naa", "0,5", "--shift", "0.03,0.05", "--shift-df", "3", "--trials", "7", "--mode", "paired")
	if err != nil || len(base.NAA) != 2 || base.NAA[0] != 0 || base.Sim.Noise.ShiftDF != 3 ||
		plan.Trials != 7 || plan.AATrials != 14 || len(plan.Modes) != 1 || len(shifts) != 2 || shifts[1] != 0.05 {
		t.Errorf("resolved %+v %+v %v, %v", base.NAA, plan, shifts, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--mode", "both-ways"}, "--mode"},
		{[]string{"--naa", "x"}, "--naa"},
		{[]string{"--shift", "0.1,-1"}, "--shift"},
		{[]string{"--shift-df", "1.5"}, "--shift-df"},
		{[]string{"--scale", "100"}, "--scale"},
	} {
		if _, _, _, err := parse(c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one naming %s", c.args, err, c.want)
		}
	}
}
