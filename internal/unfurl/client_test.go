package unfurl_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/parley-chat/parley/internal/unfurl"
)

// target is a server that counts the requests it receives: a refusal
// must be the client's, before any byte reaches it.
type target struct {
	srv  *httptest.Server
	hits atomic.Int64
	port string
}

func newTarget(tb testing.TB, network, addr string) *target {
	tb.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		tb.Fatalf("listen %s %s: %v", network, addr, err)
	}
	t := &target{}
	t.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.hits.Add(1)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<title>secret internal page</title>")
	}))
	t.srv.Listener.Close()
	t.srv.Listener = ln
	t.srv.Start()
	tb.Cleanup(t.srv.Close)
	_, t.port, _ = net.SplitHostPort(ln.Addr().String())
	return t
}

// front is an allowed server (the test's stand-in for a public site) that
// redirects /r?to=URL to URL and counts its requests.
type front struct {
	srv   *httptest.Server
	hits  atomic.Int64
	allow netip.AddrPort
}

func newFront(tb testing.TB, handler http.HandlerFunc) *front {
	tb.Helper()
	f := &front{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		handler(w, r)
	}))
	tb.Cleanup(f.srv.Close)
	f.allow = netip.MustParseAddrPort(f.srv.Listener.Addr().String())
	return f
}

// dnsServer is a real DNS server on loopback answering fixed records, and
// a resolver that asks only it. It records the names it was asked.
type dnsServer struct {
	resolver *net.Resolver
	mu       sync.Mutex
	asked    []string
}

func newDNS(tb testing.TB, records map[string][]string) *dnsServer {
	tb.Helper()
	d := &dnsServer{}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, NotifyStartedFunc: func() { close(started) },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(req)
			for _, q := range req.Question {
				d.mu.Lock()
				d.asked = append(d.asked, q.Name)
				d.mu.Unlock()
				for _, ip := range records[strings.TrimSuffix(q.Name, ".")] {
					addr := netip.MustParseAddr(ip)
					switch {
					case q.Qtype == dns.TypeA && addr.Is4():
						m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: addr.AsSlice()})
					case q.Qtype == dns.TypeAAAA && addr.Is6():
						m.Answer = append(m.Answer, &dns.AAAA{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: 60}, AAAA: addr.AsSlice()})
					}
				}
			}
			w.WriteMsg(m)
		})}
	go srv.ActivateAndServe()
	<-started
	tb.Cleanup(func() { srv.Shutdown() })
	addr := pc.LocalAddr().String()
	d.resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, "udp", addr)
	}}
	return d
}

func (d *dnsServer) askedFor(name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, a := range d.asked {
		if strings.TrimSuffix(a, ".") == name {
			return true
		}
	}
	return false
}

