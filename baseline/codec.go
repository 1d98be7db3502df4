package baseline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// schemaPrefix is the part of Schema before its version number.
const schemaPrefix = "perfgate/record/v"

// DecodeError is returned by Decode for a file that cannot be read as a
// record. File names the file (or branch path) as given to Decode; Line and
// Col are set (1-based) when the position of a JSON syntax error is known.
type DecodeError struct {
	File string
	Line int
	Col  int
	Err  error
}

// Error returns "file:line:col: what is wrong".
func (e *DecodeError) Error() string {
	pos := e.File
	if pos == "" {
		pos = "<record>"
	}
	if e.Line > 0 {
		pos += ":" + strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Col)
	}
	return pos + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *DecodeError) Unwrap() error { return e.Err }

// SchemaError reports a record written with a schema this version does not
// read. Newer is true when the schema is a later version of the record
// format (the file was written by a newer perfgate).
type SchemaError struct {
	Schema string
	Newer  bool
}

// Error says which schema was found and which one this version reads.
func (e *SchemaError) Error() string {
	if e.Schema == "" {
		return fmt.Sprintf("not a perfgate record: no \"schema\" field (this version reads %s)", Schema)
	}
	if e.Newer {
		return fmt.Sprintf("was written by a newer perfgate (schema %s); this version reads %s", e.Schema, Schema)
	}
	return fmt.Sprintf("not a perfgate record or an unsupported version (schema %q); this version reads %s", e.Schema, Schema)
}

