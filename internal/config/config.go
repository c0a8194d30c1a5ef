// Package config defines Parley's configuration: one Config value built from
// defaults, an optional JSON file, PARLEY_* environment variables and
// command-line flags, in increasing order of precedence. It is passed to the
// server explicitly; nothing reads it from a global.
package config

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	netmail "net/mail"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config is the configuration of `parley serve`.
type Config struct {
	DataDir         string        // where the database and files live
	Database        string        // "" or "sqlite": SQLite in DataDir; a postgres:// URL: PostgreSQL
	Addr            string        // HTTP listen address
	PublicURL       string        // URL users reach the server at (setup link, cookies)
	LogLevel        string        // debug, info, warn, error
	LogFormat       string        // text or json
	ReplayWindow    time.Duration // how long events stay replayable on reconnect
	SecureCookies   bool          // mark cookies Secure (serve behind HTTPS)
	ShutdownTimeout time.Duration // how long a graceful shutdown may take
	QueueSize       int           // events queued per WebSocket before it is closed as too slow
	PingInterval    time.Duration // WebSocket heartbeat
	IdleTimeout     time.Duration // close a WebSocket silent for this long
	Migrate         bool          // apply database migrations at start
	PprofAddr       string        // loopback address for Go's profiler; empty: off
	NATS            string        // NATS server URL(s) of the cluster bus; empty: the in-process bus
	LinkPreviews    bool          // fetch link previews at all (organisations can also turn them off)
	PreviewWorkers  int           // link preview pages fetched at once
	PresenceBeat    time.Duration // how often a node re-announces its users' presence to the cluster
	PresenceTTL     time.Duration // how long another node's presence lasts unannounced (a dead node's users go offline)
	FilesS3         string        // http(s)://host[:port]/bucket of an S3-compatible store for files; empty: DataDir/files
	FilesS3Region   string        // the bucket's region (SigV4 scope)
	FilesS3Access   string        // access key id
	FilesS3Secret   string        // secret access key (prefer the environment variable)
	SMTPURL         string        // smtp://[user:password@]host[:port] for invitation e-mails; empty: links are shared by hand
	SMTPFrom        string        // From address of Parley's e-mail
	SecretKeyFile   string        // key sealing provider and TOTP secrets; empty: DataDir/secret.key (SQLite only)
	SecretOldKeys   string        // comma-separated key files that still open values but seal nothing (rotation)
}

// Default returns the embedded-default configuration.
func Default() Config {
	return Config{
		DataDir:         "./data",
		Addr:            "127.0.0.1:8080",
		LogLevel:        "info",
		LogFormat:       "text",
		ReplayWindow:    7 * 24 * time.Hour,
		ShutdownTimeout: 15 * time.Second,
		QueueSize:       1024,
		PingInterval:    25 * time.Second,
		IdleTimeout:     60 * time.Second,
		Migrate:         true,
		LinkPreviews:    true,
		FilesS3Region:   "us-east-1",
		PreviewWorkers:  4,
		PresenceBeat:    10 * time.Second,
		PresenceTTL:     30 * time.Second,
	}
}

// option is one setting, reachable as a flag, an environment variable and a
// key of the JSON config file.
type option struct {
	name string // flag name and, with '-' as '_', the file key
	help string
	get  func(*Config) string
	set  func(*Config, string) error
}

func (o option) env() string {
	return "PARLEY_" + strings.ToUpper(strings.ReplaceAll(o.name, "-", "_"))
}

func (o option) key() string { return strings.ReplaceAll(o.name, "-", "_") }

func str(p func(*Config) *string) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return *p(c) }, func(c *Config, v string) error { *p(c) = v; return nil }
}

func dur(p func(*Config) *time.Duration) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return p(c).String() }, func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("not a duration (like 30s, 15m, 168h): %q", v)
		}
		*p(c) = d
		return nil
	}
}

func boolean(p func(*Config) *bool) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return strconv.FormatBool(*p(c)) }, func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("not a boolean: %q", v)
		}
		*p(c) = b
		return nil
	}
}

