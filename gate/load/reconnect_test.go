package load

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// keepAliveCloser is a server that behaves as llama.cpp's server does: it
// answers every streamed completion with "Connection: keep-alive" and
// closes the connection after it. The close is made certain rather than
// racy: the server keeps the connection open until the next request has
// been written into it, then closes it unanswered, which is what the
// client sees when it reuses the connection before the close arrives.
type keepAliveCloser struct {
	ln       net.Listener
	body     []byte
	answered atomic.Int64 // requests answered
	dropped  atomic.Int64 // requests read on a used connection and closed unanswered
	wg       sync.WaitGroup
}

func newKeepAliveCloser(t *testing.T) *keepAliveCloser {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "captures", "llamacpp-chat-stream.sse"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &keepAliveCloser{ln: ln, body: body}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serve(c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *keepAliveCloser) url() string { return "http://" + s.ln.Addr().String() }

func (s *keepAliveCloser) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for n := 0; ; n++ {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		if n > 0 {
			s.dropped.Add(1)
			return
		}
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5, max=100\r\nTransfer-Encoding: chunked\r\n\r\n")
		fmt.Fprintf(c, "%x\r\n%s\r\n0\r\n\r\n", len(s.body), s.body)
		s.answered.Add(1)
	}
}

// TestKeepAliveCloserIsNotAFailure runs one request at a time against a
// server that closes every kept-alive connection after its response: each
// request after the first is written into a closed connection, fails
// before any response, and is sent again on a fresh connection. None
// counts against the target.
func TestKeepAliveCloserIsNotAFailure(t *testing.T) {
	s := newKeepAliveCloser(t)
	p := Plan{
		Pacer:    ConstantPacer{Rate: 20},
		Duration: time.Second, Window: 500 * time.Millisecond,
		MaxLagP99: time.Second, Workload: tinyWorkload,
	}
	res, err := Run(t.Context(), p, Target{URL: s.url(), API: APIOpenAIChat, Model: "m", Stream: true, FreeLength: true, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	all, err := res.Pooled()
	if err != nil {
		t.Fatal(err)
	}
	if all.Sent < 15 || all.Failed != 0 || all.Succeeded != all.Sent {
		t.Fatalf("sent %d, succeeded %d, failed %d (%v, %v); want every request to succeed", all.Sent, all.Succeeded, all.Failed, all.Errors, res.ErrorExamples)
	}
	if s.dropped.Load() == 0 || all.Resent == 0 {
		t.Fatalf("the server closed %d reused connections and %d requests were resent: the test did not reproduce a kept-alive close", s.dropped.Load(), all.Resent)
	}
	t.Logf("sent %d, resent %d, dropped by the server %d, answered %d", all.Sent, all.Resent, s.dropped.Load(), s.answered.Load())
}

// TestResendOnlyOnce: a server that closes every connection as soon as it
// reads a request fails each request on the fresh connection too, and
// that failure counts (a connect error), so a dead server is not hidden.
func TestResendOnlyOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var seen atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			seen.Add(1)
			if _, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
				c.Close()
				continue
			}
			c.Close()
		}
	}()
	defer func() { ln.Close(); wg.Wait() }()
	c := newTestClient(t, Target{URL: "http://" + ln.Addr().String(), API: APIOpenAIChat, Model: "m", Stream: true, Timeout: 5 * time.Second})
	o := c.do(t.Context(), &Prompt{Text: "q", MaxTokens: 3}, nil)
	if o.class != ErrConnect {
		t.Fatalf("class %q (%s); want %q", o.class, o.msg, ErrConnect)
	}
	if o.resent {
		t.Fatalf("a request that failed on a fresh connection was resent")
	}
}
