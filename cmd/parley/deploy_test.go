package main

// Checks of the deployment files in docs/deploy: they are examples people
// copy, so a renamed flag or a YAML typo there is a bug. The Kubernetes
// manifests must parse and hang together; every `parley <command> --flag`
// and every PARLEY_* variable they mention must exist; the settings they
// give must pass the real configuration's validation; nginx's config must
// pass `nginx -t` (PARLEY_TEST_NGINX names the binary;
// scripts/ensure-nginx.sh provides it).

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/config"
)

const deployDir = "../../docs/deploy"

// commandFlags returns the flags a subcommand accepts, read from its own
// --help output.
func commandFlags(t *testing.T, sub ...string) map[string]bool {
	t.Helper()
	var out bytes.Buffer
	run(append(slices.Clone(sub), "--help"), &out, &out, func(string) string { return "" })
	flags := map[string]bool{"help": true}
	re := regexp.MustCompile(`(?m)^\s+--?([a-z][a-z0-9-]*)`)
	for _, m := range re.FindAllStringSubmatch(out.String(), -1) {
		flags[m[1]] = true
	}
	return flags
}

// knownEnv is every PARLEY_* variable the binary reads.
func knownEnv() map[string]bool {
	env := map[string]bool{"PARLEY_BOOTSTRAP_PASSWORD": true}
	for _, o := range config.Options() {
		env[o.Env] = true
	}
	return env
}

func deployFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(deployDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("read %s: %v (%d files)", deployDir, err, len(files))
	}
	return files
}

// TestDeployCommandsAreReal: every `parley <command> --flag` written in the
// deployment files (Dockerfile, systemd unit, manifests, guides) names a
// real command and flag, and every PARLEY_* variable is one the binary
// reads.
func TestDeployCommandsAreReal(t *testing.T) {
	commands := map[string]map[string]bool{}
	for _, sub := range [][]string{{"serve"}, {"migrate"}, {"healthcheck"}, {"admin", "bootstrap"}, {"admin", "create-org"},
		{"admin", "reindex"}, {"admin", "new-secret-key"}, {"admin", "rotate-secret-key"}} {
		commands[strings.Join(sub, " ")] = commandFlags(t, sub...)
	}
	commands["version"] = map[string]bool{}
	if !commands["serve"]["nats"] || !commands["migrate"]["from"] || !commands["healthcheck"]["ready"] {
		t.Fatalf("could not read the commands' flags: %v", commands)
	}
	env := knownEnv()
	// "parley" as a command word: after a start of line, a space, a quote
	// or a slash (/usr/local/bin/parley), followed by a word.
	cmdRE := regexp.MustCompile(`(?:^|[\s/` + "`" + `])parley\s+((?:admin\s+)?[a-z][a-z-]*)([^\n]*)`)
	flagRE := regexp.MustCompile(`(?:^|\s)--([a-z][a-z0-9-]*)`)
	envRE := regexp.MustCompile(`PARLEY_[A-Z0-9_]+`)
	checked := 0
	for _, path := range deployFiles(t) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		inCode := false
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			// A command continued with a backslash is one line.
			for strings.HasSuffix(line, "\\") && sc.Scan() {
				line = strings.TrimSuffix(line, "\\") + " " + sc.Text()
				n++
			}
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				inCode = !inCode
			}
			for _, v := range envRE.FindAllString(line, -1) {
				if !env[v] {
					t.Errorf("%s:%d: %s is not a variable Parley reads (internal/config)", path, n, v)
				}
			}
			// JSON arrays (Dockerfile exec form, YAML flow lists) read as words.
			words := strings.NewReplacer(`"`, " ", "[", " ", "]", " ", ",", " ", "\\", " ").Replace(line)
			for _, m := range cmdRE.FindAllStringSubmatch(words, -1) {
				sub := strings.Join(strings.Fields(m[1]), " ")
				flags, ok := commands[sub]
				if !ok {
					// Prose ("the parley binary") is fine; a command line in
					// a code block is not.
					if (inCode || strings.HasSuffix(path, "Dockerfile") || strings.HasSuffix(path, ".service")) &&
						commandLineRE.MatchString(words) {
						t.Errorf("%s:%d: %q is not a parley command", path, n, "parley "+sub)
					}
					continue
				}
				checked++
				rest := m[2]
				if i := strings.Index(rest, " # "); i >= 0 {
					rest = rest[:i]
				}
				for _, f := range flagRE.FindAllStringSubmatch(rest, -1) {
					if !flags[f[1]] {
						t.Errorf("%s:%d: parley %s has no flag --%s", path, n, sub, f[1])
					}
				}
			}
		}
	}
	if checked < 5 {
		t.Errorf("found only %d parley command lines in %s; the scanner is broken", checked, deployDir)
	}
}

