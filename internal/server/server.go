// Package server is Parley's one composition root: it builds every
// subsystem from the configuration, starts them in order and stops them in
// the reverse order.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/blob"
	"github.com/parley-chat/parley/internal/blob/s3blob"
	"github.com/parley-chat/parley/internal/bus"
	"github.com/parley-chat/parley/internal/bus/natsbus"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/config"
	"github.com/parley-chat/parley/internal/event"
	"github.com/parley-chat/parley/internal/file"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/mail"
	"github.com/parley-chat/parley/internal/realtime"
	"github.com/parley-chat/parley/internal/scim"
	"github.com/parley-chat/parley/internal/search"
	"github.com/parley-chat/parley/internal/sso"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/unfurl"
)

// Server is a running Parley node on the embedded store.
type Server struct {
	cfg      config.Config
	log      *slog.Logger
	db       *store.DB
	bus      eventBus
	hub      *realtime.Hub
	files    *file.Service
	auth     *auth.Service
	accounts *account.Service
	previews *unfurl.Service
	sso      *sso.Service
	http     *http.Server
	ln       net.Listener
	lock     *os.File // the data directory lock on the embedded store
}

// eventBus carries committed and ephemeral events to the hub: bus.Local on
// one node, natsbus.Bus between the nodes of a cluster (--nats).
type eventBus interface {
	PublishCommitted(evs []event.Event)
	Publish(ctx context.Context, ev event.Event) error
	Subscribe(fn func(event.Event))
	Run(ctx context.Context) error
}

var (
	_ eventBus = (*bus.Local)(nil)
	_ eventBus = (*natsbus.Bus)(nil)
)

