# Parley: `make run` starts the server on the embedded default; `make test`
# runs every test, installing what the tests need on a fresh Debian machine.

GO        ?= go
NPM       ?= npm
BIN       := bin/parley
DATA      ?= ./data
ADDR      ?= 127.0.0.1:8080
WEB_SRC   := $(shell find web/src web/index.html web/public web/vite.config.ts web/package.json -type f 2>/dev/null)
WEB_OUT   := internal/webui/dist/index.html
GO_SRC    := $(shell find cmd internal -name '*.go' -o -name '*.sql' -o -name '*.json' 2>/dev/null)

.PHONY: run build web deps-web test test-go test-nats test-s3 test-postgres test-web test-e2e cross vet bench bench-smoke fmt clean

## run: build (web client included when Node is available) and start on ./data
run: build
	@mkdir -p $(DATA)
	./$(BIN) serve --data $(DATA) --addr $(ADDR)

## build: the single binary, with the web client embedded
build: $(BIN)

$(BIN): $(GO_SRC) go.mod go.sum $(WEB_OUT)
	@mkdir -p bin
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/parley

# The web client is rebuilt only when its sources change. Without Node the
# binary still builds and serves a page saying the client was not built.
$(WEB_OUT): $(WEB_SRC)
	@if command -v $(NPM) >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory deps-web && cd web && $(NPM) run build; \
	else \
		echo "npm not found: building without the web client"; \
	fi

web: deps-web
	cd web && $(NPM) run build

deps-web: web/node_modules/.package-lock.json

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && $(NPM) ci --no-audit --no-fund
	@touch $@

## test: everything CI runs
test: vet test-go test-postgres cross test-web test-e2e bench-smoke
	@echo "make test: all suites passed"

vet:
	@test -z "$$(gofmt -l cmd internal)" || (echo "gofmt needed:"; gofmt -l cmd internal; exit 1)
	$(GO) vet ./...

# The whole Go suite with a throwaway PostgreSQL, a real nats-server and
# OpenLDAP's slapd (for the LDAP sign-in tests), so that the store and bus
# conformance suites run on every backend and nothing is skipped; nginx and
# caddy (unpacked from Debian's packages, never started as services) check
# the reverse-proxy configs in docs/deploy.
test-go: $(WEB_OUT)
	bin="$$(GO=$(GO) scripts/ensure-nats-server.sh)" && slapd="$$(scripts/ensure-slapd.sh)" && \
		nginx="$$(scripts/ensure-deb-binary.sh nginx usr/sbin/nginx)" && \
		caddy="$$(scripts/ensure-deb-binary.sh caddy usr/bin/caddy)" && \
		s3="$$(GO=$(GO) scripts/ensure-versitygw.sh)" && \
		PARLEY_TEST_NATS_SERVER="$$bin" PARLEY_TEST_SLAPD="$$slapd" \
		PARLEY_TEST_NGINX="$$nginx" PARLEY_TEST_CADDY="$$caddy" PARLEY_TEST_VERSITYGW="$$s3" \
		GO=$(GO) scripts/test-postgres.sh $(GO) test -count=1 ./...

# Just the blob store conformance suite on the disk and on a real
# S3-compatible server (versitygw, installed into .tools/bin once);
# test-go includes it.
test-s3:
	s3="$$(GO=$(GO) scripts/ensure-versitygw.sh)" && PARLEY_TEST_VERSITYGW="$$s3" $(GO) test -count=1 ./internal/blob/... ./internal/file/...

# Just the bus conformance suite, two nodes and a server restart on a real
# nats-server (installed into .tools/bin once); test-go includes them.
test-nats:
	bin="$$(GO=$(GO) scripts/ensure-nats-server.sh)" && PARLEY_TEST_NATS_SERVER="$$bin" $(GO) test -count=1 ./internal/bus/...

# The HTTP integration tests (REST and SCIM) again, on a throwaway PostgreSQL cluster
# (Debian's postgresql package is installed if missing).
test-postgres:
	s3="$$(GO=$(GO) scripts/ensure-versitygw.sh)" && PARLEY_TEST_VERSITYGW="$$s3" \
		GO=$(GO) PARLEY_TEST_ENGINE=postgres scripts/test-postgres.sh $(GO) test -count=1 ./internal/httpapi/... ./internal/scim/...

# The binary must build without cgo for the platforms we ship.
cross:
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -o /dev/null ./cmd/parley
	CGO_ENABLED=0 GOOS=linux GOARCH=loong64 $(GO) build -o /dev/null ./cmd/parley

test-web: deps-web
	cd web && $(NPM) run typecheck && $(NPM) test

test-e2e: build
	scripts/ensure-chromium.sh
	cd web && PARLEY_BIN=$(CURDIR)/$(BIN) $(NPM) run e2e

bench-smoke: build
	./$(BIN) bench --suite smoke

## bench: the standard benchmark suite; rewrites docs/benchmarks.md
bench: build
	./$(BIN) bench --suite standard --write-doc docs/benchmarks.md

fmt:
	gofmt -w cmd internal

clean:
	rm -rf bin internal/webui/dist/assets internal/webui/dist/*.html
