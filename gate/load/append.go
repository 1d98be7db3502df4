package load

import (
	"fmt"
	"maps"
	"time"
)

// Append joins next, the result of a segment of load that continued a
// scenario after first ended (a later look of regression.extend), to
// first: next's windows follow first's, renumbered and shifted by first's
// measured span, so the joined result is one longer run. Counts and rates
// are combined over the joined span; validity takes the worse of the two
// (the larger lag and overhead, the caps reached of both); cold start and
// warm-up are first's. Both results must have the same window length.
// first and next are consumed: the joined result shares their windows.
func Append(first, next *Result) (*Result, error) {
	if first == nil || next == nil {
		return nil, fmt.Errorf("append: a nil result")
	}
	if first.Window != next.Window {
		return nil, fmt.Errorf("append: windows of %s and %s", first.Window, next.Window)
	}
	out := *first
	span1, span2 := first.Span(), next.Span()
	out.Windows = append([]*Window(nil), first.Windows...)
	for _, w := range next.Windows {
		w.Index = len(out.Windows)
		w.Start += span1
		w.End += span1
		out.Windows = append(out.Windows, w)
	}
	total := (span1 + span2).Seconds()
	if total > 0 {
		out.Offered = (first.Offered*span1.Seconds() + next.Offered*span2.Seconds()) / total
		out.Achieved = (first.Achieved*span1.Seconds() + next.Achieved*span2.Seconds()) / total
	}
	v := first.Validity
	v.add(next.Validity)
	v.Offered, v.Achieved, v.AchievedRatio = out.Offered, out.Achieved, 1
	if out.Offered > 0 {
		v.AchievedRatio = out.Achieved / out.Offered
	}
	out.Validity = v
	out.Partial, out.StoppedEarly = first.Partial || next.Partial, first.StoppedEarly || next.StoppedEarly
	out.ErrorExamples = maps.Clone(first.ErrorExamples)
	for class, msg := range next.ErrorExamples {
		if _, ok := out.ErrorExamples[class]; !ok {
			if out.ErrorExamples == nil {
				out.ErrorExamples = map[string]string{}
			}
			out.ErrorExamples[class] = msg
		}
	}
	out.ScrapeErrors += next.ScrapeErrors
	if out.ScrapeError == "" {
		out.ScrapeError = next.ScrapeError
	}
	return &out, nil
}

// add combines w, measured apart (a later segment, another shard), into v:
// the worse of the two for the client's lag and overhead and their
// limits, the sums of what was sent, probed and delayed by the cap. Rates
// are the caller's.
func (v *Validity) add(w Validity) {
	v.Sent += w.Sent
	v.LagP99, v.LagLimit = max(v.LagP99, w.LagP99), max(v.LagLimit, w.LagLimit)
	v.OverheadP50, v.OverheadP99 = max(v.OverheadP50, w.OverheadP50), max(v.OverheadP99, w.OverheadP99)
	v.OverheadLimit = max(v.OverheadLimit, w.OverheadLimit)
	v.Probes += w.Probes
	v.CapReached += w.CapReached
}

// Span is the measured span of r: the end of its last window (0 with none).
func (r *Result) Span() time.Duration {
	if len(r.Windows) == 0 {
		return 0
	}
	return r.Windows[len(r.Windows)-1].End
}
