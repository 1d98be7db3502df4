package policies

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/perfgate/perfgate/gate/metric"
)

// Duration is a policy duration such as "30s"; the schema checks its form.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// Percent is a policy percentage such as "3%", held as a fraction (0.03).
type Percent float64

func (p Percent) String() string { return strconv.FormatFloat(float64(p)*100, 'f', -1, 64) + "%" }

func (p *Percent) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil || !strings.HasSuffix(s, "%") {
		return fmt.Errorf("%q is not a percentage", s)
	}
	*p = Percent(f / 100)
	return nil
}

func (p Percent) MarshalJSON() ([]byte, error) { return json.Marshal(p.String()) }

// Length is a token count: Fixed, or a normal distribution (Mean, Stddev)
// optionally clamped to [Min, Max], or a uniform one on [Min, Max].
type Length struct {
	Fixed  int     `json:"-"`
	Mean   float64 `json:"mean,omitempty"`
	Stddev float64 `json:"stddev,omitempty"`
	Min    int     `json:"min,omitempty"`
	Max    int     `json:"max,omitempty"`
}

// Length distributions.
const (
	DistFixed   = "fixed"
	DistNormal  = "normal"
	DistUniform = "uniform"
)

// Dist names the distribution of l: DistFixed, DistNormal or DistUniform.
// A Length that fits none (no mean, and not both min and max) is rejected
// by Parse.
func (l Length) Dist() string {
	switch {
	case l.Fixed > 0:
		return DistFixed
	case l.Mean > 0:
		return DistNormal
	default:
		return DistUniform
	}
}

func (l *Length) UnmarshalJSON(b []byte) error {
	if n, err := strconv.Atoi(string(b)); err == nil {
		*l = Length{Fixed: n}
		return nil
	}
	type plain Length
	return json.Unmarshal(b, (*plain)(l))
}

func (l Length) MarshalJSON() ([]byte, error) {
	if l.Fixed > 0 {
		return json.Marshal(l.Fixed)
	}
	type plain Length
	return json.Marshal(plain(l))
}

// Limit is an SLO bound as written, "< 2s": an operator, a number and an
// optional unit suffix. Parse converts it into the metric's unit (Value).
type Limit struct {
	Op     string  // "<", "<=", ">", ">="
	Number float64 // as written
	Suffix string  // as written: "s", "%", "MiB", or ""
	// Value is Number in the unit of the metric the limit applies to (ms
	// for latencies, a fraction for ratios, bytes for sizes), set by Parse.
	Value float64
}

var limitRE = regexp.MustCompile(`^\s*(<=|>=|<|>)\s*([0-9]+(?:\.[0-9]+)?)\s*(\S*)\s*$`)

func (l *Limit) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	m := limitRE.FindStringSubmatch(s)
	if m == nil {
		return fmt.Errorf("%q is not a limit", s)
	}
	n, err := strconv.ParseFloat(m[2], 64)
	if err != nil {
		return err
	}
	*l = Limit{Op: m[1], Number: n, Suffix: m[3]}
	return nil
}

func (l Limit) String() string {
	sp := ""
	if strings.Contains(l.Suffix, "/") {
		sp = " "
	}
	return l.Op + " " + strconv.FormatFloat(l.Number, 'f', -1, 64) + sp + l.Suffix
}

func (l Limit) MarshalJSON() ([]byte, error) { return json.Marshal(l.String()) }

// Upper reports whether the limit bounds from above ("<", "<=").
func (l Limit) Upper() bool { return strings.HasPrefix(l.Op, "<") }

// Met reports whether x (in the metric's unit) satisfies the limit.
func (l Limit) Met(x float64) bool { return metric.Holds(l.Op, x, l.Value) }

// unitScale maps a limit suffix to its unit family and the factor that
// converts it to the family's base unit (ms, fraction, bytes, per second).
var unitScale = map[string]struct {
	unit  string
	scale float64
}{
	"ns": {UnitMs, 1e-6}, "us": {UnitMs, 1e-3}, "µs": {UnitMs, 1e-3}, "ms": {UnitMs, 1},
	"s": {UnitMs, 1e3}, "m": {UnitMs, 60e3}, "h": {UnitMs, 3600e3},
	"%":     {UnitRatio, 0.01},
	"req/s": {UnitRPS, 1}, "tok/s": {UnitTPS, 1},
	"B": {UnitBytes, 1}, "kB": {UnitBytes, 1e3}, "KB": {UnitBytes, 1e3}, "MB": {UnitBytes, 1e6},
	"GB": {UnitBytes, 1e9}, "KiB": {UnitBytes, 1 << 10}, "MiB": {UnitBytes, 1 << 20}, "GiB": {UnitBytes, 1 << 30},
}

// inUnit converts the limit to unit, or explains what was expected.
func (l Limit) inUnit(unit string) (float64, error) {
	if l.Suffix == "" {
		switch unit {
		case UnitMs:
			return 0, fmt.Errorf("has no unit; expected a time such as %q", l.Op+" "+fmtNum(l.Number)+"ms")
		case UnitRatio:
			// "< 1" could mean 1% or a fraction of 1 (100%, a limit that
			// never breaks): a ratio is always written as a percentage.
			pct := l.Op + " " + fmtNum(l.Number) + "%"
			if l.Number < 1 {
				return 0, fmt.Errorf("has no unit; a ratio is written as a percentage: expected %q (the fraction %s) or %q", l.Op+" "+fmtNum(100*l.Number)+"%", fmtNum(l.Number), pct)
			}
			return 0, fmt.Errorf("has no unit; a ratio is written as a percentage: expected %q", pct)
		}
		return l.Number, nil
	}
	u, ok := unitScale[l.Suffix]
	if !ok || u.unit != unit {
		return 0, fmt.Errorf("is in %q, but the metric is measured in %s; expected %s", l.Suffix, unitNames[unit], unitExamples[unit])
	}
	v := l.Number * u.scale
	if unit == UnitRatio && v > 1 {
		return 0, fmt.Errorf("is above 100%%")
	}
	return v, nil
}

var unitNames = map[string]string{
	UnitMs: "time", UnitRatio: "a fraction or percentage", UnitRPS: "requests per second",
	UnitTPS: "tokens per second", UnitBytes: "bytes", UnitCount: "a plain count",
}

var unitExamples = map[string]string{
	UnitMs: `a time such as "< 2s" or "<= 50ms"`, UnitRatio: `a percentage such as "< 0.1%" or "< 80%"`,
	UnitRPS: `a rate such as "> 20" or "> 20 req/s"`, UnitTPS: `a rate such as "> 500" or "> 500 tok/s"`,
	UnitBytes: `a size such as "< 2GiB" or "< 500MB"`, UnitCount: `a plain number such as "< 10"`,
}

func fmtNum(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}
