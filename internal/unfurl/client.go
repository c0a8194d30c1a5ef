package unfurl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrBlocked is wrapped by every refusal to connect to a blocked address
// (see Blocked), whether named directly, resolved from a name or reached by
// a redirect.
var ErrBlocked = errors.New("address not allowed")

// Options configure a Client. The zero value is usable.
type Options struct {
	Timeout  time.Duration // whole fetch, redirects included; default 5s
	MaxBytes int64         // of a response body read; default 512 KiB
	// MaxImageBytes refuses longer images (GetImage); default 2 MiB.
	MaxImageBytes int64
	MaxRedirects  int    // default 3
	UserAgent     string // default "Parley-LinkPreview/1.0"
	// Resolver resolves host names; nil is the system resolver. Tests point
	// it at a DNS server of their own.
	Resolver *net.Resolver
	// Allow lets the client connect to these exact addresses and ports
	// despite Blocked. It exists so that tests can fetch from a server on
	// loopback; the server never sets it (there is no configuration for it).
	Allow []netip.AddrPort
}

// Client fetches web pages for previews without reaching the server's own
// networks: the address is checked after DNS resolution, at connect time
// (so a name that resolves differently the second time cannot slip
// through), on every redirect, and responses are capped in time and size.
// Only http and https are fetched, on any port, never through a proxy.
type Client struct {
	opt  Options
	http *http.Client
}

// NewClient returns a client.
func NewClient(o Options) *Client {
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 512 << 10
	}
	if o.MaxImageBytes <= 0 {
		o.MaxImageBytes = 2 << 20
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = 3
	}
	if o.UserAgent == "" {
		o.UserAgent = "Parley-LinkPreview/1.0"
	}
	c := &Client{opt: o}
	tr := &http.Transport{
		Proxy:                  nil, // a proxy would be the address checked, not the target
		DialContext:            c.dial,
		TLSHandshakeTimeout:    o.Timeout,
		ResponseHeaderTimeout:  o.Timeout,
		MaxResponseHeaderBytes: 32 << 10,
		MaxIdleConns:           16,
		IdleConnTimeout:        30 * time.Second,
		ForceAttemptHTTP2:      true,
	}
	c.http = &http.Client{
		Transport: tr,
		Timeout:   o.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > o.MaxRedirects {
				return fmt.Errorf("more than %d redirects", o.MaxRedirects)
			}
			// The new address is checked when the transport dials it.
			return checkURL(req.URL)
		},
	}
	return c
}

// checkURL refuses what is not a plain http(s) URL, and URLs whose host is a
// blocked address in any notation (the dialer would refuse it too; failing
// here gives the clearer error and never touches the resolver).
func checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme %q not fetched", u.Scheme)
	}
	if u.User != nil {
		return errors.New("URL with credentials not fetched")
	}
	if u.Hostname() == "" {
		return errors.New("URL without host")
	}
	return nil
}

// dial resolves the host itself, refuses the connection when any of its
// addresses is blocked, and dials the checked address; the dialer's Control
// hook checks again on the socket about to connect.
func (c *Client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var ips []netip.Addr
	if ip, ok := hostIP(host); ok {
		ips = []netip.Addr{ip}
	} else {
		r := c.opt.Resolver
		if r == nil {
			r = net.DefaultResolver
		}
		if ips, err = r.LookupNetIP(ctx, "ip", host); err != nil {
			return nil, err
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("%s: no address", host)
	}
	// A name with any blocked address is refused outright: public names do
	// not point into private networks, and trying the others would make the
	// outcome depend on their order.
	for _, ip := range ips {
		if err := c.check(ip, port); err != nil {
			return nil, fmt.Errorf("%s: %w", host, err)
		}
	}
	d := net.Dialer{Timeout: c.opt.Timeout, Control: c.control}
	var lastErr error
	for _, ip := range ips {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// control runs on the socket just before it connects: the last word on the
// address, whatever resolved it.
func (c *Client) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrBlocked, address)
	}
	return c.check(ap.Addr(), fmt.Sprint(ap.Port()))
}

func (c *Client) check(ip netip.Addr, port string) error {
	if !Blocked(ip) {
		return nil
	}
	for _, a := range c.opt.Allow {
		if a.Addr() == ip.Unmap() && fmt.Sprint(a.Port()) == port {
			return nil
		}
	}
	return fmt.Errorf("%w: %s", ErrBlocked, ip)
}

// Page is a fetched HTML page: the URL it was finally served from and the
// start of its body, decoded to UTF-8 by the HTML parser.
type Page struct {
	URL         *url.URL
	ContentType string
	Body        []byte // at most MaxBytes
}

// ErrNotHTML is returned for a response that is not an HTML page.
var ErrNotHTML = errors.New("not an HTML page")

// Get fetches an HTML page. It returns ErrBlocked (wrapped) when the URL or
// a redirect leads to a blocked address, ErrNotHTML for other content, and
// an error for non-2xx statuses, timeouts and network failures.
func (c *Client) Get(ctx context.Context, rawURL string) (Page, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opt.Timeout)
	defer cancel()
	resp, err := c.do(ctx, rawURL, "text/html,application/xhtml+xml;q=0.9")
	if err != nil {
		return Page{}, err
	}
	defer resp.Body.Close()
	ct := resp.Header.Get("Content-Type")
	mt := mediaType(ct)
	if mt != "text/html" && mt != "application/xhtml+xml" {
		return Page{}, fmt.Errorf("%w: %q", ErrNotHTML, mt)
	}
	// The head of a page, which holds what a preview needs, comes first: a
	// longer body is cut, not refused.
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opt.MaxBytes))
	if err != nil {
		return Page{}, err
	}
	return Page{URL: resp.Request.URL, ContentType: ct, Body: body}, nil
}

// ErrNotImage is returned for a response that is not an image.
var ErrNotImage = errors.New("not an image")

// ErrTooLarge is returned for an image longer than MaxImageBytes.
var ErrTooLarge = errors.New("image too large")

// GetImage fetches an image (a preview's og:image) with the same checks as
// Get: it returns ErrBlocked (wrapped) for a blocked address, ErrNotImage
// unless the response says image/*, and ErrTooLarge when the body is longer
// than MaxImageBytes (a cut image is useless, so it is refused, not cut).
// The bytes are whatever the site sent: callers must decode and re-encode
// them, never serve them.
func (c *Client) GetImage(ctx context.Context, rawURL string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opt.Timeout)
	defer cancel()
	resp, err := c.do(ctx, rawURL, "image/png,image/jpeg,image/webp,image/gif;q=0.9")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if mt := mediaType(resp.Header.Get("Content-Type")); !strings.HasPrefix(mt, "image/") {
		return nil, fmt.Errorf("%w: %q", ErrNotImage, mt)
	}
	if resp.ContentLength > c.opt.MaxImageBytes {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, resp.ContentLength)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opt.MaxImageBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > c.opt.MaxImageBytes {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, c.opt.MaxImageBytes)
	}
	return body, nil
}

// do sends a GET through the checked transport and returns a 2xx response.
func (c *Client) do(ctx context.Context, rawURL, accept string) (*http.Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if err := checkURL(u); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", c.opt.UserAgent)
	req.Header.Set("Accept", accept)
	req.Header.Set("Accept-Language", "en, zh-CN;q=0.9")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		resp.Body.Close()
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	return resp, nil
}

func mediaType(ct string) string {
	return strings.ToLower(strings.TrimSpace(strings.Split(ct, ";")[0]))
}
