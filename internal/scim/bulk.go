package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/sso"
)

// Bulk (RFC 7644 3.7): many POST, PUT, PATCH and DELETE operations on
// /Users and /Groups in one request. Each operation runs exactly as the
// same request sent alone would (same handler, same checks, same audit
// entries), in its own transactions: a bulk request is not atomic, as the
// RFC has it, and an operation that fails leaves the ones before it done.

const (
	schemaBulkRequest  = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	schemaBulkResponse = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"

	// maxBulkOperations and maxBulkPayload are the limits advertised in
	// ServiceProviderConfig. A thousand operations take a few seconds on
	// the embedded store; a larger provisioning run sends several requests.
	maxBulkOperations = 1000
	maxBulkPayload    = 1 << 20

	bulkIDPrefix = "bulkId:"
)

type bulkOp struct {
	Method string          `json:"method"`
	BulkID string          `json:"bulkId"`
	Path   string          `json:"path"`
	Data   json.RawMessage `json:"data"`
}

type bulkRequest struct {
	Schemas      []string `json:"schemas"`
	FailOnErrors *int     `json:"failOnErrors"`
	Operations   []bulkOp `json:"Operations"`
}

type bulkResult struct {
	Method   string `json:"method"`
	BulkID   string `json:"bulkId,omitempty"`
	Location string `json:"location,omitempty"`
	Status   string `json:"status"`
	// Response is the error body of a failed operation; successful ones
	// omit it (RFC 7644 3.7: the server MAY), the location names the
	// resource.
	Response *scimError `json:"response,omitempty"`
}

type bulkResponse struct {
	Schemas    []string     `json:"schemas"`
	Operations []bulkResult `json:"Operations"`
}

// bulkJob is one bulk request being run.
type bulkJob struct {
	h   *Handler
	r   *http.Request
	c   sso.SCIMClient
	ops []bulkOp
	// defs maps a bulkId to the POST operation that defines it.
	defs map[string]int
	// ids maps a bulkId to the id its POST created.
	ids     map[string]string
	state   []int // 0 not run, 1 running (waiting for what it refers to), 2 done
	results []*bulkResult
	maxErrs int // 0: no limit
	errors  int
}

