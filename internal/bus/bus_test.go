package bus_test

import (
	"testing"

	"github.com/parley-chat/parley/internal/bus"
	"github.com/parley-chat/parley/internal/bus/bustest"
)

// The in-process bus passes the conformance suite the NATS bus passes
// (internal/bus/natsbus).
func TestLocalConformance(t *testing.T) {
	bustest.Run(t, bustest.Backend{New: func(testing.TB) bustest.Bus { return bus.NewLocal(4) }})
}
