//go:build !unix

package realtime

import "errors"

// dupCloexec is not available here: Client.Detach fails and callers keep
// reading with Next.
func dupCloexec(int) (int, error) {
	return -1, errors.New("realtime: detach is not supported on this platform")
}