// commandLineRE matches a line that runs parley: the program comes first,
// after variable assignments, a path or an instruction such as ExecStart=
// or CMD.
var commandLineRE = regexp.MustCompile(`^\s*(?:[A-Za-z]+=|CMD\s+|ENTRYPOINT\s+)?(?:[A-Z_]+=\S+\s+)*(?:\S*/)?parley\s`)

// loadServe runs the real configuration loader as `parley serve args` with
// env, so a setting that would not start the server fails here.
func loadServe(t *testing.T, where string, args []string, env map[string]string) config.Config {
	t.Helper()
	cfg, err := config.Load("serve", args, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Errorf("%s: parley serve %s would not start: %v", where, strings.Join(args, " "), err)
	}
	return cfg
}

// TestDeploySystemdUnit: the unit starts `parley serve` with real flags,
// and with its example config file and environment file the server's
// configuration is valid.
func TestDeploySystemdUnit(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(deployDir, "parley.service"))
	if err != nil {
		t.Fatal(err)
	}
	var exec []string
	want := map[string]bool{"NoNewPrivileges=yes": false, "ProtectSystem=strict": false, "StateDirectory=parley": false,
		"CapabilityBoundingSet=": false, "KillSignal=SIGTERM": false}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "ExecStart="); ok {
			exec = strings.Fields(v)
		}
		if _, ok := want[line]; ok {
			want[line] = true
		}
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("parley.service lacks %s", k)
		}
	}
	if len(exec) < 2 || filepath.Base(exec[0]) != "parley" || exec[1] != "serve" {
		t.Fatalf("ExecStart %q: want /path/to/parley serve ...", exec)
	}
	args := slices.Clone(exec[2:])
	for i, a := range args {
		if a == "/etc/parley/parley.json" {
			args[i] = filepath.Join(deployDir, "parley.json")
		}
	}
	env := readEnvFile(t, filepath.Join(deployDir, "parley.env"))
	cfg := loadServe(t, "parley.service", args, env)
	if cfg.DataDir != "/var/lib/parley" || !cfg.SecureCookies || cfg.NATS == "" || cfg.Database == "" {
		t.Errorf("systemd configuration: data %q, secure cookies %v, nats %q, database set %v", cfg.DataDir,
			cfg.SecureCookies, cfg.NATS, cfg.Database != "")
	}
	// A stop must outlast a graceful shutdown.
	if !strings.Contains(string(b), "TimeoutStopSec=30s") || cfg.ShutdownTimeout >= 30*time.Second {
		t.Errorf("TimeoutStopSec must exceed --shutdown-timeout (%v)", cfg.ShutdownTimeout)
	}
}

func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("%s: %q is not KEY=value", path, line)
		}
		env[k] = v
	}
	return env
}

