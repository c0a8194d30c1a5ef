// Package s3blob stores blobs in a bucket of an S3-compatible object store
// (AWS S3, Ceph RGW, SeaweedFS, versitygw, MinIO...), speaking the small
// part of the S3 REST API Parley needs: PUT, ranged GET, HEAD and DELETE of
// objects, signed with AWS Signature Version 4, path-style addressing. It
// passes the same conformance suite (blob/blobtest) as the local disk.
package s3blob

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/blob"
	"github.com/parley-chat/parley/internal/errs"
)

// Config names a bucket and the credentials to use it.
type Config struct {
	Endpoint  string // http(s)://host[:port] of the S3 API, optionally with a path prefix
	Bucket    string
	Region    string // default us-east-1
	AccessKey string
	SecretKey string
	// HTTP is the client to use; nil: a client with sane timeouts.
	HTTP *http.Client
}

// Bucket is a blob store in one S3 bucket.
type Bucket struct {
	base   *url.URL // endpoint + "/" + bucket
	cfg    Config
	client *http.Client
	now    func() time.Time
}

// New returns a store in the configured bucket, which must exist. It does
// not contact the server; Check does.
func New(cfg Config) (*Bucket, error) {
	u, err := url.Parse(strings.TrimRight(cfg.Endpoint, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("s3blob: endpoint %q: want http(s)://host[:port]", cfg.Endpoint)
	}
	if cfg.Bucket == "" || strings.ContainsAny(cfg.Bucket, "/?#") {
		return nil, fmt.Errorf("s3blob: bucket %q is not a bucket name", cfg.Bucket)
	}
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, errors.New("s3blob: access key and secret key are required")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	client := cfg.HTTP
	if client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.ResponseHeaderTimeout = 60 * time.Second
		client = &http.Client{Transport: tr}
	}
	u.Path += "/" + cfg.Bucket
	return &Bucket{base: u, cfg: cfg, client: client, now: time.Now}, nil
}

