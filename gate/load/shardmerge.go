package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/perfgate/perfgate/baseline"
)

// The wire form of a Result, for the records that shards of one run write
// and a merge reads (see MergeShards): every field, and each window's
// histograms in HdrHistogram's V2 compressed encoding, so that merging is
// exact.
type (
	resultFields Result
	windowFields Window
	wireResult   struct {
		resultFields
		Windows []wireWindow `json:"Windows"`
		Warmup  *wireWindow  `json:"Warmup"`
	}
	wireWindow struct {
		windowFields
		Hist map[string]string `json:"Hist"`
	}
)

func toWire(w *Window) (wireWindow, error) {
	out := wireWindow{windowFields: windowFields(*w), Hist: map[string]string{}}
	for _, name := range w.Metrics() {
		s, err := baseline.EncodeHist(w.Histogram(name))
		if err != nil {
			return out, fmt.Errorf("window %d, %s: %w", w.Index, name, err)
		}
		out.Hist[name] = s
	}
	return out, nil
}

func fromWire(ww wireWindow) (*Window, error) {
	w := newWindow(ww.Index, ww.Start, ww.End)
	h, p := w.hist, w.packed
	*w = Window(ww.windowFields)
	w.hist, w.packed = h, p
	if w.Errors == nil {
		w.Errors = map[string]int64{}
	}
	if w.Status == nil {
		w.Status = map[int]int64{}
	}
	if w.Server == nil {
		w.Server = map[string]SeriesStat{}
	}
	for name, s := range ww.Hist {
		hist, err := baseline.DecodeHist(s)
		if err != nil {
			return nil, fmt.Errorf("window %d, %s: %w", ww.Index, name, err)
		}
		w.SetHistogram(name, hist)
	}
	return w, nil
}

// MarshalJSON encodes r with its histograms.
func (r *Result) MarshalJSON() ([]byte, error) {
	out := wireResult{resultFields: resultFields(*r)}
	for _, w := range r.Windows {
		ww, err := toWire(w)
		if err != nil {
			return nil, err
		}
		out.Windows = append(out.Windows, ww)
	}
	if r.Warmup != nil {
		ww, err := toWire(r.Warmup)
		if err != nil {
			return nil, err
		}
		out.Warmup = &ww
	}
	return json.Marshal(out)
}

// UnmarshalJSON decodes what MarshalJSON wrote; a malformed histogram is
// an error, never a panic.
func (r *Result) UnmarshalJSON(b []byte) error {
	var in wireResult
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	out := Result(in.resultFields)
	out.Windows = nil
	for _, ww := range in.Windows {
		w, err := fromWire(ww)
		if err != nil {
			return err
		}
		out.Windows = append(out.Windows, w)
	}
	out.Warmup = nil
	if in.Warmup != nil {
		w, err := fromWire(*in.Warmup)
		if err != nil {
			return err
		}
		out.Warmup = w
	}
	*r = out
	return nil
}

// MergeShards joins the results of the shards of one run (one arm of one
// scenario each; load.Shard says which) into the result one generator
// sending the whole schedule would have recorded: windows are aligned by
// index (every shard started its schedule at the same agreed time, so
// window k is the same span of wall-clock time in each), their counts
// summed and histograms merged exactly (MergeWindows); requests in flight
// at once add up across shards (InFlightMax is the sum of the shards'
// maxima, an upper bound). Validity takes the worst of the shards for the
// client's lag and overhead, sums what was sent, offered and achieved, and
// the in-flight caps; the caller names the shard behind a reason
// (ShardReasons). Every result must come from the same plan: the same
// window length and number of windows.
func MergeShards(parts []*Result) (*Result, error) {
	if len(parts) == 0 {
		return nil, errors.New("merge: no shard results")
	}
	first := parts[0]
	out := *first
	out.Shard, out.StartLag = Shard{}, 0
	out.Windows = make([]*Window, len(first.Windows))
	out.ErrorExamples = maps.Clone(first.ErrorExamples)
	var v Validity
	v.LagLimit, v.OverheadLimit = first.Validity.LagLimit, first.Validity.OverheadLimit
	out.Offered, out.Achieved, out.ColdStart, out.ScrapeErrors = 0, 0, 0, 0
	for i, r := range parts {
		if r == nil {
			return nil, fmt.Errorf("merge: shard result %d is missing", i+1)
		}
		if r.Window != first.Window || len(r.Windows) != len(first.Windows) {
			return nil, fmt.Errorf("merge: shard %s measured %d windows of %s, shard %s %d of %s: not the same plan", first.Shard, len(first.Windows), first.Window, r.Shard, len(r.Windows), r.Window)
		}
		out.StartLag = max(out.StartLag, r.StartLag)
		out.Offered += r.Offered
		out.Achieved += r.Achieved
		if r.ColdStart > 0 && (out.ColdStart == 0 || r.ColdStart < out.ColdStart) {
			out.ColdStart = r.ColdStart
		}
		v.add(r.Validity)
		v.InFlightCap += r.Validity.InFlightCap
		out.Partial = out.Partial || r.Partial
		out.StoppedEarly = out.StoppedEarly || r.StoppedEarly
		if out.Aborted == nil {
			out.Aborted = r.Aborted
		}
		for class, msg := range r.ErrorExamples {
			if _, ok := out.ErrorExamples[class]; !ok {
				if out.ErrorExamples == nil {
					out.ErrorExamples = map[string]string{}
				}
				out.ErrorExamples[class] = msg
			}
		}
		if out.ServedModel == "" {
			out.ServedModel = r.ServedModel
		}
		out.ScrapeErrors += r.ScrapeErrors
		if out.ScrapeError == "" {
			out.ScrapeError = r.ScrapeError
		}
	}
	for k := range out.Windows {
		ws := make([]*Window, len(parts))
		var inflight int64
		for i, r := range parts {
			ws[i] = r.Windows[k]
			inflight += r.Windows[k].InFlightMax
		}
		m, err := MergeWindows(ws...)
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		m.Index, m.Start, m.End = k, first.Windows[k].Start, first.Windows[k].End
		m.InFlightMax = inflight
		out.Windows[k] = m
	}
	var warm []*Window
	for _, r := range parts {
		warm = append(warm, r.Warmup)
	}
	if first.Warmup != nil {
		m, err := MergeWindows(warm...)
		if err != nil {
			return nil, fmt.Errorf("merge: warm-up: %w", err)
		}
		out.Warmup = m
	}
	v.Offered, v.Achieved, v.AchievedRatio = out.Offered, out.Achieved, 1
	if out.Offered > 0 {
		v.AchievedRatio = out.Achieved / out.Offered
	}
	out.Validity = v
	return &out, nil
}

// ShardReasons returns, for each part whose own measurement was not valid
// or that started later than its lag limit after the agreed start, the
// reasons, each naming the shard ("shard 2/3: client schedule lag ...").
func ShardReasons(parts []*Result) []string {
	var out []string
	for _, r := range parts {
		if r == nil {
			continue
		}
		if lim := r.Validity.LagLimit; r.StartLag > max(lim, 50*time.Millisecond) {
			out = append(out, fmt.Sprintf("shard %s started %s after the agreed start", r.Shard, r.StartLag.Round(time.Millisecond)))
		}
		if r.Validity.KeptUp() {
			continue
		}
		for _, why := range r.Validity.Reasons() {
			out = append(out, fmt.Sprintf("shard %s: %s", r.Shard, why))
		}
	}
	return out
}