func integer(p func(*Config) *int) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return strconv.Itoa(*p(c)) }, func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("not an integer: %q", v)
		}
		*p(c) = n
		return nil
	}
}

func options() []option {
	mk := func(name, help string, gs func() (func(*Config) string, func(*Config, string) error)) option {
		g, s := gs()
		return option{name: name, help: help, get: g, set: s}
	}
	return []option{
		mk("data", "data directory: database and files", func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.DataDir })
		}),
		mk("database", "the database: empty or 'sqlite' for the embedded SQLite file in --data, or a postgres:// URL for PostgreSQL", func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.Database })
		}),
		mk("addr", "HTTP listen address host:port", func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.Addr })
		}),
		mk("public-url", "URL users reach the server at (default http://ADDR)", func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.PublicURL })
		}),
		mk("log-level", "debug, info, warn or error", func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.LogLevel })
		}),
		mk("log-format", "text or json", func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.LogFormat })
		}),
		mk("replay-window", "how long a reconnecting client can resume its event stream", func() (func(*Config) string, func(*Config, string) error) {
			return dur(func(c *Config) *time.Duration { return &c.ReplayWindow })
		}),
		mk("secure-cookies", "mark session cookies Secure (when served over HTTPS)", func() (func(*Config) string, func(*Config, string) error) {
			return boolean(func(c *Config) *bool { return &c.SecureCookies })
		}),
		mk("shutdown-timeout", "how long a graceful shutdown may take", func() (func(*Config) string, func(*Config, string) error) {
			return dur(func(c *Config) *time.Duration { return &c.ShutdownTimeout })
		}),
		mk("ws-queue", "events queued per WebSocket before a slow client is disconnected", func() (func(*Config) string, func(*Config, string) error) {
			return integer(func(c *Config) *int { return &c.QueueSize })
		}),
		mk("ws-ping", "WebSocket heartbeat interval", func() (func(*Config) string, func(*Config, string) error) {
			return dur(func(c *Config) *time.Duration { return &c.PingInterval })
		}),
		mk("ws-idle-timeout", "close a WebSocket that sent nothing for this long", func() (func(*Config) string, func(*Config, string) error) {
			return dur(func(c *Config) *time.Duration { return &c.IdleTimeout })
		}),
		mk("presence-beat", "how often a node re-announces its connected users' presence to the other nodes", func() (func(*Config) string, func(*Config, string) error) {
			return dur(func(c *Config) *time.Duration { return &c.PresenceBeat })
		}),
		mk("presence-ttl", "how long a node's presence announcement lasts: the users of a node that died go offline after it", func() (func(*Config) string, func(*Config, string) error) {
			return dur(func(c *Config) *time.Duration { return &c.PresenceTTL })
		}),
		mk("migrate", "apply pending database migrations at start", func() (func(*Config) string, func(*Config, string) error) {
			return boolean(func(c *Config) *bool { return &c.Migrate })
		}),
		mk("pprof", "serve Go's profiler (/debug/pprof/) on this loopback address, e.g. 127.0.0.1:6060; empty: off", func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.PprofAddr })
		}),
		mk("nats", "NATS server URL(s) carrying events between the nodes of a cluster, e.g. nats://10.0.0.5:4222 (comma-separated for several); empty: one node, in-process bus", func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.NATS })
		}),
		mk("link-previews", "fetch previews of links in messages from the web (organisations can turn them off too); false: never fetch", func() (func(*Config) string, func(*Config, string) error) {
			return boolean(func(c *Config) *bool { return &c.LinkPreviews })
		}),
		mk("preview-workers", "link preview pages fetched at once", func() (func(*Config) string, func(*Config, string) error) {
			return integer(func(c *Config) *int { return &c.PreviewWorkers })
		}),
		mk("files-s3", "store uploaded files in this bucket of an S3-compatible object store, as http(s)://host[:port]/bucket (path-style); empty: on disk in DATA/files", func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.FilesS3 })
		}),
		mk("files-s3-region", "region of the --files-s3 bucket", func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.FilesS3Region })
		}),
		mk("files-s3-access-key", "access key id for --files-s3", func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.FilesS3Access })
		}),
		mk("files-s3-secret-key", "secret access key for --files-s3 (prefer the environment variable to the flag)", func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.FilesS3Secret })
		}),
		mk("smtp-url", "SMTP server for invitation e-mails, as smtp://[user:password@]host[:port] (port 587 by default; STARTTLS whenever the server offers it); empty: no e-mail, admins share invitation links by hand", func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.SMTPURL })
		}),
		mk("smtp-from", "From address of Parley's e-mail, e.g. \"Parley <noreply@example.com>\" (required with --smtp-url)", func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.SMTPFrom })
		}),
		mk("secret-key-file", "file holding the key that encrypts SSO provider secrets and TOTP secrets in the database (32 random bytes in base64); empty: DATA/secret.key, created on first start (SQLite only: with PostgreSQL every node must be given the same key file). Back it up apart from the database", func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.SecretKeyFile })
		}),
		mk("secret-old-key-files", "comma-separated key files of former keys: they still decrypt, never encrypt (during a key rotation, see parley admin rotate-secret-key)", func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.SecretOldKeys })
		}),
	}
}