// New opens the store and builds every subsystem. It does not listen yet.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, web http.Handler) (*Server, error) {
	now := func() time.Time { return time.Now().UTC() }
	var mailer *mail.Sender
	if cfg.SMTPURL != "" {
		var err error
		if mailer, err = mail.New(cfg.SMTPURL, cfg.SMTPFrom); err != nil {
			return nil, err
		}
	}
	var lock *os.File
	if cfg.Database == "" || cfg.Database == store.SQLite {
		var err error
		if lock, err = lockDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	release := func() {
		if lock != nil {
			lock.Close()
		}
	}
	blobs, err := openBlobs(ctx, cfg)
	if err != nil {
		release()
		return nil, err
	}
	// Uploads are spooled in the data directory's tmp folder before they
	// are checked and stored.
	spoolDir := filepath.Join(cfg.DataDir, "tmp")
	if err := os.MkdirAll(spoolDir, 0o750); err != nil {
		release()
		return nil, fmt.Errorf("create %s: %w", spoolDir, err)
	}
	var b eventBus = bus.NewLocal(0)
	var nb *natsbus.Bus
	publish := b.PublishCommitted
	if cfg.NATS != "" {
		// The store publishes only once a write commits, after the bus exists.
		publish = func(evs []event.Event) { nb.PublishCommitted(evs) }
	}
	keys, err := loadKeyring(cfg.DataDir, cfg.Database, ParseKeyFiles(cfg.SecretKeyFile, cfg.SecretOldKeys), log)
	if err != nil {
		release()
		return nil, err
	}
	db, err := store.Open(ctx, cfg.DataDir, cfg.Migrate, store.Options{Database: cfg.Database, Publish: publish,
		Logger: log, Now: now, Secrets: keys})
	if err != nil {
		release()
		return nil, err
	}
	if err := sealSecrets(ctx, db, log); err != nil {
		db.Close()
		release()
		return nil, err
	}
	var hub *realtime.Hub
	if cfg.NATS != "" {
		// The bus fills what NATS lost from the store's event log (ADR
		// 0010); what it cannot fill makes the streams resume from the store.
		nb, err = natsbus.New(natsbus.Options{URL: cfg.NATS, Name: "parley " + cfg.Addr, Log: log.With("component", "bus"),
			History: db, OnGap: func(g bus.Gap) { hub.Missed(g.Org) },
			// Presence reports were lost both ways: everyone re-announces.
			OnReconnect: func() { hub.RequestPresence(true) }})
		if err != nil {
			db.Close()
			release()
			return nil, err
		}
		b = nb
	}
	hub = realtime.NewHub(realtime.Config{QueueSize: cfg.QueueSize, PingInterval: cfg.PingInterval,
		IdleTimeout: cfg.IdleTimeout, PresenceBeat: cfg.PresenceBeat, PresenceTTL: cfg.PresenceTTL}, store.Streams{DB: db}, b, log.With("component", "realtime"))
	b.Subscribe(hub.Deliver)

	enc := httpapi.Encoder{}
	authSvc := auth.NewService(store.Auth{DB: db}, enc, now, log.With("component", "auth"))
	accounts := account.NewService(store.Accounts{DB: db}, enc, authSvc, now)
	if mailer != nil {
		accounts.SetMailer(mailer)
	}
	chats := chat.NewService(store.Chats{DB: db}, enc, hub, now)
	// Department channels follow the tree in the transaction that changed
	// it: the store's one transaction type serves both services.
	accounts.SetDepartmentFollower(func(ctx context.Context, tx account.Tx, org int64, users []int64) error {
		return chats.FollowDepartments(ctx, tx.(*store.Tx), org, users)
	})
	if err := db.BackfillNameKeys(ctx); err != nil {
		log.Warn("backfill pinyin search keys", "err", err)
	}
	searches := search.NewService(db)
	audits := audit.NewService(store.Audits{DB: db}, now)
	var fetcher *unfurl.Client // nil: --link-previews=false, queued messages get none
	if cfg.LinkPreviews {
		fetcher = unfurl.NewClient(unfurl.Options{})
	}
	files := file.NewService(store.Files{DB: db}, blobs, chats, spoolDir, now)
	previews := unfurl.NewService(fetcher, chats, db, unfurl.Config{Workers: cfg.PreviewWorkers,
		Images: unfurl.Images{Thumbnails: files, Blobs: blobs}}, now, log.With("component", "unfurl"))
	signOn := sso.NewService(store.SSO{DB: db}, enc, nil, now, log.With("component", "sso")).WithDirectory(accounts).WithLimiter(authSvc)
	api := httpapi.New(httpapi.Deps{Accounts: accounts, Auth: authSvc, Chat: chats, Search: searches, Audit: audits, SSO: signOn,
		Files: files, Previews: previews, Stream: hub, Ready: db.Ready,
		Log: log.With("component", "http"), SecureCookies: cfg.SecureCookies, PublicURL: cfg.PublicURL})

	mux := http.NewServeMux()
	mux.Handle("/api/", api)
	mux.Handle("/scim/", scim.New(signOn, log.With("component", "scim")))
	mux.Handle("/healthz", api)
	mux.Handle("/readyz", api)
	mux.Handle("/", web)
	s := &Server{cfg: cfg, log: log, db: db, bus: b, hub: hub, auth: authSvc, accounts: accounts, previews: previews, sso: signOn,
		files: files, lock: lock}
	s.http = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// openBlobs opens the store of file contents: the S3-compatible bucket of
// --files-s3, checked now so that a wrong bucket or key fails the start
// rather than the first upload, or the disk under the data directory.
func openBlobs(ctx context.Context, cfg config.Config) (file.Blobs, error) {
	if cfg.FilesS3 == "" {
		return blob.NewDisk(filepath.Join(cfg.DataDir, "files"))
	}
	endpoint, bucket, err := cfg.FilesS3Bucket()
	if err != nil {
		return nil, err
	}
	b, err := s3blob.New(s3blob.Config{Endpoint: endpoint, Bucket: bucket, Region: cfg.FilesS3Region,
		AccessKey: cfg.FilesS3Access, SecretKey: cfg.FilesS3Secret})
	if err != nil {
		return nil, err
	}
	checkCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := b.Check(checkCtx); err != nil {
		return nil, err
	}
	return b, nil
}

// Listen binds the configured address; Addr reports it (useful with port 0).
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	return nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Run serves until ctx ends, then shuts down gracefully: stop accepting,
// close WebSockets with the "reconnect" code, let in-flight requests (and so
// their writes) finish, drain the store's commit queue, close the database.
func (s *Server) Run(ctx context.Context) error {
	if s.ln == nil {
		if err := s.Listen(); err != nil {
			s.db.Close()
			return err
		}
	}
	bgCtx, stopBG := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	start := func(name string, run func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(bgCtx); err != nil && !errors.Is(err, context.Canceled) {
				s.log.Error("background task stopped", "task", name, "err", err)
			}
		}()
	}
	start("bus", s.bus.Run)
	start("realtime", s.hub.Run)
	start("prune-events", s.pruneEvents)
	start("sweep-files", func(ctx context.Context) error {
		return s.files.Run(ctx, func(n int, err error) {
			if err != nil {
				s.log.Warn("sweep unattached files", "deleted", n, "err", err)
			} else {
				s.log.Info("deleted unattached files", "count", n)
			}
		})
	})
	start("ldap-sync", s.sso.Run)
	start("sweep-login-failures", s.auth.Run)
	if s.cfg.PprofAddr != "" {
		start("pprof", s.servePprof)
	}
	// Link previews write to the store, so they stop before it closes.
	pvCtx, stopPreviews := context.WithCancel(bgCtx)
	pvDone := make(chan struct{})
	go func() {
		defer close(pvDone)
		if err := s.previews.Run(pvCtx); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Error("background task stopped", "task", "link-previews", "err", err)
		}
	}()

	s.announceSetup(ctx)
	s.log.Info("parley listening", "addr", s.Addr(), "data", s.cfg.DataDir)

	serveErr := make(chan error, 1)
	go func() { serveErr <- s.http.Serve(s.ln) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	s.log.Info("shutting down")
	sdCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	var hubErr error
	var hw sync.WaitGroup
	hw.Add(1)
	go func() { defer hw.Done(); hubErr = s.hub.Shutdown(sdCtx) }()
	if e := s.http.Shutdown(sdCtx); e != nil {
		s.log.Warn("http shutdown", "err", e)
	}
	hw.Wait()
	stopPreviews()
	<-pvDone
	if cerr := s.db.Close(); cerr != nil {
		s.log.Warn("close store", "err", cerr)
	}
	if s.lock != nil {
		s.lock.Close()
	}
	stopBG()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if hubErr != nil {
		s.log.Warn("realtime shutdown", "err", hubErr)
	}
	return err
}

