package sim

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// AutoscaleConfig turns on a model of a horizontal autoscaler: when the
// waiting queue stays above QueueThreshold for Sustain, one replica is
// ordered, and it serves Delay later (scheduling, image pull, model
// load). A replica adds Slots and KV cache, and its own GPU: a step's
// per-token costs are shared among the replicas while the fixed step cost
// is not, as when a load balancer spreads the batch. Replicas never
// scale down. /metrics exposes perfgate_sim_replicas; ScaleEvents the
// ground truth.
type AutoscaleConfig struct {
	Enabled        bool
	Max            int
	Delay          time.Duration
	QueueThreshold int
	Sustain        time.Duration
}

// Defaults of AutoscaleConfig.
const (
	DefaultAutoscaleMax       = 4
	DefaultAutoscaleDelay     = 10 * time.Second
	DefaultAutoscaleThreshold = 8
	DefaultAutoscaleSustain   = time.Second
)

// ScaleEvent is one replica added: ordered at Ordered, serving from
// Ready, making Replicas in all.
type ScaleEvent struct {
	Ordered, Ready time.Time
	Replicas       int
}

// autoscaler state, in opsState: aboveSince is when the queue went above
// the threshold (zero: it is not); pending the replica ordered, if any.
type autoscaler struct {
	aboveSince time.Time
	pending    *ScaleEvent
}

func (c AutoscaleConfig) validate() error {
	if c.Enabled && (c.Max < 1 || c.Delay < 0 || c.QueueThreshold < 0 || c.Sustain < 0) {
		return fmt.Errorf("autoscale: max must be at least 1 and delay, threshold and sustain not negative")
	}
	return nil
}

// autoscale runs one tick of the autoscaler at now, with waiting requests
// in the queue.
func (s *Server) autoscale(now time.Time, waiting int) {
	c := s.cfg.Autoscale
	s.ops.mu.Lock()
	a := &s.ops.scaler
	var ready *ScaleEvent
	switch {
	case a.pending != nil && !now.Before(a.pending.Ready):
		ready, a.pending = a.pending, nil
		s.ops.replicas = ready.Replicas
		s.ops.events = append(s.ops.events, *ready)
		a.aboveSince = time.Time{}
	case waiting <= c.QueueThreshold:
		a.aboveSince = time.Time{}
	case a.aboveSince.IsZero():
		a.aboveSince = now
	case a.pending == nil && s.ops.replicas < c.Max && now.Sub(a.aboveSince) >= c.Sustain:
		a.pending = &ScaleEvent{Ordered: now, Ready: now.Add(c.Delay), Replicas: s.ops.replicas + 1}
	}
	s.ops.mu.Unlock()
	if ready == nil {
		return
	}
	s.mu.Lock()
	s.eng.slots += s.cfg.effSlots()
	s.eng.kv += s.cfg.effKV()
	s.eng.replicas = ready.Replicas
	s.eng.advance(s.now())
	if !s.eng.stepping {
		s.eng.start(s.now())
	}
	s.mu.Unlock()
	poke(s.engine)
}

// ScaleEvents returns the replicas added so far.
func (s *Server) ScaleEvents() []ScaleEvent {
	s.ops.mu.Lock()
	defer s.ops.mu.Unlock()
	return append([]ScaleEvent(nil), s.ops.events...)
}

func (s *Server) registerAutoscale(reg *prometheus.Registry) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "perfgate_sim_replicas",
		Help: "Replicas serving (simulated autoscaling).", ConstLabels: prometheus.Labels{"model_name": s.cfg.Model}}, func() float64 {
		s.ops.mu.Lock()
		defer s.ops.mu.Unlock()
		return float64(s.ops.replicas)
	}))
}
