package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chunkedReader returns its data in reads of at most n bytes (n >= 1), so
// a fuzz input also chooses where the network splits the stream.
type chunkedReader struct {
	data []byte
	n    int
}

func (r *chunkedReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n, len(r.data))
	copy(p, r.data[:k])
	r.data = r.data[k:]
	return k, nil
}

// refSSE is a reference reading of the SSE subset the reader accepts,
// written independently of it: split the whole input into lines at CRLF, LF
// or CR, then apply the field rules. ok is false when a line is not SSE.
func refSSE(s string, maxLine int) (events []string, ok, tooLong bool) {
	var lines []string
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			s = s[i+2:]
		} else {
			s = s[i+1:]
		}
	}
	var data []string
	has := false
	for _, l := range lines {
		if len(l) > maxLine {
			return events, false, true
		}
		switch {
		case l == "":
			if has {
				events = append(events, strings.Join(data, "\n"))
				data, has = nil, false
			}
			continue
		case l[0] == ':':
			continue
		}
		name, value, _ := strings.Cut(l, ":")
		value = strings.TrimPrefix(value, " ")
		switch name {
		case "data":
			data, has = append(data, value), true
		case "event", "id", "retry":
		default:
			return events, false, false
		}
	}
	if has {
		events = append(events, strings.Join(data, "\n"))
	}
	return events, true, false
}

// FuzzSSE checks the SSE reader against the reference reading for every
// input and every read size, and feeds the same bytes to the streaming
// client: nothing panics or loops, and every outcome is a success with a
// token count or a classified stream error with a short message.
func FuzzSSE(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "captures", "*"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b, uint8(7))
		}
	}
	for _, s := range []string{
		"data: a\n\ndata: b\ndata: c\n\n: keep-alive\ndata:d\n\ndata: [DONE]\n\n",
		"data: a\r\rdata: b\rdata: c\r\r",
		"data: a\r\n\r\ndata: [DONE]",
		"event: x\nid: 1\nretry: 5\ndata\n\n",
		"data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"completion_tokens\":-3}}\n\ndata: [DONE]\n\n",
		"data: {\"error\":{\"message\":\"overloaded\"}}\n\n",
		"data: {\"choices\":[{\"text\":\"x\"}]}\n\ndata: {\"choices\":[{\"text\":\"y\"}]}",
		"<html>502 Bad Gateway</html>",
		"\r",
		"data: " + strings.Repeat("x", 300) + "\n\n",
	} {
		f.Add([]byte(s), uint8(1))
		f.Add([]byte(s), uint8(0))
	}
	const maxLine = 256
	c, err := prepareClient(Target{URL: "http://127.0.0.1:1", API: APIOpenAIChat, Model: "m", Stream: true}, 2)
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		n := int(step)
		if n == 0 {
			n = len(data) + 1
		}
		want, ok, tooLong := refSSE(string(data), maxLine)
		sr := newSSEReader(&chunkedReader{data: data, n: n}, maxLine)
		var got []string
		var rerr error
		for i := 0; ; i++ {
			if i > len(data)+1 {
				t.Fatalf("more events than input bytes: %q", got)
			}
			ev, err := sr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				rerr = err
				break
			}
			got = append(got, string(ev))
		}
		switch {
		case tooLong:
			// The scanner may fail before returning every event of the
			// lines it had buffered; it must fail, and say why.
			if rerr == nil || !strings.Contains(rerr.Error(), "longer than the limit") {
				t.Fatalf("line over the limit: err %v", rerr)
			}
		case !ok:
			if !errors.Is(rerr, errSSEGarbage) {
				t.Fatalf("not SSE: err %v", rerr)
			}
			if len(rerr.Error()) > 200 {
				t.Fatalf("error message of %d bytes", len(rerr.Error()))
			}
		case rerr != nil:
			t.Fatalf("valid stream, error %v", rerr)
		}
		if !tooLong && strings.Join(got, "\x00") != strings.Join(want[:min(len(want), len(got))], "\x00") || ok && !tooLong && len(got) != len(want) {
			t.Fatalf("events %q, want %q", got, want)
		}

		// The same bytes as a response body of a streaming request.
		o := outcome{sent: time.Now()}
		c.readStream(ctx, ctx, &chunkedReader{data: data, n: n}, &o)
		switch o.class {
		case "":
			if o.tokens < 0 || o.first.IsZero() {
				t.Fatalf("success with %d tokens, first %v", o.tokens, o.first)
			}
		case ErrStream:
			if o.msg == "" || len(o.msg) > 400 {
				t.Fatalf("stream error message %q", o.msg)
			}
		default:
			t.Fatalf("class %q (%s)", o.class, o.msg)
		}
		if bytes.Contains([]byte(o.msg), []byte("\n")) {
			t.Fatalf("multi-line message %q", o.msg)
		}
	})
}

// FuzzJSONBody: any JSON body template either fails to compile with an
// error or renders, for any field value, a valid JSON document (or a clear
// error for a missing field); it never panics.
func FuzzJSONBody(f *testing.F) {
	f.Add(`{"a": "{{.x}}", "b": ["{{.y}}", 1, true, null], "c": {"d": "x {{.x}} y"}}`, `say "hi"\n`, `[1, {"k": 2}]`)
	f.Add(`"{{.x}}"`, ``, `3`)
	f.Add(`{"a": "{{json .x}}"}`, "\x00\xff", `"s"`)
	f.Add(`[{"n": "{{.y}}"}]`, `x`, `not json`)
	f.Add(`{"a": "{{range 1000000000}}{{end}}"}`, `x`, `1`) // found a stalled worker: loops are refused
	f.Fuzz(func(t *testing.T, doc, x, y string) {
		b, static, err := compileJSONBody([]byte(doc))
		if err != nil {
			return
		}
		if b == nil {
			if !json.Valid(static) {
				t.Fatalf("static body %q is not JSON", static)
			}
			return
		}
		p := &Prompt{Vars: map[string]string{"x": x, "y": y}}
		if json.Valid([]byte(y)) {
			p.Raw = map[string]json.RawMessage{"y": json.RawMessage(y)}
		}
		out, err := b.render(p)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("body %q with x=%q y=%q rendered %q, not JSON", doc, x, y, out)
		}
	})
}
