package load

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func readAllEvents(r io.Reader) ([]string, error) {
	sr := newSSEReader(r, 1024)
	var out []string
	for {
		d, err := sr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, string(d))
	}
}

func TestSSEFraming(t *testing.T) {
	want := []string{"a", "b\nc", "d", "[DONE]"}
	streams := map[string]string{
		"lf":       "data: a\n\ndata: b\ndata: c\n\n: keep-alive\ndata:d\n\ndata: [DONE]\n\n",
		"crlf":     "data: a\r\n\r\ndata: b\r\ndata: c\r\n\r\n: keep-alive\r\ndata:d\r\n\r\ndata: [DONE]\r\n\r\n",
		"cr":       "data: a\r\rdata: b\rdata: c\r\r: keep-alive\rdata:d\r\rdata: [DONE]\r\r",
		"fields":   "event: message\nid: 1\nretry: 100\ndata: a\n\ndata: b\ndata: c\n\ndata: d\n\n\n\ndata: [DONE]",
		"no-final": "data: a\n\ndata: b\ndata: c\n\ndata: d\n\ndata: [DONE]",
	}
	for name, s := range streams {
		for _, mode := range []string{"whole", "onebyte", "half"} {
			var r io.Reader = strings.NewReader(s)
			switch mode {
			case "onebyte":
				r = iotest.OneByteReader(r)
			case "half":
				r = iotest.HalfReader(r)
			}
			got, err := readAllEvents(r)
			if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("%s/%s: %q, %v; want %q", name, mode, got, err, want)
			}
		}
	}
}

func TestSSEGarbageAndLimits(t *testing.T) {
	_, err := readAllEvents(strings.NewReader("data: a\n\n<html>oops</html>\n"))
	if !errors.Is(err, errSSEGarbage) {
		t.Errorf("garbage: %v", err)
	}
	_, err = readAllEvents(strings.NewReader(`{"error":"not streaming"}`))
	if !errors.Is(err, errSSEGarbage) {
		t.Errorf("JSON body: %v", err)
	}
	_, err = readAllEvents(strings.NewReader("data: " + strings.Repeat("x", 2000) + "\n\n"))
	if err == nil || !strings.Contains(err.Error(), "longer than the limit") {
		t.Errorf("long line: %v", err)
	}
	_, err = readAllEvents(iotest.TimeoutReader(strings.NewReader(strings.Repeat("data: x\n\n", 1000))))
	if err == nil {
		t.Error("a read error must surface")
	}
}