// TestDeployDockerfile: multi-stage, pure Go, non-root, /data volume,
// health check through the binary, and the image's default command with
// its ENV is a valid configuration.
func TestDeployDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(deployDir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	// Join continuation lines, then read instructions.
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	var froms int
	env := map[string]string{}
	var entrypoint, cmd, health []string
	var user, volume string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch instr {
		case "FROM":
			froms++
		case "ENV":
			for _, kv := range strings.Fields(rest) {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
		case "ENTRYPOINT":
			entrypoint = execForm(t, rest)
		case "CMD":
			cmd = execForm(t, rest)
		case "HEALTHCHECK":
			_, c, ok := strings.Cut(rest, "CMD ")
			if !ok {
				t.Fatalf("HEALTHCHECK without CMD: %q", rest)
			}
			health = execForm(t, c)
		case "USER":
			user = rest
		case "VOLUME":
			volume = rest
		case "RUN":
			if strings.Contains(rest, "go build") && !strings.Contains(rest, "CGO_ENABLED=0") {
				t.Errorf("the Go build must be pure Go: %q", rest)
			}
		}
	}
	if froms < 3 {
		t.Errorf("%d stages, want web, build and runtime", froms)
	}
	if user == "" || strings.HasPrefix(user, "0") || strings.HasPrefix(user, "root") {
		t.Errorf("USER %q: the image must run as a non-root user", user)
	}
	if !strings.Contains(volume, "/data") || env["PARLEY_DATA"] != "/data" {
		t.Errorf("VOLUME %q, PARLEY_DATA %q: want the data in /data", volume, env["PARLEY_DATA"])
	}
	if len(entrypoint) != 1 || filepath.Base(entrypoint[0]) != "parley" || len(cmd) == 0 || cmd[0] != "serve" {
		t.Fatalf("ENTRYPOINT %q CMD %q: want [parley] [serve ...]", entrypoint, cmd)
	}
	cfg := loadServe(t, "Dockerfile", cmd[1:], env)
	if host := cfg.Addr[:strings.LastIndex(cfg.Addr, ":")]; host != "0.0.0.0" && host != "" {
		t.Errorf("the container listens on %q: unreachable from outside the container", cfg.Addr)
	}
	if len(health) < 2 || filepath.Base(health[0]) != "parley" || health[1] != "healthcheck" {
		t.Fatalf("HEALTHCHECK %q: want parley healthcheck", health)
	}
}

func execForm(t *testing.T, s string) []string {
	t.Helper()
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatalf("%q: want the exec (JSON array) form: %v", s, err)
	}
	return out
}

