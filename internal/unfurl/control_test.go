package unfurl

import (
	"errors"
	"net/netip"
	"testing"
)

// TestControlChecksTheSocketAddress covers the last check, on the socket
// about to connect, which the resolver-side check normally makes redundant:
// it must refuse on its own, whatever resolved the address.
func TestControlChecksTheSocketAddress(t *testing.T) {
	c := NewClient(Options{Allow: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:8443")}})
	for _, addr := range []string{"127.0.0.1:80", "[::1]:443", "169.254.169.254:80", "[::ffff:10.0.0.1]:80", "[fe80::1%eth0]:80", "not-an-address"} {
		if err := c.control("tcp", addr, nil); !errors.Is(err, ErrBlocked) {
			t.Errorf("control(%s) = %v, want ErrBlocked", addr, err)
		}
	}
	for _, addr := range []string{"93.184.215.14:443", "[2606:4700::1111]:443", "127.0.0.1:8443"} {
		if err := c.control("tcp", addr, nil); err != nil {
			t.Errorf("control(%s) = %v, want nil", addr, err)
		}
	}
}

func TestHostIP(t *testing.T) {
	for host, want := range map[string]string{
		"2130706433": "127.0.0.1", "0x7f000001": "127.0.0.1", "0X7F000001": "127.0.0.1", "127.1": "127.0.0.1",
		"0177.0.0.1": "127.0.0.1", "127.0.1": "127.0.0.1", "0x7f.1": "127.0.0.1", "[::1]": "::1", "10.1.2.3.": "10.1.2.3",
	} {
		if ip, ok := hostIP(host); !ok || ip != netip.MustParseAddr(want) {
			t.Errorf("hostIP(%q) = %v, %v; want %s", host, ip, ok, want)
		}
	}
	for _, host := range []string{"example.com", "1.2.3.com", "256.1.1.1.1", "4294967296", "0x", "1..2", "", "127.0.0.256"} {
		if ip, ok := hostIP(host); ok {
			t.Errorf("hostIP(%q) = %v, want a name", host, ip)
		}
	}
}
