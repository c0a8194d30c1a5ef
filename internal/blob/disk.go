package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/parley-chat/parley/internal/errs"
)

// Disk stores blobs as files under a root directory. A blob is written to a
// temporary file, synced, and renamed into place, so a reader never sees a
// partial blob and a crash leaves at most a stray temporary file.
type Disk struct {
	root string
}

// NewDisk returns a disk store rooted at dir, creating it if needed.
func NewDisk(dir string) (*Disk, error) {
	if err := os.MkdirAll(filepath.Join(dir, ".tmp"), 0o750); err != nil {
		return nil, fmt.Errorf("blob: create %s: %w", dir, err)
	}
	return &Disk{root: dir}, nil
}

func (d *Disk) path(key string) string { return filepath.Join(d.root, filepath.FromSlash(key)) }

// Put stores exactly size bytes from r under key, replacing any blob there.
// Errors: Invalid (blob_key_invalid, blob_size_mismatch when r holds more or
// fewer bytes), Unavailable.
func (d *Disk) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	const op = "blob.Disk.Put"
	if err := CheckKey(op, key); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Join(d.root, ".tmp"), "put-*")
	if err != nil {
		return errs.E(op, errs.Unavailable, "", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, io.LimitReader(r, size+1))
	if err != nil {
		return errs.E(op, errs.Unavailable, "", err)
	}
	if n != size {
		return errs.New(op, errs.Invalid, "blob_size_mismatch")
	}
	if err := ctx.Err(); err != nil {
		return errs.E(op, errs.Unavailable, "", err)
	}
	if err := tmp.Sync(); err != nil {
		return errs.E(op, errs.Unavailable, "", err)
	}
	if err := tmp.Close(); err != nil {
		return errs.E(op, errs.Unavailable, "", err)
	}
	dst := d.path(key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return errs.E(op, errs.Unavailable, "", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return errs.E(op, errs.Unavailable, "", err)
	}
	done = true
	return syncDir(filepath.Dir(dst))
}

// syncDir makes a rename durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return errs.E("blob.syncDir", errs.Unavailable, "", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return errs.E("blob.syncDir", errs.Unavailable, "", err)
	}
	return nil
}

// Open opens the blob under key. Errors: NotFound (blob_not_found), Invalid
// (blob_key_invalid), Unavailable.
func (d *Disk) Open(ctx context.Context, key string) (Object, error) {
	const op = "blob.Disk.Open"
	if err := CheckKey(op, key); err != nil {
		return nil, err
	}
	f, err := os.Open(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errs.E(op, errs.NotFound, "blob_not_found", err)
	}
	if err != nil {
		return nil, errs.E(op, errs.Unavailable, "", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, errs.E(op, errs.Unavailable, "", err)
	}
	return diskObject{File: f, size: st.Size()}, nil
}

type diskObject struct {
	*os.File
	size int64
}

func (o diskObject) Size() int64 { return o.size }

// Delete removes the blob under key; a missing blob is not an error.
// Errors: Invalid (blob_key_invalid), Unavailable.
func (d *Disk) Delete(ctx context.Context, key string) error {
	const op = "blob.Disk.Delete"
	if err := CheckKey(op, key); err != nil {
		return err
	}
	if err := os.Remove(d.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return errs.E(op, errs.Unavailable, "", err)
	}
	return nil
}