// k8sObject is the part of a Kubernetes object the checks read.
type k8sObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name        string            `yaml:"name"`
		Namespace   string            `yaml:"namespace"`
		Annotations map[string]string `yaml:"annotations"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Spec       struct {
		Replicas    *int             `yaml:"replicas"`
		ServiceName string           `yaml:"serviceName"`
		Selector    map[string]any   `yaml:"selector"`
		Ports       []k8sServicePort `yaml:"ports"`
		Template    k8sPodTemplate   `yaml:"template"`
		ClusterIP   string           `yaml:"clusterIP"`
		Rules       []map[string]any `yaml:"rules"`
	} `yaml:"spec"`
}

type k8sServicePort struct {
	Name       string `yaml:"name"`
	Port       int    `yaml:"port"`
	TargetPort any    `yaml:"targetPort"`
}

type k8sPodTemplate struct {
	Metadata struct {
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec struct {
		TerminationGracePeriodSeconds int            `yaml:"terminationGracePeriodSeconds"`
		Containers                    []k8sContainer `yaml:"containers"`
	} `yaml:"spec"`
}

type k8sContainer struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	Env     []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"env"`
	EnvFrom []struct {
		ConfigMapRef *struct {
			Name string `yaml:"name"`
		} `yaml:"configMapRef"`
		SecretRef *struct {
			Name string `yaml:"name"`
		} `yaml:"secretRef"`
	} `yaml:"envFrom"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	ReadinessProbe *k8sProbe `yaml:"readinessProbe"`
	LivenessProbe  *k8sProbe `yaml:"livenessProbe"`
}

type k8sProbe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

func readManifests(t *testing.T) []k8sObject {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(deployDir, "kubernetes", "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	var objs []k8sObject
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for i := 1; ; i++ {
			var o k8sObject
			err := dec.Decode(&o)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s, document %d: %v", p, i, err)
			}
			if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
				t.Errorf("%s, document %d: apiVersion, kind and metadata.name are required", p, i)
			}
			if o.Kind != "Namespace" && o.Metadata.Namespace != "parley" {
				t.Errorf("%s: %s/%s is in namespace %q, want parley", p, o.Kind, o.Metadata.Name, o.Metadata.Namespace)
			}
			objs = append(objs, o)
		}
	}
	return objs
}

// TestDeployKubernetes: the manifests parse, describe 3 Parley pods probed on /readyz and /healthz,
// 3 NATS servers and PostgreSQL, every Service selects pods and ports that
// exist, and the Parley pods' environment is a valid configuration that
// points at those Services.
func TestDeployKubernetes(t *testing.T) {
	objs := readManifests(t)
	find := func(kind, name string) *k8sObject {
		for i := range objs {
			if objs[i].Kind == kind && objs[i].Metadata.Name == name {
				return &objs[i]
			}
		}
		t.Fatalf("no %s %q in the manifests", kind, name)
		return nil
	}
	parley := find("Deployment", "parley")
	nats := find("StatefulSet", "nats")
	find("StatefulSet", "postgres")
	if parley.Spec.Replicas == nil || *parley.Spec.Replicas != 3 || nats.Spec.Replicas == nil || *nats.Spec.Replicas != 3 {
		t.Errorf("want 3 Parley pods and 3 NATS servers")
	}

	// The Parley container: real command and flags, probes, environment.
	var c *k8sContainer
	for i := range parley.Spec.Template.Spec.Containers {
		if strings.Contains(parley.Spec.Template.Spec.Containers[i].Image, "parley") {
			c = &parley.Spec.Template.Spec.Containers[i]
		}
	}
	if c == nil || len(c.Command) != 0 || len(c.Args) == 0 || c.Args[0] != "serve" {
		t.Fatalf("the parley container must run the image's entrypoint with args [serve ...]: %+v", c)
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("readiness probe: want GET /readyz")
	}
	if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("liveness probe: want GET /healthz (not /readyz: a database outage must not restart every pod)")
	}
	env := map[string]string{}
	known := knownEnv()
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	for _, ef := range c.EnvFrom {
		var o *k8sObject
		switch {
		case ef.ConfigMapRef != nil:
			o = find("ConfigMap", ef.ConfigMapRef.Name)
		case ef.SecretRef != nil:
			o = find("Secret", ef.SecretRef.Name)
		default:
			t.Fatalf("envFrom without configMapRef or secretRef")
		}
		for k, v := range o.Data {
			env[k] = v
		}
		for k, v := range o.StringData {
			env[k] = v
		}
	}
	for k := range env {
		if !known[k] {
			t.Errorf("the parley pods get %s, which Parley does not read", k)
		}
	}
	cfg := loadServe(t, "Deployment parley", c.Args[1:], env)
	if cfg.Database == "" || cfg.NATS == "" {
		t.Fatalf("a cluster needs PARLEY_DATABASE and PARLEY_NATS; got database %v, nats %q", cfg.Database != "", cfg.NATS)
	}
	if cfg.SecretKeyFile == "" {
		t.Errorf("a PostgreSQL cluster needs PARLEY_SECRET_KEY_FILE (a node refuses to start without it)")
	}
	if grace := time.Duration(parley.Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second; grace <= cfg.ShutdownTimeout {
		t.Errorf("terminationGracePeriodSeconds %v must exceed the shutdown timeout %v", grace, cfg.ShutdownTimeout)
	}
	// The addresses name the Services and pods defined here.
	hostRE := regexp.MustCompile(`^(?:[a-z]+://)?(?:[^@/]*@)?([a-z0-9.-]+):\d+`)
	hosts := []string{}
	for _, u := range strings.Split(cfg.NATS, ",") {
		hosts = append(hosts, hostRE.FindStringSubmatch(strings.TrimSpace(u))[1])
	}
	hosts = append(hosts, hostRE.FindStringSubmatch(cfg.Database)[1])
	for _, h := range hosts {
		if !resolvesInCluster(h, objs) {
			t.Errorf("%s does not name a Service or StatefulSet pod of the manifests", h)
		}
	}

	ing := find("Ingress", "parley")
	checkBodyLimit(t, "Ingress parley", ing.Metadata.Annotations["nginx.ingress.kubernetes.io/proxy-body-size"], `^(\d+)m$`, 1<<20)

	// Every Service selects pods that exist, on ports they expose.
	for _, s := range objs {
		if s.Kind != "Service" {
			continue
		}
		var pods *k8sPodTemplate
		for i := range objs {
			o := &objs[i]
			if (o.Kind == "Deployment" || o.Kind == "StatefulSet") && selects(s.Spec.Selector, o.Spec.Template.Metadata.Labels) {
				pods = &o.Spec.Template
			}
		}
		if pods == nil {
			t.Errorf("Service %s selects no pods", s.Metadata.Name)
			continue
		}
		for _, p := range s.Spec.Ports {
			if name, ok := p.TargetPort.(string); ok && !exposes(pods, name) {
				t.Errorf("Service %s: target port %q is not a container port of the pods it selects", s.Metadata.Name, name)
			}
		}
	}
}

