// Command pulumi-resource-cloudflare is a test provider for the engine test (docs/engine.md): the parts of
// Pulumi's Cloudflare provider the stack uses, with the tokens and property names of the @pulumi/cloudflare
// SDK: cloudflare:index/dnsRecord:DnsRecord, cloudflare:index/apiToken:ApiToken and the invokes
// cloudflare:index/getZone:getZone and
// cloudflare:index/getApiTokenPermissionGroupsList:getApiTokenPermissionGroupsList. It calls the API with
// Cloudflare's Go client (cloudflare-go v6), as the real provider does. Pulumi's provider is
// terraform-provider-cloudflare v5 through the Terraform bridge, so which input changes replace a resource
// is what that provider's schema says (RequiresReplace plan modifiers); each resource's file cites it.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// version is the @pulumi/cloudflare version package-lock.json pins, set by tools/engine/build.sh.
var version string

func main() {
	if version == "" {
		fmt.Fprintln(os.Stderr, "pulumi-resource-cloudflare: built without -ldflags '-X main.version=VERSION'")
		os.Exit(1)
	}
	provider, err := infer.NewProviderBuilder().
		WithConfig(infer.Config(&Config{})).
		WithResources(infer.Resource(&DnsRecord{}), infer.Resource(&ApiToken{})).
		WithFunctions(infer.Function(&GetZone{}), infer.Function(&GetApiTokenPermissionGroupsList{})).
		Build()
	if err == nil {
		err = asBridged(provider).Run(context.Background(), "cloudflare", version)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-cloudflare: %v\n", err)
		os.Exit(1)
	}
}

// Config is the provider's configuration, under the real provider's keys (cloudflare:apiToken,
// cloudflare:baseUrl). What is not set comes from the client's own environment variables
// (CLOUDFLARE_API_TOKEN, CLOUDFLARE_BASE_URL), else its default, https://api.cloudflare.com/client/v4/.
type Config struct {
	APIToken *string `pulumi:"apiToken,optional" provider:"secret"`
	BaseURL  *string `pulumi:"baseUrl,optional"`
	client   *cloudflare.Client
}

func (c *Config) Configure(context.Context) error {
	var options []option.RequestOption
	if c.APIToken != nil {
		options = append(options, option.WithAPIToken(*c.APIToken))
	}
	if c.BaseURL != nil {
		options = append(options, option.WithBaseURL(*c.BaseURL))
	}
	c.client = cloudflare.NewClient(options...)
	return nil
}

func client(ctx context.Context) *cloudflare.Client {
	return infer.GetConfig[*Config](ctx).client
}
