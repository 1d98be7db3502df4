//go:build !(linux && (amd64 || arm64 || riscv64 || ppc64 || ppc64le || s390x || loong64 || mips64 || mips64le))

package load

import "context"

func newWaiter(ctx context.Context) waiter { return newGoTimerWaiter(ctx) }
