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

// ListenDemo starts the two deployments of perfgate demo on loopback ports:
// "main", and a "preview" whose decoding is slow times slower. They run on
// identical hardware with a small per-deployment shift (0.5%), so the
// verdict shows the regression rather than the luck of the draw
// (docs/evaluation.md shows what a 3% shift between deployments does).
// stop stops both; on error nothing is left running.
func ListenDemo(slow float64) (urls [2]string, stop func(), err error) {
	var stops []func()
	stop = func() {
		for _, f := range stops {
			f()
		}
	}
	cfg := DefaultConfig()
	cfg.Seed, cfg.Noise.Shift = 1, 0.005
	for i := range urls {
		var s func()
		if urls[i], _, s, err = Listen(cfg, "127.0.0.1:0", 2*time.Second); err != nil {
			stop()
			return urls, func() {}, fmt.Errorf("starting the simulator: %w", err)
		}
		stops = append(stops, s)
		cfg.Seed, cfg.DecodeSlowdown = 2, slow // the preview: another deployment, slower decoding
	}
	return urls, stop, nil
}
