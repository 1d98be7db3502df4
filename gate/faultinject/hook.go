package faultinject

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"time"

	"github.com/perfgate/perfgate/internal/errmsg"
	"github.com/perfgate/perfgate/internal/redact"
	"github.com/perfgate/perfgate/policies"
)

// Hook is one action that starts or stops a fault.
type Hook interface {
	// Run carries out the action; its error says what failed, without
	// secrets.
	Run(ctx context.Context) error
	// String describes the action for messages (no secrets).
	String() string
}

// HookOf returns the hook a policy describes; getenv reads the values of
// its headers.
func HookOf(h *policies.Hook, getenv func(string) string) Hook {
	if h == nil {
		return nil
	}
	if h.HTTP != nil {
		hdr := http.Header{}
		var secrets []string
		for name, v := range h.HTTP.Headers {
			val := getenv(v.Env)
			if val == "" {
				continue
			}
			hdr.Set(name, v.Prefix+val)
			secrets = append(secrets, val)
		}
		return &httpHook{method: h.HTTP.Method, url: h.HTTP.URL, body: h.HTTP.Body, header: hdr, secrets: secrets, timeout: h.Timeout.Std()}
	}
	return &commandHook{argv: h.Command, timeout: h.Timeout.Std()}
}

// httpHook sends one HTTP request; any status other than 2xx is a failure.
type httpHook struct {
	method, url, body string
	header            http.Header
	secrets           []string
	timeout           time.Duration
	// ok, when set, accepts other statuses too (Toxiproxy's 404 on a
	// toxic already removed).
	ok func(status int) bool
}

func (h *httpHook) String() string { return h.method + " " + redact.URL(h.url) }

func (h *httpHook) Run(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	var body io.Reader
	if h.body != "" {
		body = strings.NewReader(h.body)
	}
	req, err := http.NewRequestWithContext(ctx, h.method, h.url, body)
	if err != nil {
		return fmt.Errorf("%s: %v", h, h.mask(err.Error()))
	}
	req.Header = h.header.Clone()
	if h.body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%s: no answer within %s", h, h.timeout)
		}
		return fmt.Errorf("%s: %s", h, h.mask(err.Error()))
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode/100 == 2 || h.ok != nil && h.ok(resp.StatusCode) {
		return nil
	}
	text := errmsg.Short(string(bytes.TrimSpace(msg)))
	if text != "" {
		text = ": " + errmsg.Truncate(h.mask(text), 200)
	}
	return fmt.Errorf("%s: HTTP %d%s", h, resp.StatusCode, text)
}

// mask removes the values of the hook's secret headers from s.
func (h *httpHook) mask(s string) string {
	for _, v := range h.secrets {
		s = strings.ReplaceAll(s, v, "***")
	}
	return s
}

// commandHook runs a program without a shell; a non-zero exit is a
// failure, reported with the end of its output.
type commandHook struct {
	argv    []string
	timeout time.Duration
}

func (c *commandHook) String() string { return strings.Join(c.argv, " ") }

func (c *commandHook) Run(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.argv[0], c.argv[1:]...)
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if err == nil {
		return nil
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s: did not finish within %s", c.argv[0], c.timeout)
	}
	tail := strings.TrimSpace(string(out))
	if len(tail) > 200 {
		tail = "…" + tail[len(tail)-200:]
	}
	if tail != "" {
		tail = ": " + tail
	}
	return fmt.Errorf("%s: %v%s", c.argv[0], err, tail)
}