// Option names one setting the way each source spells it.
type Option struct {
	Flag string // without the dashes: "data"
	Env  string // "PARLEY_DATA"
	Key  string // config file key: "data"
}

// Options lists every setting of `parley serve`, and --config itself
// (which has no file key), so that deployment files can be checked against
// the real names (docs/deploy).
func Options() []Option {
	out := []Option{{Flag: "config", Env: "PARLEY_CONFIG"}}
	for _, o := range options() {
		out = append(out, Option{Flag: o.name, Env: o.env(), Key: o.key()})
	}
	return out
}

// Load builds the configuration of a command from defaults, the JSON file
// named by --config or PARLEY_CONFIG, the environment and args. getenv is
// os.Getenv in production and a map in tests; help and flag errors go to out.
func Load(name string, args []string, getenv func(string) string, out io.Writer) (Config, error) {
	cfg := Default()
	opts := options()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	configFile := fs.String("config", getenv("PARLEY_CONFIG"), "JSON config file (env PARLEY_CONFIG)")
	flagVals := map[string]*string{}
	for _, o := range opts {
		flagVals[o.name] = fs.String(o.name, o.get(&cfg), o.help+" (env "+o.env()+")")
	}
	fs.Usage = func() { fmt.Fprint(fs.Output(), Usage(name)) }
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *configFile != "" {
		if err := loadFile(&cfg, opts, *configFile); err != nil {
			return Config{}, err
		}
	}
	for _, o := range opts {
		if v := getenv(o.env()); v != "" {
			if err := o.set(&cfg, v); err != nil {
				return Config{}, fmt.Errorf("%s: %w", o.env(), err)
			}
		}
	}
	var ferr error
	fs.Visit(func(f *flag.Flag) {
		for _, o := range opts {
			if o.name == f.Name && ferr == nil {
				if err := o.set(&cfg, *flagVals[o.name]); err != nil {
					ferr = fmt.Errorf("--%s: %w", o.name, err)
				}
			}
		}
	})
	if ferr != nil {
		return Config{}, ferr
	}
	return cfg, cfg.Validate()
}

