// Package blobtest is the conformance suite every blob store passes: the
// local disk and the S3-compatible object store run the same tests, so the
// file service can rely on one contract whatever holds the bytes.
package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/parley-chat/parley/internal/blob"
	"github.com/parley-chat/parley/internal/errs"
)

// Store is the contract under test.
type Store interface {
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	Open(ctx context.Context, key string) (blob.Object, error)
	Delete(ctx context.Context, key string) error
}

// Run runs the suite on the stores newStore returns; each call returns an
// empty store (a new directory, a new bucket).
func Run(t *testing.T, newStore func(tb testing.TB) Store) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, Store)
	}{
		{"PutOpenDelete", testPutOpenDelete},
		{"Overwrite", testOverwrite},
		{"Seek", testSeek},
		{"Empty", testEmpty},
		{"Large", testLarge},
		{"SizeMismatch", testSizeMismatch},
		{"BadKeys", testBadKeys},
		{"Concurrent", testConcurrent},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

var ctx = context.Background()

func put(tb testing.TB, s Store, key string, data []byte) {
	tb.Helper()
	if err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
		tb.Fatalf("put %s: %v", key, err)
	}
}

func get(tb testing.TB, s Store, key string) []byte {
	tb.Helper()
	o, err := s.Open(ctx, key)
	if err != nil {
		tb.Fatalf("open %s: %v", key, err)
	}
	defer o.Close()
	b, err := io.ReadAll(o)
	if err != nil {
		tb.Fatalf("read %s: %v", key, err)
	}
	if int64(len(b)) != o.Size() {
		tb.Fatalf("%s: read %d bytes, Size says %d", key, len(b), o.Size())
	}
	return b
}

func random(tb testing.TB, n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func testPutOpenDelete(t *testing.T, s Store) {
	data := []byte("hello, 你好\x00\xff")
	put(t, s, "1/abc/file.bin", data)
	if got := get(t, s, "1/abc/file.bin"); !bytes.Equal(got, data) {
		t.Fatalf("got %q", got)
	}
	if _, err := s.Open(ctx, "1/abc/other.bin"); errs.CodeOf(err) != "blob_not_found" || errs.KindOf(err) != errs.NotFound {
		t.Fatalf("missing blob: %v", err)
	}
	if err := s.Delete(ctx, "1/abc/file.bin"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, "1/abc/file.bin"); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("deleted blob: %v", err)
	}
	if err := s.Delete(ctx, "1/abc/file.bin"); err != nil {
		t.Fatalf("deleting a missing blob: %v", err)
	}
}

func testOverwrite(t *testing.T, s Store) {
	put(t, s, "k", []byte("first version, longer"))
	put(t, s, "k", []byte("second"))
	if got := get(t, s, "k"); string(got) != "second" {
		t.Fatalf("got %q", got)
	}
}

func testSeek(t *testing.T, s Store) {
	data := random(t, 100_000)
	put(t, s, "seek/x", data)
	o, err := s.Open(ctx, "seek/x")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if end, err := o.Seek(0, io.SeekEnd); err != nil || end != int64(len(data)) {
		t.Fatalf("seek end: %d %v", end, err)
	}
	for _, off := range []int64{50_000, 10, 99_990, 0} {
		if pos, err := o.Seek(off, io.SeekStart); err != nil || pos != off {
			t.Fatalf("seek %d: %d %v", off, pos, err)
		}
		buf := make([]byte, 10)
		if _, err := io.ReadFull(o, buf); err != nil || !bytes.Equal(buf, data[off:off+10]) {
			t.Fatalf("read at %d: %v", off, err)
		}
	}
	// Relative seek from the current position (10 after the last read).
	if pos, err := o.Seek(5, io.SeekCurrent); err != nil || pos != 15 {
		t.Fatalf("seek current: %d %v", pos, err)
	}
	rest, err := io.ReadAll(o)
	if err != nil || !bytes.Equal(rest, data[15:]) {
		t.Fatalf("read rest: %d bytes, %v", len(rest), err)
	}
	if _, err := o.Seek(-1, io.SeekStart); err == nil {
		t.Fatal("seek before the start succeeded")
	}
}

func testEmpty(t *testing.T, s Store) {
	put(t, s, "empty", nil)
	if got := get(t, s, "empty"); len(got) != 0 {
		t.Fatalf("got %d bytes", len(got))
	}
}

func testLarge(t *testing.T, s Store) {
	data := random(t, 6<<20)
	put(t, s, "large/blob", data)
	if got := get(t, s, "large/blob"); !bytes.Equal(got, data) {
		t.Fatalf("large blob differs (%d bytes back)", len(got))
	}
}

func testSizeMismatch(t *testing.T, s Store) {
	for _, n := range []int64{3, 20} {
		err := s.Put(ctx, "short", strings.NewReader("0123456789"), n)
		if errs.CodeOf(err) != "blob_size_mismatch" {
			t.Fatalf("size %d for 10 bytes: %v", n, err)
		}
		if _, err := s.Open(ctx, "short"); errs.KindOf(err) != errs.NotFound {
			t.Fatalf("a failed put left a blob: %v", err)
		}
	}
}

func testBadKeys(t *testing.T, s Store) {
	for _, k := range []string{"", "../x", "a/../../x", "/abs", "a//b", "A", "a b", "a/", "x\x00", strings.Repeat("a", blob.MaxKeyLen+1)} {
		if err := s.Put(ctx, k, strings.NewReader("x"), 1); errs.CodeOf(err) != "blob_key_invalid" {
			t.Errorf("put %q: %v", k, err)
		}
		if _, err := s.Open(ctx, k); errs.CodeOf(err) != "blob_key_invalid" {
			t.Errorf("open %q: %v", k, err)
		}
		if err := s.Delete(ctx, k); errs.CodeOf(err) != "blob_key_invalid" {
			t.Errorf("delete %q: %v", k, err)
		}
	}
}

func testConcurrent(t *testing.T, s Store) {
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("c/%d", i)
			data := bytes.Repeat([]byte{byte(i)}, 10_000+i)
			if err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
				errc <- err
				return
			}
			o, err := s.Open(ctx, key)
			if err != nil {
				errc <- err
				return
			}
			defer o.Close()
			got, err := io.ReadAll(o)
			if err != nil || !bytes.Equal(got, data) {
				errc <- fmt.Errorf("%s: %d bytes, %v", key, len(got), err)
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}
