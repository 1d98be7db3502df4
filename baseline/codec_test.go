package baseline

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

func TestRecordRoundTrip(t *testing.T) {
	r := testRecord(t, 1, "chat-api", "steady", KindRun, "main")
	r.Capacity = &Capacity{RPS: 12, BrokenBy: "ttft.p95", Converged: true,
		Steps: []CapacityStep{{Rate: 8, Achieved: 7.9, Samples: 100, Values: map[string]float64{"e2e.p95": 1.5}, Met: true}}}
	r.Reference = testRecord(t, 2, "chat-api", "steady", KindRun, "main")
	r.Reference.Schema = ""
	data, err := Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("{\n  \"schema\": \"perfgate/record/v1\",\n  \"kind\": \"run\",")) {
		t.Errorf("encoding does not start with schema and kind:\n%.80s", data)
	}
	got, err := Decode("r.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Errorf("decoded record differs:\n got %+v\nwant %+v", got, r)
	}
	again, err := Encode(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, data) {
		t.Error("encoding is not stable")
	}
	for w, ws := range got.Metrics["e2e"].Windows {
		h, err := DecodeHist(ws.Hist)
		if err != nil {
			t.Fatal(err)
		}
		orig, _ := DecodeHist(r.Metrics["e2e"].Windows[w].Hist)
		if !h.Equals(orig) || h.TotalCount() != 200 || float64(h.ValueAtQuantile(95)) != ws.Stats["p95"] {
			t.Errorf("window %d histogram does not round-trip", w)
		}
	}
}

func TestHistRoundTrip(t *testing.T) {
	h := hdrhistogram.New(1, 3_600_000_000, 3)
	for v := int64(1); v < 1_000_000; v *= 3 {
		h.RecordValues(v, v%7+1)
	}
	s, err := EncodeHist(h)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s, "HISTF") {
		t.Errorf("encoding %.10s does not start with HISTF", s)
	}
	got, err := DecodeHist(s)
	if err != nil || !got.Equals(h) {
		t.Fatalf("DecodeHist: %v, equal %v", err, err == nil && got.Equals(h))
	}
	for _, bad := range []string{"", "HISTF", "not base64!", "HISTFAAAACx4nJNpmSzMwMDAxAAB", s[:len(s)/2]} {
		if _, err := DecodeHist(bad); err == nil {
			t.Errorf("DecodeHist(%q) succeeded", bad)
		}
	}
	if _, err := EncodeHist(nil); err == nil {
		t.Error("EncodeHist(nil) succeeded")
	}
}

func TestDecodeErrors(t *testing.T) {
	good, err := Encode(testRecord(t, 1, "p", "s", KindRun, "main"))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(old, new string) []byte {
		if !bytes.Contains(good, []byte(old)) {
			t.Fatalf("test record lacks %q", old)
		}
		return bytes.Replace(good, []byte(old), []byte(new), 1)
	}
	hist := good[bytes.Index(good, []byte(`"hist": "`))+9:]
	hist = hist[:bytes.IndexByte(hist, '"')]
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "b.json: empty file"},
		{"corrupt", []byte("{\n  \"schema\": \"perfgate/record/v1\",\n  oops\n}"), "b.json:3:3: invalid JSON"},
		{"truncated", good[:len(good)/2], "b.json:"},
		{"not an object", []byte(`[1,2]`), "b.json:1:1: a JSON array, not an object"},
		{"future", edit(`"perfgate/record/v1"`, `"perfgate/record/v2"`),
			"b.json: was written by a newer perfgate (schema perfgate/record/v2); this version reads perfgate/record/v1"},
		{"foreign", edit(`"perfgate/record/v1"`, `"something/else"`), `b.json: not a perfgate record or an unsupported version (schema "something/else")`},
		{"no schema", edit(`"schema": "perfgate/record/v1",`, ``), `b.json: not a perfgate record: no "schema" field`},
		{"schema type", edit(`"perfgate/record/v1"`, `1`), `b.json: "schema" is not a string`},
		{"kind", edit(`"kind": "run"`, `"kind": "walk"`), `b.json: unknown kind "walk"`},
		{"policy", edit(`"policy": "p"`, `"policy": ""`), `b.json: missing "policy"`},
		{"time", edit(`"time": "2025-03-01T12:01:00Z"`, `"time": "0001-01-01T00:00:00Z"`), `b.json: missing "time"`},
		{"type", edit(`"cpus": 4`, `"cpus": "four"`), `b.json:`},
		{"hist", edit(string(hist), "HISTFAAAAbroken"), `b.json: metric "e2e" windows[0]: undecodable histogram`},
		{"windows", edit(`"windows": [`+"\n"+`    {`+"\n"+`      "start_s": 0,`, `"windows": [`+"\n"+`    {`+"\n"+`      "start_s": 100,`),
			"b.json: windows[0]: end 5 before start 100"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Decode("b.json", c.data)
			if err == nil {
				t.Fatalf("decoded %+v", r)
			}
			var de *DecodeError
			if !errors.As(err, &de) || de.File != "b.json" {
				t.Errorf("error %T %v is not a *DecodeError naming the file", err, err)
			}
			if !strings.HasPrefix(err.Error(), c.want) && !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
	_, err = Decode("b.json", good[:len(good)-10])
	if !strings.Contains(err.Error(), "truncated file") {
		t.Errorf("truncated: %v", err)
	}
	_, err = Decode("b.json", edit(`"perfgate/record/v1"`, `"perfgate/record/v7"`))
	var se *SchemaError
	if !errors.As(err, &se) || !se.Newer || se.Schema != "perfgate/record/v7" {
		t.Errorf("future schema: %v", err)
	}
}