func loadFile(cfg *Config, opts []option, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	known := map[string]option{}
	for _, o := range opts {
		known[o.key()] = o
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		o, ok := known[k]
		if !ok {
			return fmt.Errorf("config file %s: unknown key %q", path, k)
		}
		if err := o.set(cfg, fmt.Sprint(raw[k])); err != nil {
			return fmt.Errorf("config file %s: %s: %w", path, k, err)
		}
	}
	return nil
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.DataDir == "" {
		return fmt.Errorf("data directory must not be empty")
	}
	if c.Database != "" && c.Database != "sqlite" && !strings.HasPrefix(c.Database, "postgres://") &&
		!strings.HasPrefix(c.Database, "postgresql://") {
		return fmt.Errorf("database: want empty, \"sqlite\" or a postgres:// URL")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("addr %q: want host:port", c.Addr)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log level %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("log format %q: want text or json", c.LogFormat)
	}
	if c.ReplayWindow < time.Minute {
		return fmt.Errorf("replay window %s: must be at least 1m", c.ReplayWindow)
	}
	if c.PreviewWorkers < 1 || c.PreviewWorkers > 64 {
		return fmt.Errorf("preview-workers %d: must be 1 to 64", c.PreviewWorkers)
	}
	if c.QueueSize < 16 {
		return fmt.Errorf("ws-queue %d: must be at least 16", c.QueueSize)
	}
	if c.PingInterval < time.Second || c.IdleTimeout <= c.PingInterval {
		return fmt.Errorf("ws-ping must be at least 1s and below ws-idle-timeout")
	}
	if c.PresenceBeat < 100*time.Millisecond || c.PresenceTTL < 2*c.PresenceBeat {
		return fmt.Errorf("presence-beat must be at least 100ms and presence-ttl at least twice presence-beat")
	}
	if c.PprofAddr != "" {
		host, _, err := net.SplitHostPort(c.PprofAddr)
		if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			return fmt.Errorf("pprof %q: want a loopback host:port (profiles expose internals)", c.PprofAddr)
		}
	}
	if c.FilesS3 != "" {
		if _, _, err := c.FilesS3Bucket(); err != nil {
			return err
		}
		if c.FilesS3Access == "" || c.FilesS3Secret == "" {
			return fmt.Errorf("files-s3 needs files-s3-access-key and files-s3-secret-key (or PARLEY_FILES_S3_ACCESS_KEY and PARLEY_FILES_S3_SECRET_KEY)")
		}
	}
	if c.NATS != "" {
		for _, u := range strings.Split(c.NATS, ",") {
			scheme, rest, ok := strings.Cut(strings.TrimSpace(u), "://")
			if !ok || rest == "" || (scheme != "nats" && scheme != "tls") {
				return fmt.Errorf("nats %q: want nats://host:port or tls://host:port, comma-separated", u)
			}
		}
	}
	if c.SMTPURL != "" {
		u, err := url.Parse(c.SMTPURL)
		if err != nil || u.Scheme != "smtp" || u.Hostname() == "" {
			return fmt.Errorf("smtp-url: want smtp://[user:password@]host[:port]")
		}
		if _, err := netmail.ParseAddress(c.SMTPFrom); err != nil {
			return fmt.Errorf("smtp-from %q: want an e-mail address such as \"Parley <noreply@example.com>\"", c.SMTPFrom)
		}
	}
	if c.ShutdownTimeout <= 0 {
		return fmt.Errorf("shutdown timeout must be positive")
	}
	return nil
}

// Usage describes every option with its flag, environment variable and
// default, for --help and docs/configuration.md.
func Usage(cmd string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: parley %s [options]\n\nOptions (flag, environment variable, default):\n", cmd)
	fmt.Fprintf(&b, "  --config FILE\n      JSON config file with the keys below (env PARLEY_CONFIG)\n")
	def := Default()
	for _, o := range options() {
		fmt.Fprintf(&b, "  --%s\n      %s (env %s, file key %q, default %q)\n", o.name, o.help, o.env(), o.key(), o.get(&def))
	}
	b.WriteString("\nPrecedence: flags, then environment, then the config file, then defaults.\n")
	return b.String()
}

// FilesS3Bucket splits --files-s3 into the endpoint and the bucket name.
func (c Config) FilesS3Bucket() (endpoint, bucket string, err error) {
	u, err := url.Parse(c.FilesS3)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return "", "", fmt.Errorf("files-s3 %q: want http(s)://host[:port]/bucket (credentials in files-s3-access-key and files-s3-secret-key)", c.FilesS3)
	}
	path := strings.Trim(u.Path, "/")
	i := strings.LastIndex(path, "/")
	bucket = path[i+1:]
	if bucket == "" {
		return "", "", fmt.Errorf("files-s3 %q: no bucket in the path", c.FilesS3)
	}
	u.Path = "/" + path[:max(i, 0)]
	return strings.TrimRight(u.String(), "/"), bucket, nil
}
