package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/store"
)

// CopyInstallation moves the SQLite installation in opts.FromDir into an
// empty PostgreSQL database (`parley migrate --from sqlite:DIR --to URL`).
// It holds the data directory's lock meanwhile, so it refuses to run while
// a server uses the directory (a copy of a database still being written
// would miss the last writes) and no server can start on it until the copy
// is done. The files of the data directory are not moved: see
// docs/deploy/README.md.
func CopyInstallation(ctx context.Context, opts store.CopyOptions) (store.CopyReport, error) {
	const op = "server.CopyInstallation"
	if _, err := os.Stat(filepath.Join(opts.FromDir, store.FileName)); err != nil {
		return store.CopyReport{}, errs.E(op, errs.Invalid, "source_unusable", fmt.Errorf("no Parley database in %s: %w", opts.FromDir, err))
	}
	lock, err := lockDataDir(opts.FromDir)
	if err != nil {
		return store.CopyReport{}, errs.E(op, errs.Conflict, "source_in_use", err)
	}
	defer lock.Close()
	return store.Copy(ctx, opts)
}
