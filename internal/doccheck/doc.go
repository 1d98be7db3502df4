// Package doccheck holds tests of the examples in the documentation (the
// Kubernetes manifests of docs/sharding.md), so that the docs cannot rot.
// It has no code of its own.
package doccheck
