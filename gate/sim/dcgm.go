package sim

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// GPUConfig turns on DCGM-style GPU metrics on /metrics, with the names
// of NVIDIA's dcgm-exporter: DCGM_FI_DEV_GPU_UTIL (percent of the last
// second the GPU was busy; here the time-averaged batch occupancy, running
// sequences over slots), DCGM_FI_DEV_FB_USED and DCGM_FI_DEV_FB_FREE
// (framebuffer MiB: the weights plus the KV cache in use). GPUTruth
// returns what they measure, at 50 ms resolution, for tests.
type GPUConfig struct {
	Enabled bool
	// MemoryMiB is the framebuffer size; WeightsMiB the part the weights
	// and activations hold; the rest is the KV cache.
	MemoryMiB, WeightsMiB float64
}

// Defaults of GPUConfig: an A10G with an 8B model.
const (
	DefaultGPUMemoryMiB  = 24576
	DefaultGPUWeightsMiB = 16384
	// gpuUtilPeriod is DCGM's sample period of GPU_UTIL.
	gpuUtilPeriod = time.Second
)

// gpuSample is the engine's state at one instant.
type gpuSample struct {
	at        time.Time
	occupancy float64 // running sequences / slots
	kv        float64 // KV cache in use / budget
}

func (c GPUConfig) validate() error {
	if c.Enabled && !(c.MemoryMiB > 0 && c.WeightsMiB >= 0 && c.WeightsMiB < c.MemoryMiB) {
		return fmt.Errorf("gpu memory %g MiB must be positive and above the weights' %g MiB", c.MemoryMiB, c.WeightsMiB)
	}
	return nil
}

// fbUsed returns the framebuffer MiB in use at KV-cache usage kv.
func (c GPUConfig) fbUsed(kv float64) float64 {
	return c.WeightsMiB + kv*(c.MemoryMiB-c.WeightsMiB)
}

// registerGPU adds the DCGM gauges to reg, one series per replica (gpu
// "0", "1", ...), each at the server's occupancy.
func (s *Server) registerGPU(reg *prometheus.Registry) {
	labels := []string{"gpu", "UUID", "device", "modelName", "Hostname"}
	util := prometheus.NewDesc("DCGM_FI_DEV_GPU_UTIL", "GPU utilization (in %).", labels, nil)
	used := prometheus.NewDesc("DCGM_FI_DEV_FB_USED", "Framebuffer memory used (in MiB).", labels, nil)
	free := prometheus.NewDesc("DCGM_FI_DEV_FB_FREE", "Framebuffer memory free (in MiB).", labels, nil)
	reg.MustRegister(collectorFunc{descs: []*prometheus.Desc{util, used, free}, collect: func(ch chan<- prometheus.Metric) {
		now := time.Now()
		u, _, _ := s.GPUTruth(now.Add(-gpuUtilPeriod), now)
		s.mu.Lock()
		s.eng.advance(s.now())
		kv := s.eng.usage()
		s.mu.Unlock()
		s.ops.mu.Lock()
		n := s.ops.replicas
		s.ops.mu.Unlock()
		for i := range n {
			lv := []string{fmt.Sprint(i), fmt.Sprintf("GPU-%08x-sim", s.cfg.Seed*1000+int64(i)), fmt.Sprintf("nvidia%d", i), "NVIDIA A10G (simulated)", "perfgate-sim"}
			ch <- prometheus.MustNewConstMetric(util, prometheus.GaugeValue, u, lv...)
			ch <- prometheus.MustNewConstMetric(used, prometheus.GaugeValue, s.cfg.GPU.fbUsed(kv), lv...)
			ch <- prometheus.MustNewConstMetric(free, prometheus.GaugeValue, s.cfg.GPU.MemoryMiB-s.cfg.GPU.fbUsed(kv), lv...)
		}
	}})
}

// GPUTruth returns the ground truth of the GPU metrics over [from, to):
// the time-averaged utilisation in percent (batch occupancy) and
// framebuffer MiB in use, from samples every 50 ms; n is how many samples
// it rests on (0: none, and the values are 0).
func (s *Server) GPUTruth(from, to time.Time) (utilPct, fbUsedMiB float64, n int) {
	s.ops.mu.Lock()
	defer s.ops.mu.Unlock()
	var occ, kv float64
	for _, smp := range s.ops.samples {
		if smp.at.Before(from) || !smp.at.Before(to) {
			continue
		}
		occ += smp.occupancy
		kv += smp.kv
		n++
	}
	if n == 0 {
		return 0, 0, 0
	}
	return 100 * occ / float64(n), s.cfg.GPU.fbUsed(kv / float64(n)), n
}

// collectorFunc is a prometheus.Collector of computed metrics.
type collectorFunc struct {
	descs   []*prometheus.Desc
	collect func(chan<- prometheus.Metric)
}

func (c collectorFunc) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c collectorFunc) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }
