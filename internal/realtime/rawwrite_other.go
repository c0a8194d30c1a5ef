//go:build !unix

package realtime

import "net"

// rawWriter is unavailable here: every frame goes through the writer
// goroutine.
type rawWriter struct{}

func newRawWriter(net.Conn) rawWriter { return rawWriter{} }

func (rawWriter) ok() bool { return false }

func (rawWriter) tryWrite(b []byte) (int, error) { return 0, nil }
