package sim

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Listen serves a simulated inference server with cfg on addr (port 0: a
// free one) in a goroutine and returns its URL. failed receives the error of a server that
// stopped on its own; stop lets requests in progress finish within drain,
// then closes the server (more calls do nothing).
func Listen(cfg Config, addr string, drain time.Duration) (url string, failed <-chan error, stop func(), err error) {
	s, err := NewServer(cfg)
	if err != nil {
		return "", nil, nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.Close()
		return "", nil, nil, fmt.Errorf("cannot listen on --addr %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), served, sync.OnceFunc(func() {
		ctx, cancel := context.WithTimeout(context.Background(), drain)
		defer cancel()
		srv.Shutdown(ctx)
		srv.Close()
		s.Close()
	}), nil
}
