package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "parley.json")
	os.WriteFile(file, []byte(`{"addr": "127.0.0.1:9001", "data": "/from/file", "log_level": "warn", "replay_window": "48h"}`), 0o600)
	cfg, err := Load("serve", []string{"--config", file, "--log-level", "debug"},
		env(map[string]string{"PARLEY_DATA": "/from/env", "PARLEY_LOG_LEVEL": "error"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:9001" { // file over default
		t.Errorf("addr %q", cfg.Addr)
	}
	if cfg.DataDir != "/from/env" { // env over file
		t.Errorf("data %q", cfg.DataDir)
	}
	if cfg.LogLevel != "debug" { // flag over env
		t.Errorf("log level %q", cfg.LogLevel)
	}
	if cfg.ReplayWindow != 48*time.Hour {
		t.Errorf("replay window %v", cfg.ReplayWindow)
	}
}

func TestInvalid(t *testing.T) {
	dir := t.TempDir()
	unknown := filepath.Join(dir, "u.json")
	os.WriteFile(unknown, []byte(`{"adress": "x"}`), 0o600)
	for name, args := range map[string][]string{
		"bad addr":         {"--addr", "nonsense"},
		"bad duration":     {"--replay-window", "soon"},
		"too short window": {"--replay-window", "10s"},
		"bad level":        {"--log-level", "loud"},
		"bad bool":         {"--secure-cookies", "maybe"},
		"bad database":     {"--database", "mysql://u:p@h/db"},
		"bad nats":         {"--nats", "localhost:4222"},
		"bad nats list":    {"--nats", "nats://a:4222,"},
		"unknown file key": {"--config", unknown},
		"missing file":     {"--config", filepath.Join(dir, "none.json")},
		"stray argument":   {"extra"},
	} {
		if _, err := Load("serve", args, env(nil), io.Discard); err == nil {
			t.Errorf("%s: accepted %v", name, args)
		}
	}
	if _, err := Load("serve", nil, env(map[string]string{"PARLEY_WS_QUEUE": "lots"}), io.Discard); err == nil {
		t.Error("bad environment value accepted")
	}
}

// The database is SQLite in the data directory unless a PostgreSQL URL is
// given.
func TestDatabase(t *testing.T) {
	for _, v := range []string{"", "sqlite", "postgres://parley@db:5432/parley?sslmode=require", "postgresql://db/parley"} {
		cfg, err := Load("serve", []string{"--database", v}, env(nil), io.Discard)
		if err != nil || cfg.Database != v {
			t.Errorf("--database %q: %q (%v)", v, cfg.Database, err)
		}
	}
	cfg, err := Load("serve", nil, env(map[string]string{"PARLEY_DATABASE": "postgres://db/parley"}), io.Discard)
	if err != nil || cfg.Database != "postgres://db/parley" {
		t.Errorf("PARLEY_DATABASE: %q (%v)", cfg.Database, err)
	}
	if Default().Database != "" {
		t.Error("the default is not the embedded database")
	}
}

// The bus is in-process unless NATS URLs are given (ADR 0007).
func TestNATS(t *testing.T) {
	for _, v := range []string{"", "nats://127.0.0.1:4222", "nats://a:4222,nats://b:4222", "tls://nats.example.com:4222"} {
		cfg, err := Load("serve", []string{"--nats", v}, env(nil), io.Discard)
		if err != nil || cfg.NATS != v {
			t.Errorf("--nats %q: %q (%v)", v, cfg.NATS, err)
		}
	}
	cfg, err := Load("serve", nil, env(map[string]string{"PARLEY_NATS": "nats://n:4222"}), io.Discard)
	if err != nil || cfg.NATS != "nats://n:4222" {
		t.Errorf("PARLEY_NATS: %q (%v)", cfg.NATS, err)
	}
	if Default().NATS != "" {
		t.Error("the default is not the in-process bus")
	}
}

// TestDocumented keeps docs/configuration.md in step with the options.
func TestDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, o := range options() {
		for _, want := range []string{"--" + o.name, o.env(), o.key()} {
			if !strings.Contains(doc, want) {
				t.Errorf("docs/configuration.md does not mention %s", want)
			}
		}
	}
}

func TestFilesS3(t *testing.T) {
	keys := map[string]string{"PARLEY_FILES_S3_ACCESS_KEY": "ak", "PARLEY_FILES_S3_SECRET_KEY": "sk"}
	for in, want := range map[string][2]string{
		"http://127.0.0.1:9000/parley":           {"http://127.0.0.1:9000", "parley"},
		"https://s3.example.com/files/":          {"https://s3.example.com", "files"},
		"https://gw.example.com/prefix/bucket-1": {"https://gw.example.com/prefix", "bucket-1"},
	} {
		cfg, err := Load("serve", []string{"--files-s3", in}, env(keys), io.Discard)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		ep, bucket, err := cfg.FilesS3Bucket()
		if err != nil || ep != want[0] || bucket != want[1] || cfg.FilesS3Access != "ak" || cfg.FilesS3Secret != "sk" {
			t.Errorf("%s: %q %q %v", in, ep, bucket, err)
		}
	}
	for _, in := range []string{"s3://bucket", "http://host:9000", "http://host:9000/", "http://ak:sk@host/bucket", "http://host/b?x=1"} {
		if _, err := Load("serve", []string{"--files-s3", in}, env(keys), io.Discard); err == nil {
			t.Errorf("%s accepted", in)
		}
	}
	if _, err := Load("serve", []string{"--files-s3", "http://host/bucket"}, env(nil), io.Discard); err == nil ||
		!strings.Contains(err.Error(), "files-s3-secret-key") {
		t.Errorf("no credentials: %v", err)
	}
}
