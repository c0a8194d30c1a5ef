package blob_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/parley-chat/parley/internal/blob"
	"github.com/parley-chat/parley/internal/blob/blobtest"
)

func TestDisk(t *testing.T) {
	blobtest.Run(t, func(tb testing.TB) blobtest.Store {
		d, err := blob.NewDisk(tb.TempDir())
		if err != nil {
			tb.Fatal(err)
		}
		return d
	})
}

// A failed write leaves no temporary file behind.
func TestDiskCleansUpFailedPut(t *testing.T) {
	dir := t.TempDir()
	d, err := blob.NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	blobtest.Run(t, func(testing.TB) blobtest.Store { return d })
	left, err := os.ReadDir(filepath.Join(dir, ".tmp"))
	if err != nil || len(left) != 0 {
		t.Fatalf("temporary files left: %v %v", left, err)
	}
}
