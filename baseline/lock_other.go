//go:build !unix

package baseline

// lockFile is a no-op where advisory file locks are not available: index
// updates are then serialised only within one process.
func lockFile(path string) (func(), error) { return func() {}, nil }
