package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
)

// endpointURL resolves --endpoint, $EMULATOR_ENDPOINT or the default.
func endpointURL(endpoint string) (string, error) {
	if endpoint == "" {
		endpoint = os.Getenv("EMULATOR_ENDPOINT")
	}
	if endpoint == "" {
		endpoint = "http://127.0.0.1:9001"
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", usageError{fmt.Errorf("endpoint %q: want http://host:port", endpoint)}
	}
	return strings.TrimSuffix(endpoint, "/"), nil
}

// newClient builds the official SDK client pointed at the emulator. The CLI
// is a client of the same API the SDK users get, nothing private.
func newClient(endpoint string) (*scf.Client, error) {
	endpoint, err := endpointURL(endpoint)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(endpoint)
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Endpoint = u.Host + strings.TrimSuffix(u.Path, "/")
	cpf.HttpProfile.Scheme = u.Scheme
	cpf.HttpProfile.ReqTimeout = 330 // the longest sync invoke (900 s functions) is cut by the platform at 300 s
	id, key := os.Getenv("TENCENTCLOUD_SECRET_ID"), os.Getenv("TENCENTCLOUD_SECRET_KEY")
	if id == "" {
		id, key = "emulator", "emulator"
	}
	return scf.NewClient(common.NewCredential(id, key), "ap-guangzhou", cpf)
}

func runClient(ctx context.Context, cmd string, args []string, out io.Writer) error {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "management API URL (default $EMULATOR_ENDPOINT or http://127.0.0.1:9001)")
	ns := namespaceFlag(fs)
	c := &clientCmd{fs: fs, out: out, ctx: ctx}
	var run func([]string) error
	switch cmd {
	case "publish":
		run = c.publish(fs)
	case "versions":
		run = c.versions
	case "alias":
		run = c.alias(fs)
	case "invoke":
		run = c.invoke(fs)
	case "deploy":
		run = c.deploy(fs)
	case "rollback":
		run = c.rollback(fs)
	}
	pos, err := parse(fs, args)
	if err != nil {
		return usageError{err}
	}
	if err := checkNamespaceFlag(*ns); err != nil {
		return err
	}
	c.namespace = *ns
	if c.client, err = newClient(*endpoint); err != nil {
		return err
	}
	return apiError(*endpoint, run(pos))
}

// clientCmd holds what every client command shares.
type clientCmd struct {
	ctx    context.Context
	fs     *flag.FlagSet
	out    io.Writer
	client *scf.Client
	// namespace is --namespace, "" for the default: the Namespace of
	// every request that names a function.
	namespace string
}

// apiError turns SDK errors into one readable line naming the platform
// code; a failed connection names the endpoint tried (endpoint is the
// --endpoint value).
func apiError(endpoint string, err error) error {
	var sdk *tcerr.TencentCloudSDKError
	if errors.As(err, &sdk) {
		if sdk.Code == "ClientError.NetworkError" {
			return unreachable(endpoint, errors.New("no response"))
		}
		if strings.HasPrefix(sdk.Code, "AuthFailure") && os.Getenv("TENCENTCLOUD_SECRET_ID") == "" {
			// The emulator checks signatures (up --secret-id) and the CLI
			// signed with its placeholder keys.
			return fmt.Errorf("%s: %s (the CLI signs with TENCENTCLOUD_SECRET_ID/KEY, which are not set: export the keys `emulator up` was given)",
				sdk.Code, sdk.Message)
		}
		return fmt.Errorf("%s: %s", sdk.Code, sdk.Message)
	}
	return err
}

// unreachable explains that no emulator answered at the management API,
// where that address came from, and how to start one.
func unreachable(endpoint string, err error) error {
	base, uerr := endpointURL(endpoint)
	if uerr != nil {
		return uerr
	}
	from := "the default; --endpoint or EMULATOR_ENDPOINT choose another"
	switch {
	case endpoint != "":
		from = "from --endpoint"
	case os.Getenv("EMULATOR_ENDPOINT") != "":
		from = "from EMULATOR_ENDPOINT"
	}
	var op *net.OpError
	if errors.As(err, &op) {
		err = op.Err // "connect: connection refused", without the URL again
	}
	return fmt.Errorf("no emulator answers at %s (%s): %v; start one with `emulator up`, "+
		"or point --endpoint or EMULATOR_ENDPOINT at the admin address `emulator up` printed", base, from, err)
}