// bulk runs POST /scim/v2/Bulk.
func (h *Handler) bulk(w http.ResponseWriter, r *http.Request, c sso.SCIMClient) error {
	// Read up to the limit whatever Content-Length says (or not, when
	// chunked), so the client gets the 413 rather than a reset connection.
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBulkPayload+1))
	if err != nil {
		return invalid("unreadable body")
	}
	if len(body) > maxBulkPayload {
		return bulkTooLarge()
	}
	var req bulkRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return errs.New("scim", errs.Invalid, "invalid_json")
	}
	if len(req.Operations) == 0 {
		return invalid("Operations must hold at least one operation")
	}
	if len(req.Operations) > maxBulkOperations {
		return &limitError{"tooMany", fmt.Sprintf("the bulk request has %d operations, more than maxOperations (%d)", len(req.Operations), maxBulkOperations)}
	}
	j := &bulkJob{h: h, r: r, c: c, ops: req.Operations, defs: map[string]int{}, ids: map[string]string{},
		state: make([]int, len(req.Operations)), results: make([]*bulkResult, len(req.Operations))}
	if req.FailOnErrors != nil {
		if *req.FailOnErrors < 1 {
			return invalid("failOnErrors must be a positive integer")
		}
		j.maxErrs = *req.FailOnErrors
	}
	for i, o := range req.Operations {
		if strings.EqualFold(o.Method, http.MethodPost) && o.BulkID != "" {
			if _, dup := j.defs[o.BulkID]; dup {
				return invalid("bulkId " + strconv.Quote(o.BulkID) + " is used by more than one POST")
			}
			j.defs[o.BulkID] = i
		}
	}
	for i := range j.ops {
		if j.stopped() {
			break
		}
		if j.state[i] == 0 {
			j.run(i)
		}
	}
	resp := bulkResponse{Schemas: []string{schemaBulkResponse}, Operations: []bulkResult{}}
	for _, res := range j.results {
		if res != nil {
			resp.Operations = append(resp.Operations, *res)
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func bulkTooLarge() error {
	return &limitError{msg: fmt.Sprintf("the bulk request is larger than maxPayloadSize (%d bytes)", maxBulkPayload)}
}

// limitError is a bulk request over one of the advertised limits: 413
// (RFC 7644 3.7.4) with a detail naming the limit, and scimType tooMany
// when it is the number of operations.
type limitError struct{ scimType, msg string }

func (e *limitError) Error() string { return e.msg }

// stopped reports whether failOnErrors has been reached: no operation
// runs after that.
func (j *bulkJob) stopped() bool { return j.maxErrs > 0 && j.errors >= j.maxErrs }

// fail records operation i as failed without running it.
func (j *bulkJob) fail(i int, status int, scimType, detail string) {
	o := j.ops[i]
	j.state[i] = 2
	j.errors++
	j.results[i] = &bulkResult{Method: strings.ToUpper(o.Method), BulkID: o.BulkID, Status: strconv.Itoa(status),
		Location: j.location(o.Path),
		Response: &scimError{Schemas: []string{schemaError}, Status: strconv.Itoa(status), ScimType: scimType, Detail: detail}}
}

// location is the resource a PUT, PATCH or DELETE path names, once its
// bulkId (if any) is resolved; "" when unknown.
func (j *bulkJob) location(path string) string {
	kind, id, ok := splitBulkPath(path)
	if !ok || id == "" {
		return ""
	}
	if ref, isRef := strings.CutPrefix(id, bulkIDPrefix); isRef {
		if id = j.ids[ref]; id == "" {
			return ""
		}
	}
	return "/scim/v2/" + kind + "/" + id
}

// splitBulkPath reads "/Users", "/Groups", "/Users/{id}" or
// "/Groups/{id}".
func splitBulkPath(path string) (kind, id string, ok bool) {
	rest, found := strings.CutPrefix(path, "/")
	if !found {
		return "", "", false
	}
	kind, id, _ = strings.Cut(rest, "/")
	if kind != "Users" && kind != "Groups" || strings.Contains(id, "/") {
		return "", "", false
	}
	return kind, id, true
}

// run runs operation i, after the POSTs whose bulkIds it refers to. A
// reference back to an operation still waiting on its own references is a
// cycle: refused with 409, as RFC 7644 3.7.1 allows.
func (j *bulkJob) run(i int) {
	o := j.ops[i]
	j.state[i] = 1
	method := strings.ToUpper(o.Method)
	kind, id, ok := splitBulkPath(o.Path)
	switch {
	case method != http.MethodPost && method != http.MethodPut && method != http.MethodPatch && method != http.MethodDelete:
		j.fail(i, http.StatusBadRequest, "invalidValue", "method must be POST, PUT, PATCH or DELETE")
		return
	case !ok || (method == http.MethodPost) != (id == ""):
		j.fail(i, http.StatusBadRequest, "invalidPath", "path must be /Users or /Groups for POST, /Users/{id} or /Groups/{id} otherwise")
		return
	case method == http.MethodPost && o.BulkID == "":
		j.fail(i, http.StatusBadRequest, "invalidValue", "a POST operation needs a bulkId")
		return
	case method != http.MethodDelete && len(o.Data) == 0:
		j.fail(i, http.StatusBadRequest, "invalidSyntax", method+" needs data")
		return
	}
	var data any
	if len(o.Data) > 0 {
		dec := json.NewDecoder(bytes.NewReader(o.Data))
		dec.UseNumber()
		if dec.Decode(&data) != nil {
			j.fail(i, http.StatusBadRequest, "invalidSyntax", "data is not valid JSON")
			return
		}
	}
	refs := bulkRefs(data, "", nil)
	if ref, isRef := strings.CutPrefix(id, bulkIDPrefix); isRef {
		refs = append(refs, bulkRef{ref, kind})
	}
	for _, rf := range refs {
		ref := rf.bulkID
		def, known := j.defs[ref]
		if !known {
			j.fail(i, http.StatusBadRequest, "invalidValue", "bulkId "+strconv.Quote(ref)+" is not defined by a POST of this request")
			return
		}
		// A user's id where a group's is expected (or the reverse) would
		// name another resource that happens to have that number.
		if defKind, _, _ := splitBulkPath(j.ops[def].Path); defKind != rf.kind {
			j.fail(i, http.StatusBadRequest, "invalidValue", "bulkId "+strconv.Quote(ref)+" creates one of "+defKind+", not of "+rf.kind)
			return
		}
		switch j.state[def] {
		case 1:
			j.fail(i, http.StatusConflict, "", "circular bulkId reference through "+strconv.Quote(ref))
			return
		case 0:
			j.run(def)
		}
		if j.stopped() {
			// failOnErrors was reached while running what this operation
			// refers to: it does not run, and is not reported.
			j.state[i] = 2
			return
		}
		if j.ids[ref] == "" {
			j.fail(i, http.StatusConflict, "", "the operation of bulkId "+strconv.Quote(ref)+" failed")
			return
		}
	}
	if ref, isRef := strings.CutPrefix(id, bulkIDPrefix); isRef {
		id = j.ids[ref]
	}
	var body io.Reader = http.NoBody
	if data != nil {
		b, err := json.Marshal(j.resolve(data))
		if err != nil {
			j.fail(i, http.StatusBadRequest, "invalidSyntax", "data is not valid JSON")
			return
		}
		body = bytes.NewReader(b)
	}
	rec := j.exec(method, kind, id, body)
	j.state[i] = 2
	res := &bulkResult{Method: method, BulkID: o.BulkID, Status: strconv.Itoa(rec.status), Location: rec.header.Get("Location")}
	if res.Location == "" && id != "" {
		res.Location = "/scim/v2/" + kind + "/" + id
	}
	if rec.status >= 400 {
		j.errors++
		var e scimError
		if json.Unmarshal(rec.body.Bytes(), &e) != nil {
			e = scimError{Schemas: []string{schemaError}, Status: res.Status, Detail: "internal error"}
		}
		res.Response = &e
	} else if method == http.MethodPost {
		j.ids[o.BulkID] = res.Location[strings.LastIndexByte(res.Location, '/')+1:]
	}
	j.results[i] = res
}

// exec runs one operation through the handler the same request would
// reach alone, and records its answer.
func (j *bulkJob) exec(method, kind, id string, body io.Reader) *recorder {
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	target := "/scim/v2/" + kind
	if id != "" {
		target += "/" + id
	}
	req, err := http.NewRequestWithContext(j.r.Context(), method, target, body)
	if err != nil {
		writeError(rec, http.StatusBadRequest, "invalidPath", "invalid path")
		return rec
	}
	req.RemoteAddr = j.r.RemoteAddr
	req.Header.Set("User-Agent", j.r.Header.Get("User-Agent"))
	req.SetPathValue("id", id)
	var fn handlerFunc
	switch method + " " + kind {
	case "POST Users":
		fn = j.h.createUser
	case "PUT Users":
		fn = j.h.putUser
	case "PATCH Users":
		fn = j.h.patchUser
	case "DELETE Users":
		fn = j.h.deleteUser
	case "POST Groups":
		fn = j.h.createGroup
	case "PUT Groups":
		fn = j.h.putGroup
	case "PATCH Groups":
		fn = j.h.patchGroup
	case "DELETE Groups":
		fn = j.h.deleteGroup
	}
	if err := fn(rec, req, j.c); err != nil {
		j.h.fail(rec, req, err)
	}
	return rec
}

// bulkRef is a reference to the resource a POST of the request creates,
// of the kind ("Users" or "Groups") the place of the reference expects.
type bulkRef struct{ bulkID, kind string }

// bulkRefs collects the "bulkId:x" string values of v with the kind each
// must name: a group under a "parent" key (Parley's department extension),
// a user anywhere else (group members are users; a user has no
// references Parley keeps).
func bulkRefs(v any, key string, out []bulkRef) []bulkRef {
	switch x := v.(type) {
	case string:
		if ref, ok := strings.CutPrefix(x, bulkIDPrefix); ok {
			kind := "Users"
			if strings.EqualFold(key, "parent") {
				kind = "Groups"
			}
			if !slices.Contains(out, bulkRef{ref, kind}) {
				out = append(out, bulkRef{ref, kind})
			}
		}
	case []any:
		for _, e := range x {
			out = bulkRefs(e, key, out)
		}
	case map[string]any:
		for k, e := range x {
			out = bulkRefs(e, k, out)
		}
	}
	return out
}

// resolve replaces every "bulkId:x" string of v with the id x's POST
// created (run made sure there is one).
func (j *bulkJob) resolve(v any) any {
	switch x := v.(type) {
	case string:
		if ref, ok := strings.CutPrefix(x, bulkIDPrefix); ok {
			return j.ids[ref]
		}
	case []any:
		for i, e := range x {
			x[i] = j.resolve(e)
		}
	case map[string]any:
		for k, e := range x {
			x[k] = j.resolve(e)
		}
	}
	return v
}

// recorder is the http.ResponseWriter an operation of a bulk request
// writes to.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(status int)      { r.status = status }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
