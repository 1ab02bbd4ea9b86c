package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/scf-emulator/emulator/registry"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
)

// namespaceFlag registers --namespace on a command that names a function.
// It has no one-letter form: -n is a count in logs and split-test.
func namespaceFlag(fs *flag.FlagSet) *string {
	return fs.String("namespace", "", "the function's namespace (default: default)")
}

// checkNamespaceFlag refuses a --namespace the platform would refuse, as a
// usage error naming the flag.
func checkNamespaceFlag(ns string) error {
	if ns == "" || registry.CheckNamespaceName(ns) == nil {
		return nil
	}
	return usageError{fmt.Errorf("--namespace %q: want 1 to 30 letters, digits, '-' or '_', starting with a letter", ns)}
}

// functionKey is what the emulator's own endpoints (/emulator/logs, stats,
// rollouts, routes, triggers) call a function: its name in the default
// namespace, else "namespace/name". It checks --namespace first.
func functionKey(ns, name string) (string, error) {
	if err := checkNamespaceFlag(ns); err != nil {
		return "", err
	}
	return registry.Key(ns, name), nil
}

// ns is the Namespace of a cloud API request: nil for the default.
func (c *clientCmd) ns() *string {
	if c.namespace == "" {
		return nil
	}
	return &c.namespace
}

const namespaceUsage = "create NAME [-d DESCRIPTION] | list | delete NAME"

// cmdNamespace: emulator namespace create|list|delete, through the cloud
// API's CreateNamespace, ListNamespaces and DeleteNamespace.
func cmdNamespace(ctx context.Context, args []string, out, _ io.Writer) error {
	fs := flag.NewFlagSet("namespace", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "management API URL (default $EMULATOR_ENDPOINT or http://127.0.0.1:9001)")
	desc := fs.String("d", "", "description (create)")
	pos, err := parse(fs, args)
	if err != nil {
		return usageError{err}
	}
	if len(pos) == 0 {
		return usageError{fmt.Errorf("usage: emulator namespace %s", namespaceUsage)}
	}
	want := map[string]int{"create": 2, "list": 1, "delete": 2}
	n, ok := want[pos[0]]
	if !ok || len(pos) != n {
		return usageError{fmt.Errorf("usage: emulator namespace %s", namespaceUsage)}
	}
	if n == 2 && registry.CheckNamespaceName(pos[1]) != nil {
		return usageError{fmt.Errorf("namespace %s %q: want 1 to 30 letters, digits, '-' or '_', starting with a letter", pos[0], pos[1])}
	}
	client, err := newClient(*endpoint)
	if err != nil {
		return err
	}
	return apiError(*endpoint, runNamespace(ctx, client, pos, *desc, out))
}

func runNamespace(ctx context.Context, client *scf.Client, pos []string, desc string, out io.Writer) error {
	switch pos[0] {
	case "create":
		req := scf.NewCreateNamespaceRequest()
		req.Namespace = &pos[1]
		if desc != "" {
			req.Description = &desc
		}
		if _, err := client.CreateNamespaceWithContext(ctx, req); err != nil {
			return err
		}
		fmt.Fprintf(out, "namespace %s created\n", pos[1])
	case "delete":
		req := scf.NewDeleteNamespaceRequest()
		req.Namespace = &pos[1]
		if _, err := client.DeleteNamespaceWithContext(ctx, req); err != nil {
			return err
		}
		fmt.Fprintf(out, "namespace %s deleted\n", pos[1])
	default:
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAMESPACE\tDESCRIPTION\tADDED")
		for offset := int64(0); ; {
			req := scf.NewListNamespacesRequest()
			req.Limit, req.Offset = ptrTo(int64(100)), ptrTo(offset)
			resp, err := client.ListNamespacesWithContext(ctx, req)
			if err != nil {
				return err
			}
			for _, n := range resp.Response.Namespaces {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", deref(n.Name), deref(n.Description), deref(n.AddTime))
			}
			offset += int64(len(resp.Response.Namespaces))
			if len(resp.Response.Namespaces) == 0 || offset >= deref(resp.Response.TotalCount) {
				break
			}
		}
		return tw.Flush()
	}
	return nil
}