// Encode returns the record as indented JSON with a trailing newline. Field
// order follows the Record type and map keys are sorted, so equal records
// encode to equal bytes. An empty Schema is written as Schema; a record that
// fails Validate is not encoded.
func Encode(r *Record) ([]byte, error) {
	if r == nil {
		return nil, errors.New("baseline: encode: nil record")
	}
	c := *r
	if c.Schema == "" {
		c.Schema = Schema
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("baseline: encode %s/%s: %w", r.Policy, r.Scenario, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&c); err != nil {
		return nil, fmt.Errorf("baseline: encode %s/%s: %w", r.Policy, r.Scenario, err)
	}
	return buf.Bytes(), nil
}

// Decode parses a record read from the file (or branch path) name. It checks
// the schema version, the required fields, that every metric has one entry
// per window, and that every histogram decodes. Every error is a
// *DecodeError naming the file; a record of another schema version wraps a
// *SchemaError. Decode never panics.
func Decode(name string, data []byte) (rec *Record, err error) {
	defer func() {
		if p := recover(); p != nil {
			rec, err = nil, &DecodeError{File: name, Err: fmt.Errorf("malformed record: %v", p)}
		}
	}()
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &DecodeError{File: name, Err: errors.New("empty file")}
	}
	var head struct {
		Schema json.RawMessage `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, jsonError(name, data, err)
	}
	var schema string
	if len(head.Schema) > 0 && json.Unmarshal(head.Schema, &schema) != nil {
		return nil, &DecodeError{File: name, Err: errors.New("\"schema\" is not a string")}
	}
	if schema != Schema {
		return nil, &DecodeError{File: name, Err: &SchemaError{Schema: schema, Newer: newerSchema(schema)}}
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, jsonError(name, data, err)
	}
	if err := r.Validate(); err != nil {
		return nil, &DecodeError{File: name, Err: err}
	}
	r.dropEmptyMaps()
	return &r, nil
}

// dropEmptyMaps sets the empty maps that Encode leaves out to nil, so a
// decoded record equals the record its encoding decodes to.
func (r *Record) dropEmptyMaps() {
	for ; r != nil; r = r.Reference {
		if len(r.ErrorExamples) == 0 {
			r.ErrorExamples = nil
		}
		if len(r.Env.Labels) == 0 {
			r.Env.Labels = nil
		}
		for i := range r.Windows {
			w := &r.Windows[i]
			if len(w.Errors) == 0 {
				w.Errors = nil
			}
			if len(w.Status) == 0 {
				w.Status = nil
			}
		}
	}
}

// newerSchema reports whether s is perfgate/record/vN with N > 1.
func newerSchema(s string) bool {
	v, ok := strings.CutPrefix(s, schemaPrefix)
	if !ok {
		return false
	}
	v, _, _ = strings.Cut(v, ".")
	n, err := strconv.Atoi(v)
	return err == nil && n > 1
}

// jsonError turns a JSON error into a DecodeError with a position.
func jsonError(name string, data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(data, syn.Offset-1) // Offset is just past the bad byte
		if syn.Offset >= int64(len(data)) {
			return &DecodeError{File: name, Line: line, Col: col, Err: errors.New("truncated file: unexpected end of JSON input")}
		}
		return &DecodeError{File: name, Line: line, Col: col, Err: fmt.Errorf("invalid JSON: %v", syn)}
	case errors.As(err, &typ):
		line, col := position(data, typ.Offset-1)
		if typ.Field == "" {
			return &DecodeError{File: name, Line: line, Col: col, Err: fmt.Errorf("a JSON %s, not an object", typ.Value)}
		}
		return &DecodeError{File: name, Line: line, Col: col,
			Err: fmt.Errorf("field %q: cannot read JSON %s as %s", typ.Field, typ.Value, typ.Type)}
	}
	return &DecodeError{File: name, Err: err}
}

// position converts a byte offset into a 1-based line and column.
func position(data []byte, off int64) (line, col int) {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// Validate checks the fields a stored record must have and their
// consistency: the kind, policy, scenario and time; non-negative window
// counts; one metric entry per window; and that every histogram decodes.
// A Reference record is checked the same way (its schema may be empty).
func (r *Record) Validate() error {
	return r.validate(0)
}

// maxReferenceDepth bounds the nesting of Reference records.
const maxReferenceDepth = 4

func (r *Record) validate(depth int) error {
	var errs []string
	add := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if depth > 0 && r.Schema != "" && r.Schema != Schema {
		add("reference: schema %q, want %s", r.Schema, Schema)
	}
	switch r.Kind {
	case KindRun, KindCalibration:
	case "":
		add("missing \"kind\" (want %q or %q)", KindRun, KindCalibration)
	default:
		add("unknown kind %q (want %q or %q)", r.Kind, KindRun, KindCalibration)
	}
	if r.Policy == "" {
		add("missing \"policy\"")
	}
	if r.Scenario == "" {
		add("missing \"scenario\"")
	}
	if r.Time.IsZero() {
		add("missing \"time\"")
	}
	if !finite(r.WindowSeconds) || r.WindowSeconds < 0 {
		add("window_seconds %v is negative", r.WindowSeconds)
	}
	if len(r.Windows) > 0 && r.WindowSeconds <= 0 {
		add("%d windows but window_seconds is %v", len(r.Windows), r.WindowSeconds)
	}
	for i, w := range r.Windows {
		if w.End < w.Start {
			add("windows[%d]: end %v before start %v", i, w.End, w.Start)
		}
		if w.Sent < 0 || w.Succeeded < 0 || w.Failed < 0 || w.Good < 0 || w.OutputTokens < 0 {
			add("windows[%d]: negative count", i)
		}
	}
	for _, name := range sortedKeys(r.Metrics) {
		m := r.Metrics[name]
		if name == "" {
			add("metric with an empty name")
			continue
		}
		if m == nil {
			add("metric %q: null", name)
			continue
		}
		if len(m.Windows) != 0 && len(m.Windows) != len(r.Windows) {
			add("metric %q: %d windows, record has %d", name, len(m.Windows), len(r.Windows))
		}
		for i := range m.Windows {
			if err := m.Windows[i].check(); err != nil {
				add("metric %q windows[%d]: %v", name, i, err)
			}
		}
		if err := m.Pooled.check(); err != nil {
			add("metric %q pooled: %v", name, err)
		}
	}
	if r.Reference != nil {
		if depth >= maxReferenceDepth {
			add("reference records nested deeper than %d", maxReferenceDepth)
		} else if err := r.Reference.validate(depth + 1); err != nil {
			add("reference: %v", err)
		}
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errors.New(errs[0])
	}
	const show = 5
	if len(errs) > show {
		errs = append(errs[:show], fmt.Sprintf("and %d more", len(errs)-show))
	}
	return errors.New(strings.Join(errs, "; "))
}

func (s *WindowStats) check() error {
	if s.Count < 0 {
		return fmt.Errorf("negative count %d", s.Count)
	}
	if s.Hist == "" {
		return nil
	}
	if _, err := DecodeHist(s.Hist); err != nil {
		return err
	}
	return nil
}

// sortedKeys returns the keys of m in increasing order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// EncodeHist returns h in the V2 compressed encoding, base64 ("HISTF..."),
// the form stored in WindowStats.Hist and read by every HdrHistogram
// implementation.
func EncodeHist(h *hdrhistogram.Histogram) (string, error) {
	if h == nil {
		return "", errors.New("encode histogram: nil histogram")
	}
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("encode histogram: %w", err)
	}
	return string(b), nil
}

// DecodeHist decodes a histogram written by EncodeHist. It returns an error,
// never panics, on any malformed input.
func DecodeHist(s string) (h *hdrhistogram.Histogram, err error) {
	defer func() {
		if p := recover(); p != nil {
			h, err = nil, fmt.Errorf("undecodable histogram: %v", p)
		}
	}()
	if s == "" {
		return nil, errors.New("undecodable histogram: empty")
	}
	h, err = hdrhistogram.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("undecodable histogram: %w", err)
	}
	return h, nil
}
