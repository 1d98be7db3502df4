package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/gate/sim"
)

func noEnv(string) string { return "" }

func TestSimServesAndStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"sim", "--addr", "127.0.0.1:0", "--no-noise", "--step-base", "1ms"}, noEnv, pw, &stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no start line: %v (stderr %q)", err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	_, url, ok := strings.Cut(strings.TrimSpace(line), " on ")
	if !ok {
		t.Fatalf("start line %q names no address", line)
	}
	url, _, _ = strings.Cut(url, " ")
	resp, err := http.Get(url + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/health: %d", resp.StatusCode)
	}
	resp, err = http.Post(url+"/v1/completions", "application/json",
		strings.NewReader(`{"prompt":"hi","max_tokens":4,"ignore_eos":true,"stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasSuffix(string(body), "data: [DONE]\n\n") {
		t.Errorf("stream %q does not end with [DONE]", body)
	}
	cancel()
	if c := <-code; c != exitPass {
		t.Errorf("exit code %d after cancel, want 0", c)
	}
}

func TestSimSaturation(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if c := run(context.Background(), []string{"sim", "--no-noise", "--saturation", "512:128"}, noEnv, &stdout, &stderr); c != exitPass {
		t.Fatalf("exit %d: %s", c, stderr.String())
	}
	got, err := strconv.ParseFloat(strings.TrimSpace(stdout.String()), 64)
	want := sim.SaturationRPS(sim.DefaultConfig().NoNoise(), 512, 128)
	if err != nil || got < want*0.999 || got > want*1.001 {
		t.Errorf("printed %q, want %.3f", stdout.String(), want)
	}
}

func TestSimBadInput(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--error-rate", "2"}, "error rate"},
		{[]string{"--slots", "0"}, "slots"},
		{[]string{"--saturation", "512"}, "PROMPT:OUTPUT"},
		{[]string{"--saturation", "9000:9000"}, "cannot run"},
		{[]string{"--bogus"}, "bogus"},
		{[]string{"extra"}, "unexpected arguments"},
	}
	for _, tc := range cases {
		var stdout, stderr bytes.Buffer
		c := run(context.Background(), append([]string{"sim"}, tc.args...), noEnv, &stdout, &stderr)
		if c != exitInvalid || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, c, stderr.String(), tc.want)
		}
	}
}
