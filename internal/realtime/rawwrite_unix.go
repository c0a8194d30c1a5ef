//go:build unix

package realtime

import (
	"errors"
	"net"
	"os"
	"syscall"
)

// rawWriter writes to a socket without blocking. It is the fast path of
// conn.enqueue: when a client is keeping up, a frame goes out in one
// write(2) from the delivering goroutine (ADR 0021).
type rawWriter struct{ rc syscall.RawConn }

// newRawWriter returns nc's non-blocking writer, or nil when nc is not a
// plain socket (TLS, a pipe in tests): those conns use the writer goroutine.
func newRawWriter(nc net.Conn) rawWriter {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return rawWriter{}
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return rawWriter{}
	}
	return rawWriter{rc}
}

func (w rawWriter) ok() bool { return w.rc != nil }

// tryWrite makes one write(2) attempt and reports how much of b the socket
// took: less than len(b) (possibly 0) when its buffer is full, or 0 when
// a write deadline set for the writer goroutine has passed (the writer
// clears it when it finishes; if one remains, the writer takes the frame). The runtime
// keeps sockets non-blocking, and returning true from the callback stops
// RawConn.Write from waiting for the socket to become writable.
func (w rawWriter) tryWrite(b []byte) (int, error) {
	var n int
	var werr error
	err := w.rc.Write(func(fd uintptr) bool {
		for {
			n, werr = syscall.Write(int(fd), b)
			if werr != syscall.EINTR {
				return true
			}
		}
	})
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// A write deadline left by the writer goroutine: let it write.
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if werr == syscall.EAGAIN {
		return 0, nil
	}
	if werr != nil {
		return 0, werr
	}
	if n < 0 {
		return 0, errors.New("realtime: negative write")
	}
	return n, nil
}