func (c *clientCmd) publish(fs *flag.FlagSet) func([]string) error {
	desc := fs.String("d", "", "description")
	return func(pos []string) error {
		if err := needArgs("publish", pos, 1, 1, "FUNCTION [-d DESCRIPTION]"); err != nil {
			return usageError{err}
		}
		req := scf.NewPublishVersionRequest()
		req.FunctionName, req.Description, req.Namespace = &pos[0], desc, c.ns()
		resp, err := c.client.PublishVersionWithContext(c.ctx, req)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.out, *resp.Response.FunctionVersion)
		return nil
	}
}

func (c *clientCmd) versions(pos []string) error {
	if err := needArgs("versions", pos, 1, 1, "FUNCTION"); err != nil {
		return usageError{err}
	}
	tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tDESCRIPTION\tADDED\tSTATUS")
	for offset := uint64(0); ; {
		req := scf.NewListVersionByFunctionRequest()
		req.FunctionName, req.Offset, req.Limit = &pos[0], common.Uint64Ptr(offset), common.Uint64Ptr(100)
		req.Namespace = c.ns()
		req.Order = common.StringPtr("ASC")
		resp, err := c.client.ListVersionByFunctionWithContext(c.ctx, req)
		if err != nil {
			return err
		}
		for _, v := range resp.Response.Versions {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", deref(v.Version), deref(v.Description), deref(v.AddTime), deref(v.Status))
		}
		offset += uint64(len(resp.Response.Versions))
		if len(resp.Response.Versions) == 0 || resp.Response.TotalCount == nil || offset >= *resp.Response.TotalCount {
			break
		}
	}
	return tw.Flush()
}

func (c *clientCmd) invoke(fs *flag.FlagSet) func([]string) error {
	qualifier := fs.String("q", "", "version or alias (default $DEFAULT)")
	event := fs.String("event", "{}", "event JSON, @file, or @- for standard input")
	routingKey := fs.String("routing-key", "", `routing key JSON, e.g. {"User":"Bob"}`)
	showLog := fs.Bool("log", false, "print the invocation's log to stderr")
	return func(pos []string) error {
		if err := needArgs("invoke", pos, 1, 1, "FUNCTION [-q QUALIFIER] [--event JSON|@file] [--routing-key JSON]"); err != nil {
			return usageError{err}
		}
		ev := *event
		if strings.HasPrefix(ev, "@") {
			b, err := readEventFile(ev[1:])
			if err != nil {
				return usageError{fmt.Errorf("--event: %w", err)}
			}
			ev = string(b)
		}
		if !json.Valid([]byte(ev)) {
			return usageError{fmt.Errorf("--event: not valid JSON: %s", jsonProblem(ev))}
		}
		if *routingKey != "" {
			var keys map[string]any
			if err := json.Unmarshal([]byte(*routingKey), &keys); err != nil {
				return usageError{fmt.Errorf(`--routing-key %q: want a JSON object such as {"User":"Bob"}`, *routingKey)}
			}
		}
		req := scf.NewInvokeRequest()
		req.FunctionName, req.ClientContext, req.Namespace = &pos[0], &ev, c.ns()
		if *qualifier != "" {
			req.Qualifier = qualifier
		} else {
			req.Qualifier = common.StringPtr("$DEFAULT")
		}
		if *routingKey != "" {
			req.RoutingKey = routingKey
		}
		if *showLog {
			req.LogType = common.StringPtr("Tail")
		}
		resp, err := c.client.InvokeWithContext(c.ctx, req)
		if err != nil {
			return err
		}
		r := resp.Response.Result
		if *showLog && deref(r.Log) != "" {
			fmt.Fprintln(os.Stderr, strings.TrimRight(deref(r.Log), "\n"))
		}
		fmt.Fprintln(c.out, deref(r.RetMsg))
		if r.InvokeResult != nil && *r.InvokeResult != 0 {
			return fmt.Errorf("function failed (request %s): %s", deref(r.FunctionRequestId), deref(r.ErrMsg))
		}
		return nil
	}
}

// readEventFile reads an --event @file; "-" is standard input.
func readEventFile(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(io.LimitReader(os.Stdin, 6<<20+1))
	}
	return os.ReadFile(name)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func printJSON(out io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, string(b))
	return err
}

// jsonProblem is why s is not JSON, in a few words.
func jsonProblem(s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return err.Error()
	}
	return "trailing data"
}

func parseFraction(flagName, s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f >= 0 && f <= 1) { // NaN fails both
		return 0, usageError{fmt.Errorf("%s %q: want a fraction from 0 to 1", flagName, s)}
	}
	return f, nil
}
