package sim

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// opsState is what the simulator keeps for the operational features of
// package sim: the dependency (dependency.go), the DCGM-style GPU metrics
// with their ground truth (dcgm.go) and autoscaling (autoscale.go).
type opsState struct {
	fallbacks atomic.Int64 // requests answered without the dependency

	mu       sync.Mutex
	samples  []gpuSample // every sampleEvery, the last maxSamples
	replicas int         // replicas serving (autoscale)
	events   []ScaleEvent
	// breakerUntil is when the dependency's circuit breaker closes.
	breakerUntil time.Time
	scaler       autoscaler
}

// sampleEvery is how often the GPU ground truth is sampled.
const sampleEvery = 50 * time.Millisecond

// maxSamples bounds the ground truth kept: ten minutes.
const maxSamples = int(10 * time.Minute / sampleEvery)

// startOps registers the metrics of the operational features on reg and
// starts their goroutines (stopped by Close).
func (s *Server) startOps(reg *prometheus.Registry) {
	s.ops.replicas = 1
	if s.cfg.GPU.Enabled {
		s.registerGPU(reg)
	}
	if s.cfg.Autoscale.Enabled {
		s.registerAutoscale(reg)
	}
	if s.cfg.GPU.Enabled || s.cfg.Autoscale.Enabled {
		s.wg.Add(1)
		go s.opsLoop()
	}
}

// opsLoop samples the engine every sampleEvery: the GPU ground truth, and
// the queue the autoscaler watches.
func (s *Server) opsLoop() {
	defer s.wg.Done()
	tick := time.NewTicker(sampleEvery)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-s.quit:
			return
		}
		now := time.Now()
		s.mu.Lock()
		s.eng.advance(s.now())
		smp := gpuSample{at: now, occupancy: float64(len(s.eng.running)) / float64(s.eng.slots), kv: s.eng.usage()}
		waiting := s.eng.nWait
		s.mu.Unlock()
		if s.cfg.GPU.Enabled {
			s.ops.mu.Lock()
			s.ops.samples = append(s.ops.samples, smp)
			if len(s.ops.samples) > maxSamples {
				s.ops.samples = append(s.ops.samples[:0], s.ops.samples[len(s.ops.samples)-maxSamples:]...)
			}
			s.ops.mu.Unlock()
		}
		if s.cfg.Autoscale.Enabled {
			s.autoscale(now, waiting)
		}
	}
}

// Fallbacks returns how many requests were answered without the
// dependency (with the fallback or an error).
func (s *Server) Fallbacks() int64 { return s.ops.fallbacks.Load() }
