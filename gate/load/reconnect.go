package load

import (
	"context"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
)

// send sends req and returns its response. A request that fails on a
// reused keep-alive connection before any byte of a response arrived is
// sent once more, built anew by again, on a fresh connection (c.fresh does
// not keep connections alive), and o.resent says so.
//
// Such a failure is the client's, not the target's: a server may answer
// "Connection: keep-alive" and still close the connection after a
// response (llama.cpp's server does after a streamed one). A request
// written into the closed connection before its close was noticed reads
// EOF or a reset, and Go's transport resends only idempotent requests, so
// an inference POST would fail as a connect error the server never saw.
// curl reconnects in the same case. The request keeps its intended send
// time, so the reconnection's cost stays in its latency; a failure on the
// fresh connection (a server that is really down or breaks every request)
// is the request's failure. A request that timed out or was cancelled is
// not sent again.
func (c *client) send(ctx context.Context, req *http.Request, again func(context.Context) (*http.Request, error), o *outcome) (*http.Response, error) {
	// The transport may call the hooks from its own goroutines.
	var reused, answered atomic.Bool
	trace := &httptrace.ClientTrace{
		GotConn:              func(i httptrace.GotConnInfo) { reused.Store(i.Reused) },
		GotFirstResponseByte: func() { answered.Store(true) },
	}
	resp, err := c.hc.Do(req.WithContext(httptrace.WithClientTrace(ctx, trace)))
	if err == nil || !reused.Load() || answered.Load() || ctx.Err() != nil {
		return resp, err
	}
	req2, err2 := again(ctx)
	if err2 != nil {
		return nil, err
	}
	o.resent = true
	return c.fresh.Do(req2)
}