// loopbackV6 reports whether [::1] can be listened on here.
func loopbackV6() bool {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// The hosts of the issue, each naming a blocked address; port is filled in
// with a listening target's where the host is on this machine.
var blockedHosts = []struct {
	host string // as written in a URL, with %s for the port
	v6   bool
}{
	{"127.0.0.1:%s", false},
	{"[::1]:%s", true},
	{"169.254.169.254:%s", false},
	{"0x7f000001:%s", false},
	{"2130706433:%s", false},
	{"127.1:%s", false},
	{"0177.0.0.1:%s", false},
	{"[::ffff:127.0.0.1]:%s", false},
	{"0.0.0.0:%s", false},
}

func TestRefusesBlockedAddresses(t *testing.T) {
	v4 := newTarget(t, "tcp4", "127.0.0.1:0")
	var v6 *target
	if loopbackV6() {
		v6 = newTarget(t, "tcp6", "[::1]:0")
	}
	dnsSrv := newDNS(t, nil)
	f := newFront(t, func(w http.ResponseWriter, r *http.Request) {})
	c := unfurl.NewClient(unfurl.Options{Resolver: dnsSrv.resolver, Allow: []netip.AddrPort{f.allow}, Timeout: 5 * time.Second})
	for _, h := range blockedHosts {
		tg := v4
		if h.v6 && v6 != nil {
			tg = v6
		}
		host := fmt.Sprintf(h.host, tg.port)
		for _, via := range []string{"direct", "redirect"} {
			t.Run(via+"/"+host, func(t *testing.T) {
				link := "http://" + host + "/"
				if via == "redirect" {
					link = f.srv.URL + "/r?to=" + link
				}
				before := f.hits.Load()
				_, err := c.Get(context.Background(), link)
				if !errors.Is(err, unfurl.ErrBlocked) {
					t.Fatalf("Get(%s): %v, want ErrBlocked", link, err)
				}
				if via == "redirect" && f.hits.Load() != before+1 {
					t.Fatalf("the allowed front server was not asked first")
				}
			})
		}
	}
	if n := v4.hits.Load(); n != 0 {
		t.Errorf("the loopback target received %d requests", n)
	}
	if v6 != nil && v6.hits.Load() != 0 {
		t.Errorf("the [::1] target received %d requests", v6.hits.Load())
	}
	// Numeric hosts are addresses, never names: they must not reach a
	// resolver that could read them differently.
	for _, name := range []string{"0x7f000001", "2130706433", "127.1", "0177.0.0.1"} {
		if dnsSrv.askedFor(name) {
			t.Errorf("%s was sent to the resolver", name)
		}
	}
}

func TestRefusesNamesResolvingToBlockedAddresses(t *testing.T) {
	v4 := newTarget(t, "tcp4", "127.0.0.1:0")
	records := map[string][]string{
		"loopback.test":  {"127.0.0.1"},
		"loopback6.test": {"::1"},
		"metadata.test":  {"169.254.169.254"},
		// 0x7f000001, 2130706433 and 127.1 are notations of one address: in
		// a DNS answer they are the same four bytes as loopback.test's.
		"other-loopback.test": {"127.0.0.2"},
		"mapped.test":         {"::ffff:127.0.0.1"},
		"private.test":        {"10.1.2.3"},
		"private172.test":     {"172.16.5.4"},
		"private192.test":     {"192.168.1.1"},
		"cgnat.test":          {"100.64.0.1"},
		"ula.test":            {"fd00:ec2::254"},
		"linklocal6.test":     {"fe80::1"},
		"zero.test":           {"0.0.0.0"},
		"benchmark.test":      {"198.18.0.1"},
		"multicast.test":      {"224.0.0.1"},
		// One public and one private address: refused as a whole.
		"mixed.test": {"93.184.215.14", "127.0.0.1"},
	}
	dnsSrv := newDNS(t, records)
	f := newFront(t, func(w http.ResponseWriter, r *http.Request) {})
	c := unfurl.NewClient(unfurl.Options{Resolver: dnsSrv.resolver, Allow: []netip.AddrPort{f.allow}, Timeout: 5 * time.Second})
	for name := range records {
		for _, via := range []string{"direct", "redirect"} {
			t.Run(via+"/"+name, func(t *testing.T) {
				link := "http://" + name + ":" + v4.port + "/"
				if via == "redirect" {
					link = f.srv.URL + "/r?to=" + link
				}
				_, err := c.Get(context.Background(), link)
				if !errors.Is(err, unfurl.ErrBlocked) {
					t.Fatalf("Get(%s): %v, want ErrBlocked", link, err)
				}
				if !dnsSrv.askedFor(name) {
					t.Fatalf("%s was not resolved through the test's DNS server", name)
				}
			})
		}
	}
	if n := v4.hits.Load(); n != 0 {
		t.Errorf("the loopback target received %d requests", n)
	}
}

func TestAllowIsExactAddressAndPort(t *testing.T) {
	f := newFront(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<title>ok</title>")
	})
	other := newTarget(t, "tcp4", "127.0.0.1:0")
	c := unfurl.NewClient(unfurl.Options{Allow: []netip.AddrPort{f.allow}})
	if _, err := c.Get(context.Background(), f.srv.URL+"/"); err != nil {
		t.Fatalf("allowed server: %v", err)
	}
	if _, err := c.Get(context.Background(), "http://127.0.0.1:"+other.port+"/"); !errors.Is(err, unfurl.ErrBlocked) {
		t.Fatalf("same address, other port: %v", err)
	}
	if _, err := unfurl.NewClient(unfurl.Options{}).Get(context.Background(), f.srv.URL+"/"); !errors.Is(err, unfurl.ErrBlocked) {
		t.Fatalf("a client without Allow reached loopback: %v", err)
	}
}

