// Package apiclient is a small Go client for Parley's public REST API, used
// by the integration tests, the crash test and the load generator. It speaks
// only the documented API and decodes into the transport's wire types.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"

	"github.com/parley-chat/parley/internal/httpapi"
)

// Client calls one server as one user.
type Client struct {
	Base  string // e.g. "http://127.0.0.1:8080"
	Token string // bearer token; empty for anonymous calls
	HTTP  *http.Client
	Lang  string // Accept-Language, optional
}

// New returns a client for base with no credentials.
func New(base string) *Client {
	return &Client{Base: base, HTTP: &http.Client{}}
}

// WithToken returns a copy of c that authenticates with tok.
func (c *Client) WithToken(tok string) *Client {
	cc := *c
	cc.Token = tok
	return &cc
}

// Error is a non-2xx answer.
type Error struct {
	Status     int
	Code       string
	Message    string
	RetryAfter string // the Retry-After header, if any
}

func (e *Error) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// StatusOf returns the HTTP status of an *Error, or 0.
func StatusOf(err error) int {
	if e, ok := err.(*Error); ok {
		return e.Status
	}
	return 0
}

// CodeOf returns the error code of an *Error, or "".
func CodeOf(err error) string {
	if e, ok := err.(*Error); ok {
		return e.Code
	}
	return ""
}

// Do sends a request with an optional JSON body and decodes a JSON answer
// into out (when non-nil). It returns the status code.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		if raw, ok := body.([]byte); ok {
			rd = bytes.NewReader(raw)
		} else {
			b, err := json.Marshal(body)
			if err != nil {
				return 0, err
			}
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.send(req, out)
}

func (c *Client) authorize(req *http.Request) {
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.Lang != "" {
		req.Header.Set("Accept-Language", c.Lang)
	}
}

func (c *Client) client() *http.Client {
	if c.HTTP == nil {
		return http.DefaultClient
	}
	return c.HTTP
}

// send sends req with the client's credentials and decodes the answer.
func (c *Client) send(req *http.Request, out any) (int, error) {
	c.authorize(req)
	resp, err := c.client().Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		var eb httpapi.ErrorBody
		_ = json.Unmarshal(data, &eb)
		return resp.StatusCode, &Error{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message,
			RetryAfter: resp.Header.Get("Retry-After")}
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %s %s: %w", req.Method, req.URL.Path, err)
		}
	}
	return resp.StatusCode, nil
}

// Login logs in with a password and returns a client carrying the token.
func (c *Client) Login(ctx context.Context, login, password string) (*Client, httpapi.User, error) {
	var resp httpapi.LoginResponse
	_, err := c.Do(ctx, "POST", "/api/v1/auth/login", map[string]any{"login": login, "password": password}, &resp)
	if err != nil {
		return nil, httpapi.User{}, err
	}
	return c.WithToken(resp.Token), resp.User, nil
}

// CreateUser creates a user (organisation admins).
func (c *Client) CreateUser(ctx context.Context, email, username, password, role string) (httpapi.User, error) {
	var u httpapi.User
	_, err := c.Do(ctx, "POST", "/api/v1/users", map[string]any{"email": email, "username": username,
		"password": password, "role": role}, &u)
	return u, err
}

// CreateChannel creates a channel with initial members.
func (c *Client) CreateChannel(ctx context.Context, name, kind string, users []int64) (httpapi.Channel, error) {
	var ch httpapi.Channel
	if users == nil {
		users = []int64{}
	}
	_, err := c.Do(ctx, "POST", "/api/v1/channels", map[string]any{"name": name, "kind": kind, "user_ids": users}, &ch)
	return ch, err
}

// Invite adds users to a channel.
func (c *Client) Invite(ctx context.Context, channel int64, users []int64) error {
	_, err := c.Do(ctx, "POST", "/api/v1/channels/"+itoa(channel)+"/members", map[string]any{"user_ids": users}, nil)
	return err
}

// OpenDM opens the DM or group DM with users.
func (c *Client) OpenDM(ctx context.Context, users []int64) (httpapi.Channel, error) {
	var ch httpapi.Channel
	_, err := c.Do(ctx, "POST", "/api/v1/dms", map[string]any{"user_ids": users}, &ch)
	return ch, err
}

// Post sends a message; created is false for an idempotent retry.
func (c *Client) Post(ctx context.Context, channel int64, clientID, text string) (msg httpapi.Message, created bool, err error) {
	st, err := c.Do(ctx, "POST", "/api/v1/channels/"+itoa(channel)+"/messages",
		map[string]any{"client_id": clientID, "text": text}, &msg)
	return msg, st == http.StatusCreated, err
}

// History returns a page of a channel's history; query is e.g. "before=10&limit=50".
func (c *Client) History(ctx context.Context, channel int64, query string) (httpapi.HistoryPage, error) {
	var h httpapi.HistoryPage
	path := "/api/v1/channels/" + itoa(channel) + "/messages"
	if query != "" {
		path += "?" + query
	}
	_, err := c.Do(ctx, "GET", path, nil, &h)
	return h, err
}

// AllMessages pages through a channel's whole history, oldest first.
func (c *Client) AllMessages(ctx context.Context, channel int64) ([]httpapi.Message, error) {
	var all []httpapi.Message
	after := int64(0)
	for {
		h, err := c.History(ctx, channel, "after="+itoa(after)+"&limit=200")
		if err != nil {
			return nil, err
		}
		all = append(all, h.Messages...)
		if !h.HasMoreAfter || len(h.Messages) == 0 {
			return all, nil
		}
		after = h.Messages[len(h.Messages)-1].Seq
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// Upload uploads a file to a channel as multipart/form-data.
func (c *Client) Upload(ctx context.Context, channel int64, name string, data []byte) (httpapi.File, error) {
	var f httpapi.File
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("file", name)
	if err != nil {
		return f, err
	}
	part.Write(data)
	if err := mw.Close(); err != nil {
		return f, err
	}
	_, err = c.DoRaw(ctx, "POST", "/api/v1/channels/"+itoa(channel)+"/files", mw.FormDataContentType(), body.Bytes(), &f)
	return f, err
}

// PostFiles posts a message carrying uploaded files.
func (c *Client) PostFiles(ctx context.Context, channel int64, clientID, text string, files []int64) (httpapi.Message, error) {
	var m httpapi.Message
	_, err := c.Do(ctx, "POST", "/api/v1/channels/"+itoa(channel)+"/messages",
		map[string]any{"client_id": clientID, "text": text, "file_ids": files}, &m)
	return m, err
}

// DoRaw sends a request with a body of the given content type and decodes
// a JSON answer into out (when non-nil). It returns the status code.
func (c *Client) DoRaw(ctx context.Context, method, path, contentType string, body []byte, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", contentType)
	return c.send(req, out)
}

// Get fetches a path and returns the response with its body read.
func (c *Client) Get(ctx context.Context, path string, header http.Header) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.Base+path, nil)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	c.authorize(req)
	resp, err := c.client().Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}
