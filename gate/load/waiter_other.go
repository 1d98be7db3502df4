//go:build !linux

package load

import "context"

func newWaiter(ctx context.Context) waiter { return newGoTimerWaiter(ctx) }