func TestRedirectsAndSchemes(t *testing.T) {
	var f *front
	f = newFront(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/page":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<title>followed</title>")
		case "/json":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, "{}")
		case "/missing":
			http.NotFound(w, r)
		}
	})
	c := unfurl.NewClient(unfurl.Options{Allow: []netip.AddrPort{f.allow}, MaxRedirects: 3})
	ctx := context.Background()
	if p, err := c.Get(ctx, f.srv.URL+"/r?to=/page"); err != nil || !strings.Contains(string(p.Body), "followed") || p.URL.Path != "/page" {
		t.Fatalf("one redirect: %+v %v", p, err)
	}
	before := f.hits.Load()
	if _, err := c.Get(ctx, f.srv.URL+"/loop"); err == nil || !strings.Contains(err.Error(), "redirects") {
		t.Fatalf("redirect loop: %v", err)
	}
	if n := f.hits.Load() - before; n != 4 {
		t.Fatalf("redirect loop made %d requests, want 4 (the first and 3 redirects)", n)
	}
	for _, to := range []string{"file:///etc/passwd", "ftp://example.com/", "gopher://127.0.0.1:70/", "http://user:pw@example.com/"} {
		if _, err := c.Get(ctx, f.srv.URL+"/r?to="+to); err == nil {
			t.Errorf("redirect to %s followed", to)
		}
		if _, err := c.Get(ctx, to); err == nil {
			t.Errorf("%s fetched", to)
		}
	}
	if _, err := c.Get(ctx, f.srv.URL+"/json"); !errors.Is(err, unfurl.ErrNotHTML) {
		t.Fatalf("JSON: %v", err)
	}
	if _, err := c.Get(ctx, f.srv.URL+"/missing"); err == nil {
		t.Fatal("404 accepted")
	}
}

func TestCapsSizeAndTime(t *testing.T) {
	release := make(chan struct{})
	f := newFront(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		switch r.URL.Path {
		case "/big":
			fmt.Fprint(w, "<title>big</title>")
			chunk := strings.Repeat("x", 64<<10)
			for range 64 { // 4 MiB
				if _, err := fmt.Fprint(w, chunk); err != nil {
					return
				}
			}
		case "/slow":
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			select { // a body that never ends
			case <-release:
			case <-r.Context().Done():
			}
		}
	})
	t.Cleanup(func() { close(release) })
	c := unfurl.NewClient(unfurl.Options{Allow: []netip.AddrPort{f.allow}, MaxBytes: 1000, Timeout: 300 * time.Millisecond})
	p, err := c.Get(context.Background(), f.srv.URL+"/big")
	if err != nil || len(p.Body) != 1000 || !strings.HasPrefix(string(p.Body), "<title>big") {
		t.Fatalf("big page: %d bytes, %v; want the first 1000", len(p.Body), err)
	}
	if _, err := c.Get(context.Background(), f.srv.URL+"/slow"); err == nil {
		t.Fatal("a body that never ends was accepted")
	}
}

func TestBlocked(t *testing.T) {
	for _, tc := range []struct {
		ip      string
		blocked bool
	}{
		{"127.0.0.1", true}, {"127.255.255.254", true}, {"::1", true}, {"::", true}, {"0.0.0.0", true},
		{"10.0.0.1", true}, {"172.16.0.1", true}, {"172.31.255.255", true}, {"192.168.0.1", true},
		{"169.254.169.254", true}, {"100.64.0.1", true}, {"100.127.255.255", true}, {"100.100.100.200", true},
		{"198.18.0.1", true}, {"198.19.255.255", true}, {"224.0.0.1", true}, {"255.255.255.255", true},
		{"::ffff:127.0.0.1", true}, {"::ffff:10.0.0.1", true}, {"::127.0.0.1", true}, {"64:ff9b::7f00:1", true},
		{"fc00::1", true}, {"fd00:ec2::254", true}, {"fe80::1", true}, {"ff02::1", true}, {"2002:7f00:1::", true},
		{"8.8.8.8", false}, {"93.184.215.14", false}, {"172.32.0.1", false}, {"100.128.0.1", false},
		{"2606:4700::1111", false}, {"::ffff:8.8.8.8", false}, {"1.1.1.1", false},
	} {
		if got := unfurl.Blocked(netip.MustParseAddr(tc.ip)); got != tc.blocked {
			t.Errorf("Blocked(%s) = %v, want %v", tc.ip, got, tc.blocked)
		}
	}
}