func selects(selector map[string]any, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != fmt.Sprint(v) {
			return false
		}
	}
	return true
}

func exposes(pods *k8sPodTemplate, port string) bool {
	for _, c := range pods.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name == port {
				return true
			}
		}
	}
	return false
}

// resolvesInCluster reports whether host is SERVICE.parley.svc.cluster.local
// or POD.SERVICE.parley... for a StatefulSet pod that exists.
func resolvesInCluster(host string, objs []k8sObject) bool {
	labels := strings.Split(strings.TrimSuffix(host, ".parley.svc.cluster.local"), ".")
	for _, o := range objs {
		switch {
		case len(labels) == 1 && o.Kind == "Service" && o.Metadata.Name == labels[0]:
			return true
		case len(labels) == 2 && o.Kind == "StatefulSet" && o.Spec.ServiceName == labels[1] && o.Spec.Replicas != nil:
			for i := range *o.Spec.Replicas {
				if labels[0] == fmt.Sprintf("%s-%d", o.Metadata.Name, i) {
					return true
				}
			}
		}
	}
	return false
}

// TestDeployNginx runs `nginx -t` on docs/deploy/nginx.conf, inside a
// minimal main config and with a throwaway certificate in place of the
// real one.
func TestDeployNginx(t *testing.T) {
	bin := os.Getenv("PARLEY_TEST_NGINX")
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("PARLEY_TEST_NGINX is not set: make test-go sets it (scripts/ensure-nginx.sh)")
		}
		t.Skip("PARLEY_TEST_NGINX is not set: run `make test-go`, or PARLEY_TEST_NGINX=$(scripts/ensure-nginx.sh)")
	}
	site, err := os.ReadFile(filepath.Join(deployDir, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"proxy_set_header Upgrade", "proxy_read_timeout"} {
		if !bytes.Contains(site, []byte(want)) {
			t.Errorf("nginx.conf lacks %q", want)
		}
	}
	checkBodyLimit(t, "nginx.conf", string(site), `client_max_body_size\s+(\d+)m;`, 1<<20)
	dir := t.TempDir()
	writeCert(t, filepath.Join(dir, "fullchain.pem"), filepath.Join(dir, "privkey.pem"))
	conf := strings.ReplaceAll(string(site), "/etc/ssl/parley/", dir+"/")
	// Ports above 1024 so that the check needs no privileges.
	conf = regexp.MustCompile(`listen (\[::\]:)?(80|443)\b`).ReplaceAllStringFunc(conf, func(s string) string {
		return strings.Replace(strings.Replace(s, "443", "18443", 1), " 80", " 18080", 1)
	})
	conf = strings.ReplaceAll(conf, "[::]:80", "[::]:18080")
	if err := os.WriteFile(filepath.Join(dir, "parley.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	main := fmt.Sprintf(`pid %[1]s/nginx.pid;
error_log stderr;
events {}
http {
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    access_log off;
    include %[1]s/parley.conf;
}
`, dir)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-e", "stderr", "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-t").CombinedOutput()
	if err != nil {
		t.Fatalf("nginx -t on docs/deploy/nginx.conf: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "test is successful") {
		t.Errorf("nginx -t: %s", out)
	}
}

// checkBodyLimit checks that a proxy's request body limit (the number
// matched by re, times unit) lets an upload of the default file limit
// through in its multipart envelope, and is not much larger.
func checkBodyLimit(t *testing.T, where, conf, re string, unit int64) {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(conf)
	if m == nil {
		t.Errorf("%s: no request body limit matching %s", where, re)
		return
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	if limit := n * unit; limit <= account.DefaultFileMaxBytes || limit > account.DefaultFileMaxBytes+4<<20 {
		t.Errorf("%s: body limit %d bytes; want a little above the default file limit of %d bytes (multipart envelope)",
			where, limit, account.DefaultFileMaxBytes)
	}
}

// writeCert writes a self-signed certificate and its key.
func writeCert(t *testing.T, certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "chat.example.com"},
		DNSNames: []string{"chat.example.com"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestDeployCaddy runs `caddy validate` on docs/deploy/Caddyfile
// (PARLEY_TEST_CADDY names the binary). Validation starts the active
// health checks for a moment, so every upstream is first pointed at a
// closed loopback port: the test never sends traffic off this machine.
func TestDeployCaddy(t *testing.T) {
	bin := os.Getenv("PARLEY_TEST_CADDY")
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("PARLEY_TEST_CADDY is not set: make test-go sets it (scripts/ensure-deb-binary.sh caddy usr/bin/caddy)")
		}
		t.Skip("PARLEY_TEST_CADDY is not set: run `make test-go`, or PARLEY_TEST_CADDY=$(scripts/ensure-deb-binary.sh caddy usr/bin/caddy)")
	}
	b, err := os.ReadFile(filepath.Join(deployDir, "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("health_uri /readyz")) {
		t.Errorf("Caddyfile lacks an active health check on /readyz")
	}
	checkBodyLimit(t, "Caddyfile", string(b), `max_size\s+(\d+)MiB`, 1<<20)
	conf := regexp.MustCompile(`\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d+`).ReplaceAllString(string(b), "127.0.0.1:9")
	dir := t.TempDir()
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "validate", "--config", path, "--adapter", "caddyfile")
	cmd.Env = append(cleanEnv(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Valid configuration") {
		t.Fatalf("caddy validate on docs/deploy/Caddyfile: %v\n%s", err, out)
	}
}

// TestDeploySystemdVerify runs `systemd-analyze verify` on the unit (any
// warning, such as a misspelt hardening option, fails) and checks its
// offline security exposure score stays low.
func TestDeploySystemdVerify(t *testing.T) {
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-analyze is missing (Debian's systemd package)")
		}
		t.Skip("systemd-analyze is missing")
	}
	b, err := os.ReadFile(filepath.Join(deployDir, "parley.service"))
	if err != nil {
		t.Fatal(err)
	}
	// verify wants the ExecStart program to exist.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(t.TempDir(), "parley.service")
	if err := os.WriteFile(unit, []byte(strings.Replace(string(b), "ExecStart=/usr/local/bin/parley", "ExecStart="+self, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "verify", "--man=no", unit).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify parley.service: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "security", "--offline=true", "--no-pager", unit).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for parley.service: (\d+\.\d+)`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	if score, _ := strconv.ParseFloat(string(m[1]), 64); score > 2.0 {
		t.Errorf("exposure level %.1f, want at most 2.0 (0 = fully sandboxed, 10 = not at all)", score)
	}
}
