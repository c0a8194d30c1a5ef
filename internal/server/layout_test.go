package server_test

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/parley-chat/parley"

// TestEveryPackageHasADocComment keeps `go doc` useful: each package says
// what it owns.
func TestEveryPackageHasADocComment(t *testing.T) {
	root := filepath.Join("..", "..")
	for _, dir := range []string{"cmd", "internal"} {
		filepath.WalkDir(filepath.Join(root, dir), func(path string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() || strings.Contains(path, "testdata") || strings.Contains(path, "dist") {
				return nil
			}
			pkgs, err := parser.ParseDir(token.NewFileSet(), path, func(fi os.FileInfo) bool {
				return !strings.HasSuffix(fi.Name(), "_test.go")
			}, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Errorf("%s: %v", path, err)
				return nil
			}
			for name, p := range pkgs {
				documented := false
				for _, f := range p.Files {
					if f.Doc != nil && strings.TrimSpace(f.Doc.Text()) != "" {
						documented = true
					}
				}
				if !documented {
					t.Errorf("package %s (%s) has no doc comment", name, path)
				}
			}
			return nil
		})
	}
}

// TestDependencyDirection enforces the layering in docs/architecture.md:
// domain packages do not import transports or the store; the store does not
// import transports; realtime does not import domain packages; nothing but
// cmd imports server.
func TestDependencyDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	type pkg struct {
		ImportPath string
		Imports    []string
	}
	forbidden := map[string][]string{
		"internal/account":  {"internal/store", "internal/httpapi", "internal/realtime", "internal/server", "internal/chat", "net/http"},
		"internal/auth":     {"internal/store", "internal/httpapi", "internal/realtime", "internal/server", "net/http"},
		"internal/chat":     {"internal/store", "internal/httpapi", "internal/realtime", "internal/server", "net/http"},
		"internal/errs":     {"internal/"},
		"internal/audit":    {"internal/store", "internal/httpapi", "internal/realtime", "internal/server", "internal/account", "internal/auth", "internal/chat", "net/http"},
		"internal/event":    {"internal/"},
		"internal/store":    {"internal/httpapi", "internal/realtime", "internal/server", "net/http"},
		"internal/realtime": {"internal/account", "internal/chat", "internal/auth", "internal/store", "internal/httpapi", "internal/server"},
		"internal/bus":      {"internal/store", "internal/httpapi", "internal/realtime", "internal/server", "internal/chat", "internal/account"},
		"internal/httpapi":  {"internal/store", "internal/server"},
		"internal/config":   {"internal/"},
		// secret is a leaf: it seals bytes and knows nothing of what they are.
		"internal/secret": {"internal/store", "internal/httpapi", "internal/realtime", "internal/server", "internal/account", "internal/auth", "internal/sso", "internal/chat", "net/http"},
		"internal/search": {"internal/store", "internal/httpapi", "internal/realtime", "internal/server", "net/http"},
		"internal/unfurl": {"internal/store", "internal/httpapi", "internal/realtime", "internal/server"},
		// sso makes outbound HTTP requests to identity providers, so it may
		// import net/http; it serves none (httpapi does).
		"internal/scim": {"internal/store", "internal/httpapi", "internal/realtime", "internal/server"},
		"internal/sso":  {"internal/store", "internal/httpapi", "internal/realtime", "internal/server", "internal/chat"},
		// file uses net/http for http.DetectContentType (the WHATWG sniffing
		// algorithm) only; it serves nothing.
		"internal/file": {"internal/store", "internal/httpapi", "internal/realtime", "internal/server"},
		"internal/mail": {"internal/store", "internal/httpapi", "internal/realtime", "internal/server", "internal/chat"},
		"internal/blob": {"internal/store", "internal/httpapi", "internal/realtime", "internal/server", "internal/chat", "internal/account", "internal/file"},
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(p.ImportPath, module+"/")
		for _, imp := range p.Imports {
			irel := strings.TrimPrefix(imp, module+"/")
			if irel == "internal/server" && !strings.HasPrefix(rel, "cmd/") && !strings.HasPrefix(rel, "internal/server") {
				t.Errorf("%s imports internal/server: only cmd and the server's test helpers may", rel)
			}
			for _, bad := range forbidden[rel] {
				if irel == bad || (strings.HasSuffix(bad, "/") && strings.HasPrefix(irel, bad)) || strings.HasPrefix(irel, bad+"/") {
					t.Errorf("%s imports %s, against the dependency direction", rel, imp)
				}
			}
		}
	}
}

// TestDependenciesDocumented fails when go.mod or web/package.json names a
// module that docs/dependencies.md does not list with its reason.
func TestDependenciesDocumented(t *testing.T) {
	root := filepath.Join("..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "docs", "dependencies.md"))
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	inRequire := false
	for _, line := range strings.Split(string(gomod), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "require ("):
			inRequire = true
			continue
		case line == ")":
			inRequire = false
			continue
		case strings.HasPrefix(line, "require "):
			line = strings.TrimPrefix(line, "require ")
		case !inRequire:
			continue
		}
		mod := strings.Fields(line)
		if len(mod) > 0 && !strings.Contains(string(doc), "`"+mod[0]+"`") {
			t.Errorf("docs/dependencies.md does not list Go module %s", mod[0])
		}
	}
	pkgJSON, err := os.ReadFile(filepath.Join(root, "web", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		Dependencies, DevDependencies map[string]string
	}
	if err := json.Unmarshal(pkgJSON, &pkg); err != nil {
		t.Fatal(err)
	}
	for _, deps := range []map[string]string{pkg.Dependencies, pkg.DevDependencies} {
		for name := range deps {
			if !strings.Contains(string(doc), "`"+name+"`") {
				t.Errorf("docs/dependencies.md does not list npm package %s", name)
			}
		}
	}
}
