package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/scf-emulator/emulator/admin"
	"github.com/scf-emulator/emulator/tc3"
)

// emuClient calls the admin address's emulator endpoints (/emulator/...),
// which are not part of the cloud API. With TENCENTCLOUD_SECRET_ID and
// TENCENTCLOUD_SECRET_KEY set it signs every request with TC3-HMAC-SHA256,
// as the SDK does for the cloud API, so an emulator started with
// credentials accepts the CLI's changes.
type emuClient struct {
	base     string // http://host:port
	endpoint string // the --endpoint value, for errors
	id, key  string
}

func newEmuClient(endpoint string) (*emuClient, error) {
	base, err := endpointURL(endpoint)
	if err != nil {
		return nil, err
	}
	return &emuClient{base: base, endpoint: endpoint, id: os.Getenv("TENCENTCLOUD_SECRET_ID"), key: os.Getenv("TENCENTCLOUD_SECRET_KEY")}, nil
}

// emuError is a non-2xx answer of an emulator endpoint.
type emuError struct {
	Status  int
	Message string
}

func (e *emuError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// do sends one request; body, when not nil, is sent as JSON. A 2xx answer
// is returned for the caller to read and close; anything else is an
// *emuError carrying the endpoint's {"error": ...} message.
func (c *emuClient) do(ctx context.Context, method, path string, q url.Values, body any) (*http.Response, error) {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return nil, err
		}
	}
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.id != "" {
		now := time.Now()
		req.Header.Set("X-TC-Timestamp", strconv.FormatInt(now.Unix(), 10))
		req.Header.Set("Authorization", tc3.Sign(tc3.Request{
			Method: method, Host: req.URL.Host, Query: req.URL.RawQuery, Header: req.Header, Body: raw,
		}, signService, c.id, c.key, now))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, unreachable(c.endpoint, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		var e struct{ Error string }
		_ = json.NewDecoder(resp.Body).Decode(&e)
		if e.Error == "" {
			e.Error = "no error message"
		}
		return nil, &emuError{Status: resp.StatusCode, Message: e.Error}
	}
	return resp, nil
}

// doJSON sends a request and decodes a 2xx answer into out.
func (c *emuClient) doJSON(ctx context.Context, method, path string, q url.Values, body, out any) error {
	resp, err := c.do(ctx, method, path, q, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("bad answer from the emulator at %s: %w", path, err)
	}
	return nil
}

// info asks the emulator about itself (GET /emulator/info).
func (c *emuClient) info(ctx context.Context) (admin.Info, error) {
	var ans admin.Info
	if err := c.doJSON(ctx, http.MethodGet, "/emulator/info", nil, nil, &ans); err != nil {
		return admin.Info{}, err
	}
	if ans.Gateway == "" {
		return admin.Info{}, errors.New("bad answer from the emulator at /emulator/info: it names no gateway")
	}
	return ans, nil
}

// routes asks for the gateway routes of fn (GET /emulator/routes).
func (c *emuClient) routes(ctx context.Context, fn string) (admin.RoutesAnswer, error) {
	var ans admin.RoutesAnswer
	if err := c.doJSON(ctx, http.MethodGet, "/emulator/routes", url.Values{"function": {fn}}, nil, &ans); err != nil {
		return admin.RoutesAnswer{}, fmt.Errorf("routes of %s: %w", fn, err)
	}
	return ans, nil
}
