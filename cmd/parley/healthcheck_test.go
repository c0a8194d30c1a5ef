package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCLIHealthcheck(t *testing.T) {
	status := map[string]int{"/healthz": http.StatusOK, "/readyz": http.StatusServiceUnavailable}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status[r.URL.Path])
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	if code, out, errOut := runCLI(t, nil, "healthcheck", "--addr", addr); code != 0 || !strings.Contains(out, "200") {
		t.Errorf("healthy server: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// PARLEY_ADDR is the default, as for serve; 0.0.0.0 is reached on loopback.
	port := addr[strings.LastIndex(addr, ":")+1:]
	if code, _, errOut := runCLI(t, map[string]string{"PARLEY_ADDR": "0.0.0.0:" + port}, "healthcheck"); code != 0 {
		t.Errorf("PARLEY_ADDR=0.0.0.0:%s: exit %d, stderr %q", port, code, errOut)
	}
	if code, _, errOut := runCLI(t, nil, "healthcheck", "--addr", addr, "--ready"); code != 1 || !strings.Contains(errOut, "503") {
		t.Errorf("not ready: exit %d, stderr %q; want 1 and the status", code, errOut)
	}
	srv.Close()
	if code, _, _ := runCLI(t, nil, "healthcheck", "--addr", addr); code != 1 {
		t.Errorf("no server: exit %d, want 1", code)
	}
	if code, _, _ := runCLI(t, nil, "healthcheck", "--addr", "nonsense"); code != 2 {
		t.Errorf("bad --addr: exit %d, want 2", code)
	}
}
