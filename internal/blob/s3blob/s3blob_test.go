package s3blob_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/blob/blobtest"
	"github.com/parley-chat/parley/internal/blob/s3blob"
	"github.com/parley-chat/parley/internal/blob/s3blob/s3test"
	"github.com/parley-chat/parley/internal/errs"
)

func bucket(tb testing.TB, g *s3test.Gateway, name string) *s3blob.Bucket {
	tb.Helper()
	b, err := s3blob.New(s3blob.Config{Endpoint: g.URL, Bucket: name, AccessKey: s3test.AccessKey, SecretKey: s3test.SecretKey})
	if err != nil {
		tb.Fatal(err)
	}
	if err := b.Check(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return b
}

// The conformance suite on a real S3-compatible server, a new bucket per test.
func TestS3(t *testing.T) {
	g := s3test.Start(t)
	blobtest.Run(t, func(tb testing.TB) blobtest.Store { return bucket(tb, g, g.NewBucket(tb)) })
}

// Objects are where S3 says they are: other S3 clients (backups, lifecycle
// rules) see the same keys and bytes.
func TestS3ObjectsAreObjects(t *testing.T) {
	g := s3test.Start(t)
	name := g.NewBucket(t)
	b := bucket(t, g, name)
	if err := b.Put(context.Background(), "7/abc", strings.NewReader("hello"), 5); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(g.Root, name, "7", "abc"))
	if err != nil || string(data) != "hello" {
		t.Fatalf("object on the gateway: %q %v", data, err)
	}
}

func TestS3WrongCredentialsOrBucket(t *testing.T) {
	g := s3test.Start(t)
	name := g.NewBucket(t)
	wrong, err := s3blob.New(s3blob.Config{Endpoint: g.URL, Bucket: name, AccessKey: s3test.AccessKey, SecretKey: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	if err := wrong.Check(context.Background()); err == nil {
		t.Fatal("wrong secret accepted")
	}
	if err := wrong.Put(context.Background(), "k", strings.NewReader("x"), 1); errs.KindOf(err) != errs.Unavailable {
		t.Fatalf("put with a wrong secret: %v", err)
	}
	missing, err := s3blob.New(s3blob.Config{Endpoint: g.URL, Bucket: "no-such-bucket", AccessKey: s3test.AccessKey, SecretKey: s3test.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	if err := missing.Check(context.Background()); err == nil {
		t.Fatal("a missing bucket passed the check")
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, c := range []s3blob.Config{
		{Endpoint: "ftp://x", Bucket: "b", AccessKey: "a", SecretKey: "s"},
		{Endpoint: "http://x", Bucket: "", AccessKey: "a", SecretKey: "s"},
		{Endpoint: "http://x", Bucket: "a/b", AccessKey: "a", SecretKey: "s"},
		{Endpoint: "http://x", Bucket: "b"},
	} {
		if _, err := s3blob.New(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
