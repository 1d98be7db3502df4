// Package sim is a simulated inference server with known ground truth: an
// OpenAI-compatible LLM endpoint (chat and completions, streaming and not),
// a JSON classification endpoint (/predict), /health, /v1/models and
// Prometheus /metrics with vLLM's metric names.
//
// The server is a discrete-event model, not a mock. The LLM engine does
// continuous batching as vLLM does: a number of slots, a KV-cache budget in
// tokens that a request reserves when it is admitted (prompt + max_tokens, as
// TGI does), a bounded waiting queue, and an engine step loop in which newly
// admitted requests are prefilled (cost growing with prompt tokens) while the
// running ones decode one token each (cost growing with the batch size), on
// top of a fixed cost per step.
// When the KV budget or the slots are exhausted, requests wait: above the
// saturation throughput the waiting queue grows without bound and time to
// first token rises sharply, the cliff real servers show.
//
// Noise is seeded and has four documented components, each of which can be
// turned off (see Noise): a per-request lognormal cost factor (sigma 0.08)
// that multiplies the request's prefill and its share of every decode step;
// a slowly varying environment factor that multiplies every step (an
// Ornstein-Uhlenbeck process on the log scale, sigma 0.03, correlation time
// 5 s); a per-instance shift drawn once from the seed (sigma 0.03, a
// different pod or GPU); and rare stalls (about one a minute, 200 ms mean)
// that freeze the engine.
//
// The same model runs under two drivers. Server serves it over HTTP in real
// time, sleeping until each engine event and streaming tokens as the model
// emits them. Simulate runs it in virtual time, as fast as the CPU allows,
// so that thousands of 60-second trials take seconds; two Simulate calls
// with different Config.Seed are two deployments, the same seed gives the
// same output. SaturationRPS gives the ground-truth saturation throughput of
// a configuration.
//
// Prompt tokens are estimated from text as one token per 4 characters
// (Unicode code points, rounded up), plus 4 tokens of chat template per chat
// message; token-id prompts count one token per id. See EstimateTokens.
package sim
