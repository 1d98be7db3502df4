package load

import (
	"context"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net"
	"time"
)

// Probe timing: probes are sent at seeded random intervals in
// [probeMin, probeMax), so they do not lock onto a periodic delay of the
// runtime (its background network poll runs every 10 ms).
const (
	probeMin = 5 * time.Millisecond
	probeMax = 15 * time.Millisecond
)

// probeSample is one measured client overhead: at (from the run start)
// the probe was written, and d later the client noticed it.
type probeSample struct {
	at, d time.Duration
}

// probeOverhead measures the client's own delay in noticing a readable
// response: how long after a write on a loopback TCP connection the
// goroutine reading the other end sees the data. A response waits for the
// same network poll and scheduling before it is timed, so this delay is
// inside every latency the client records; a load generator that starves
// the network poller shows it here. Loopback delivery itself adds tens of
// microseconds. It sends one sample per probe until ctx ends, and nothing
// when the loopback connection cannot be made.
func probeOverhead(ctx context.Context, t0 time.Time, seed int64, out chan<- probeSample) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			c = nil
		}
		accepted <- c
	}()
	var d net.Dialer
	wc, err := d.DialContext(ctx, "tcp", ln.Addr().String())
	rc := <-accepted
	ln.Close()
	if err != nil || rc == nil {
		if wc != nil {
			wc.Close()
		}
		if rc != nil {
			rc.Close()
		}
		return
	}
	stop := context.AfterFunc(ctx, func() { wc.Close(); rc.Close() })
	defer stop()
	read := make(chan struct{})
	go func() {
		defer close(read)
		var buf [8]byte
		for {
			if _, err := io.ReadFull(rc, buf[:]); err != nil {
				return
			}
			now := time.Since(t0)
			at := time.Duration(binary.LittleEndian.Uint64(buf[:]))
			select {
			case out <- probeSample{at: at, d: now - at}:
			case <-ctx.Done():
				return
			}
		}
	}()
	rng := rand.New(rand.NewPCG(uint64(seed), 0x70726f6265))
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var buf [8]byte
	for {
		timer.Reset(probeMin + time.Duration(rng.Int64N(int64(probeMax-probeMin))))
		select {
		case <-timer.C:
		case <-ctx.Done():
			<-read
			return
		}
		binary.LittleEndian.PutUint64(buf[:], uint64(time.Since(t0)))
		if _, err := wc.Write(buf[:]); err != nil {
			wc.Close()
			rc.Close()
			<-read
			return
		}
	}
}