// servePprof serves Go's profiler on a separate loopback listener, for
// operators diagnosing load (and `parley bench` runs).
func (s *Server) servePprof(ctx context.Context) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: s.cfg.PprofAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	s.log.Info("profiler listening", "addr", s.cfg.PprofAddr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// announceSetup logs the one-time setup link when no organisation exists.
func (s *Server) announceSetup(ctx context.Context) {
	needed, err := s.accounts.NeedsSetup(ctx)
	if err != nil || !needed {
		return
	}
	base := s.cfg.PublicURL
	if base == "" {
		base = "http://" + s.Addr()
	}
	tok := s.auth.NewSetupToken()
	s.log.Info("no organisation yet: open the setup link to create one", "url", strings.TrimRight(base, "/")+"/setup?token="+tok)
}

// pruneEvents deletes events older than the replay window, hourly.
func (s *Server) pruneEvents(ctx context.Context) error {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		cutoff := time.Now().Add(-s.cfg.ReplayWindow)
		err := s.db.Update(ctx, func(tx *store.Tx) error {
			n, err := tx.PruneEvents(ctx, cutoff)
			if n > 0 {
				s.log.Info("pruned events", "count", n)
			}
			return err
		})
		if err != nil && ctx.Err() == nil {
			s.log.Warn("prune events", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Bootstrap creates the first organisation and its owner in the data
// directory, for `parley admin bootstrap`; it fails with "already_set_up"
// when an organisation exists.
func Bootstrap(ctx context.Context, dataDir string, in account.BootstrapInput) (account.Org, account.User, error) {
	return BootstrapDB(ctx, dataDir, "", in)
}

// BootstrapDB is Bootstrap on the database named by database (as
// --database: "" for the SQLite file in dataDir).
func BootstrapDB(ctx context.Context, dataDir, database string, in account.BootstrapInput) (account.Org, account.User, error) {
	return offline(ctx, dataDir, database, func(a *account.Service) (account.Org, account.User, error) {
		return a.Bootstrap(ctx, in)
	})
}

// CreateOrg adds another organisation with its owner (SaaS mode), for
// `parley admin create-org`.
func CreateOrg(ctx context.Context, dataDir string, in account.BootstrapInput) (account.Org, account.User, error) {
	return CreateOrgDB(ctx, dataDir, "", in)
}

// CreateOrgDB is CreateOrg on the database named by database (as
// --database: "" for the SQLite file in dataDir).
func CreateOrgDB(ctx context.Context, dataDir, database string, in account.BootstrapInput) (account.Org, account.User, error) {
	return offline(ctx, dataDir, database, func(a *account.Service) (account.Org, account.User, error) {
		return a.CreateOrg(ctx, in)
	})
}

// offline runs an account operation on the store outside a running server
// (a second connection works too: SQLite serialises writers, PostgreSQL
// row locks serialise event sequences).
func offline(ctx context.Context, dataDir, database string, fn func(*account.Service) (account.Org, account.User, error)) (account.Org, account.User, error) {
	db, err := store.Open(ctx, dataDir, true, store.Options{Database: database})
	if err != nil {
		return account.Org{}, account.User{}, err
	}
	defer db.Close()
	now := func() time.Time { return time.Now().UTC() }
	return fn(account.NewService(store.Accounts{DB: db}, httpapi.Encoder{}, auth.Hasher{}, now))
}