// Check verifies that the bucket exists and the credentials work (a HEAD
// of the bucket), for a clear error at start-up rather than at the first
// upload.
func (b *Bucket) Check(ctx context.Context) error {
	resp, err := b.do(ctx, http.MethodHead, "", nil, -1, "", nil)
	if err != nil {
		return fmt.Errorf("s3blob: bucket %s at %s: %w", b.cfg.Bucket, b.cfg.Endpoint, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("s3blob: bucket %s at %s: HTTP %d", b.cfg.Bucket, b.cfg.Endpoint, resp.StatusCode)
	}
	return nil
}

const unsignedPayload = "UNSIGNED-PAYLOAD"

// Put stores exactly size bytes from r under key. The payload is signed
// with its SHA-256 when r can be read twice (an io.ReadSeeker); otherwise
// it is sent as UNSIGNED-PAYLOAD and its length checked after.
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	const op = "s3blob.Put"
	if err := blob.CheckKey(op, key); err != nil {
		return err
	}
	hash := unsignedPayload
	if rs, ok := r.(io.ReadSeeker); ok {
		start, err := rs.Seek(0, io.SeekCurrent)
		if err != nil {
			return errs.E(op, errs.Unavailable, "", err)
		}
		h := sha256.New()
		n, err := io.Copy(h, io.LimitReader(rs, size+1))
		if err != nil {
			return errs.E(op, errs.Unavailable, "", err)
		}
		if n != size {
			return errs.New(op, errs.Invalid, "blob_size_mismatch")
		}
		if _, err := rs.Seek(start, io.SeekStart); err != nil {
			return errs.E(op, errs.Unavailable, "", err)
		}
		hash = hex.EncodeToString(h.Sum(nil))
	}
	cr := &countingReader{r: io.LimitReader(r, size)}
	var body io.Reader = cr
	if size == 0 {
		body = http.NoBody
	}
	resp, err := b.do(ctx, http.MethodPut, key, body, size, hash, nil)
	if err != nil {
		if cr.n != size {
			return errs.E(op, errs.Invalid, "blob_size_mismatch", err)
		}
		return errs.E(op, errs.Unavailable, "", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s3Err(op, resp)
	}
	if hash == unsignedPayload {
		// More bytes than size: the stored object is a truncation.
		if n, _ := r.Read(make([]byte, 1)); n > 0 {
			b.Delete(context.WithoutCancel(ctx), key)
			return errs.New(op, errs.Invalid, "blob_size_mismatch")
		}
	}
	return nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Open opens the object under key: a HEAD for its size, then ranged GETs
// as it is read, so that seeking (HTTP range requests of our own clients)
// fetches only what is read.
func (b *Bucket) Open(ctx context.Context, key string) (blob.Object, error) {
	const op = "s3blob.Open"
	if err := blob.CheckKey(op, key); err != nil {
		return nil, err
	}
	resp, err := b.do(ctx, http.MethodHead, key, nil, -1, "", nil)
	if err != nil {
		return nil, errs.E(op, errs.Unavailable, "", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, s3Err(op, resp)
	}
	if resp.ContentLength < 0 {
		return nil, errs.E(op, errs.Unavailable, "", errors.New("HEAD without Content-Length"))
	}
	return &object{b: b, ctx: ctx, key: key, size: resp.ContentLength}, nil
}

// Delete removes the object under key; a missing object is not an error.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	const op = "s3blob.Delete"
	if err := blob.CheckKey(op, key); err != nil {
		return err
	}
	resp, err := b.do(ctx, http.MethodDelete, key, nil, -1, "", nil)
	if err != nil {
		return errs.E(op, errs.Unavailable, "", err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK, http.StatusNoContent, http.StatusNotFound:
		return nil
	}
	return s3Err(op, resp)
}

// object reads an object with ranged GETs from its current offset.
type object struct {
	b    *Bucket
	ctx  context.Context
	key  string
	size int64
	off  int64
	body io.ReadCloser // open GET from off, or nil
}

func (o *object) Size() int64 { return o.size }

func (o *object) Read(p []byte) (int, error) {
	if o.off >= o.size {
		return 0, io.EOF
	}
	if o.body == nil {
		hdr := http.Header{"Range": {"bytes=" + strconv.FormatInt(o.off, 10) + "-"}}
		resp, err := o.b.do(o.ctx, http.MethodGet, o.key, nil, -1, "", hdr)
		if err != nil {
			return 0, errs.E("s3blob.Read", errs.Unavailable, "", err)
		}
		if resp.StatusCode != http.StatusPartialContent && !(resp.StatusCode == http.StatusOK && o.off == 0) {
			defer resp.Body.Close()
			return 0, s3Err("s3blob.Read", resp)
		}
		o.body = resp.Body
	}
	n, err := o.body.Read(p)
	o.off += int64(n)
	if err == io.EOF && o.off < o.size {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (o *object) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = o.off + offset
	case io.SeekEnd:
		abs = o.size + offset
	default:
		return o.off, errors.New("s3blob: bad whence")
	}
	if abs < 0 {
		return o.off, errors.New("s3blob: seek before the start")
	}
	if abs != o.off && o.body != nil {
		o.body.Close()
		o.body = nil
	}
	o.off = abs
	return abs, nil
}

func (o *object) Close() error {
	if o.body != nil {
		err := o.body.Close()
		o.body = nil
		return err
	}
	return nil
}

// s3Error is the XML error body of S3.
type s3Error struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// s3Err turns an error answer into an error: NotFound (blob_not_found) for
// a missing object, Unavailable with the server's code otherwise.
func s3Err(op string, resp *http.Response) error {
	var e s3Error
	if resp.Body != nil {
		xml.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&e)
	}
	if resp.StatusCode == http.StatusNotFound && (e.Code == "" || e.Code == "NoSuchKey") {
		return errs.E(op, errs.NotFound, "blob_not_found", fmt.Errorf("HTTP %d %s", resp.StatusCode, e.Code))
	}
	return errs.E(op, errs.Unavailable, "", fmt.Errorf("S3 answered HTTP %d %s: %s", resp.StatusCode, e.Code, e.Message))
}

// do sends a signed request for key ("" for the bucket itself). size is
// the body's length (-1: no body); hash is the payload's hex SHA-256 or
// UNSIGNED-PAYLOAD ("" for no body).
func (b *Bucket) do(ctx context.Context, method, key string, body io.Reader, size int64, hash string, hdr http.Header) (*http.Response, error) {
	u := *b.base
	if key != "" {
		u.Path += "/" + key
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if size >= 0 {
		req.ContentLength = size
	}
	if hash == "" {
		hash = emptyHash
	}
	b.sign(req, hash)
	return b.client.Do(req)
}

var emptyHash = hex.EncodeToString(sha256.New().Sum(nil))

// sign adds AWS Signature Version 4 headers to req.
func (b *Bucket) sign(req *http.Request, payloadHash string) {
	t := b.now().UTC()
	amzDate := t.Format("20060102T150405Z")
	day := t.Format("20060102")
	req.Header.Set("X-Amz-Date", amzDate)
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	host := req.URL.Host
	signed := "host;x-amz-content-sha256;x-amz-date"
	canonHeaders := "host:" + host + "\n" + "x-amz-content-sha256:" + payloadHash + "\n" + "x-amz-date:" + amzDate + "\n"
	canonical := strings.Join([]string{req.Method, escapePath(req.URL.Path), canonicalQuery(req.URL.Query()), canonHeaders,
		signed, payloadHash}, "\n")
	scope := day + "/" + b.cfg.Region + "/s3/aws4_request"
	sum := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := hmacSHA256([]byte("AWS4"+b.cfg.SecretKey), day)
	key = hmacSHA256(key, b.cfg.Region)
	key = hmacSHA256(key, "s3")
	key = hmacSHA256(key, "aws4_request")
	sig := hex.EncodeToString(hmacSHA256(key, toSign))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+b.cfg.AccessKey+"/"+scope+
		", SignedHeaders="+signed+", Signature="+sig)
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// escapePath URI-encodes a path as SigV4 wants: every byte but the
// unreserved characters and '/'.
func escapePath(p string) string {
	var sb strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "%%%02X", c)
		}
	}
	if sb.Len() == 0 {
		return "/"
	}
	return sb.String()
}

func canonicalQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	return strings.ReplaceAll(q.Encode(), "+", "%20")
}
