// Command pulumi-resource-command is a test provider for the engine test (docs/engine.md): the local and
// remote commands of Pulumi's command provider, with the inputs the stack gives them, as
// command:local:Command and command:remote:Command. Which input changes replace a command is taken from
// Pulumi's published schema of pulumi-command v1.2.1 (provider/cmd/pulumi-resource-command/schema.json):
// only `triggers` (replaceOnChanges); any other change updates in place, running `update`, or `create`
// again when there is no `update`.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-go-provider/infer"
)

// version is the @pulumi/command version package-lock.json pins, set by tools/engine/build.sh.
var version string

func main() {
	if version == "" {
		fmt.Fprintln(os.Stderr, "pulumi-resource-command: built without -ldflags '-X main.version=VERSION'")
		os.Exit(1)
	}
	provider, err := infer.NewProviderBuilder().
		WithResources(infer.Resource(&LocalCommand{}), infer.Resource(&RemoteCommand{})).
		Build()
	if err == nil {
		err = provider.Run(context.Background(), "command", version)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-command: %v\n", err)
		os.Exit(1)
	}
}