func TestWindowMetricConsistency(t *testing.T) {
	r := testRecord(t, 1, "p", "s", KindRun, "main")
	r.Metrics["e2e"].Windows = r.Metrics["e2e"].Windows[:2]
	if _, err := Encode(r); err == nil || !strings.Contains(err.Error(), `metric "e2e": 2 windows, record has 3`) {
		t.Errorf("Encode of inconsistent record: %v", err)
	}
	r.Metrics["e2e"].Windows = nil // pooled only is allowed
	if _, err := Encode(r); err != nil {
		t.Errorf("pooled-only metric: %v", err)
	}
	r.Metrics["x"] = nil
	r.Windows = append(r.Windows, WindowCounts{Start: 20, End: 25, Sent: -1})
	err := r.Validate()
	if err == nil || !strings.Contains(err.Error(), `metric "x": null`) || !strings.Contains(err.Error(), "windows[3]: negative count") {
		t.Errorf("Validate: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	good, err := Encode(testRecord(f, 1, "p", "s", KindRun, "main"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/3])
	f.Add([]byte(`{"schema":"perfgate/record/v1","kind":"run","policy":"p","scenario":"s","time":"2025-01-01T00:00:00Z","window_seconds":1,"windows":[{}],"metrics":{"m":{"windows":[{"hist":"HISTFAAAACx4nJNpmSzMwMDAxAAB"}]}}}`))
	f.Add([]byte(`{"schema":"perfgate/record/v1","reference":{"reference":{"reference":{"reference":{"reference":{}}}}}}`))
	f.Add([]byte(`{"schema":"perfgate/record/v1","kind":"run","policy":"p","scenario":"s","time":"2025-01-01T00:00:00Z","window_seconds":1,"windows":[{"sent":2,"failed":2,"errors":{"timeout":2}}],"metrics":{},"error_examples":{"timeout":"no complete response within 1s"}}`))
	f.Add([]byte(`{"schema":"perfgate/record/v1","kind":"run","policy":"p","scenario":"s","time":"2025-01-01T00:00:00Z","env":{"labels":{}},"window_seconds":1,"windows":[{"errors":{},"status":{}}],"metrics":{},"error_examples":{},"reference":{"schema":"perfgate/record/v1","kind":"run","policy":"p","scenario":"s","time":"2025-01-01T00:00:00Z","env":{"labels":{}},"window_seconds":1,"windows":[{"errors":{}}],"metrics":{}}}`))
	f.Add([]byte(`{"schema":"perfgate/record/v9"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode("fuzz.json", data)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || !strings.HasPrefix(err.Error(), "fuzz.json") {
				t.Fatalf("error %T %q does not name the file", err, err)
			}
			return
		}
		enc, err := Encode(r)
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		r2, err := Decode("fuzz.json", enc)
		if err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("re-decode: %v", err)
		}
	})
}
