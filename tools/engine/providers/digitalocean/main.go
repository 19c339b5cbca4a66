// Command pulumi-resource-digitalocean is a test provider for the engine test (docs/engine.md): the
// DigitalOcean resources the stack uses (SshKey, Volume, Tag, Firewall, Droplet), with the tokens and
// property names of the @pulumi/digitalocean SDK and the inputs the stack gives them. It talks to the API
// with godo, the client the real provider uses, at `apiEndpoint`.
//
// Which input changes replace a resource and which update it in place is the upstream Terraform provider's
// (ForceNew in its schemas), which @pulumi/digitalocean wraps; each resource's file cites its source.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-go-provider/infer"
)

// version is the @pulumi/digitalocean version package-lock.json pins, set by tools/engine/build.sh.
var version string

func main() {
	if version == "" {
		fmt.Fprintln(os.Stderr, "pulumi-resource-digitalocean: built without -ldflags '-X main.version=VERSION'")
		os.Exit(1)
	}
	provider, err := infer.NewProviderBuilder().
		WithConfig(infer.Config(&Config{})).
		WithResources(
			infer.Resource(&SshKey{}),
			infer.Resource(&Volume{}),
			infer.Resource(&Tag{}),
			infer.Resource(&Firewall{}),
			infer.Resource(&Droplet{}),
		).
		Build()
	if err == nil {
		err = withModuleFormat(withSettingsDiff(provider)).Run(context.Background(), "digitalocean", version)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-digitalocean: %v\n", err)
		os.Exit(1)
	}
}
