// Command pulumi-resource-random is the upstream Terraform random provider (plugin framework) served as a Pulumi
// resource plugin by pulumi-terraform-bridge, for the engine test (docs/engine.md). Its module path sits
// under the upstream module's so that it may import the provider from internal/provider.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// version is the @pulumi/random version package-lock.json pins, set by tools/engine/build.sh: the SDK asks the
// engine for the plugin at that version.
var version string

func main() {
	if version == "" {
		fmt.Fprintln(os.Stderr, "pulumi-resource-random: built without -ldflags '-X main.version=VERSION'")
		os.Exit(1)
	}
	ctx := context.Background()
	info := tfbridge.ProviderInfo{
		P:            pfbridge.ShimProvider(provider.New()),
		Name:         "random",
		Version:      version,
		MetadataInfo: tfbridge.NewProviderMetadata(nil),
		Resources: map[string]*tfbridge.ResourceInfo{
			// random_bytes has no "id" attribute; Pulumi's own random plugin takes the resource id from
			// "base64" (pulumi-random provider/resources.go, computeRandomBytesID, since v4.15.1), so
			// the bytes are the id here too. The bridge also logs that it sets a non-secret id from a secret.
			"random_bytes": {ComputeID: tfbridge.DelegateIDField("base64", "random", "https://github.com/pulumi/pulumi-random")},
		},
	}
	// random_password → random:index/randomPassword:RandomPassword, the tokens the @pulumi/random SDK sends:
	// they keep the "random" of the Terraform names, so no prefix is cut.
	info.MustComputeTokens(tokens.SingleModule("", "index", tokens.MakeStandard("random")))

	// The schema is generated from the provider's own Terraform schema at start-up rather than at build
	// time, so one build makes the plugin; documentation is left out (XInMemoryDocs) and so are the
	// generator's warnings about it (stdout carries the plugin's handshake).
	quiet := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never})
	generated, err := pftfgen.GenerateSchema(ctx, pftfgen.GenerateSchemaOptions{
		ProviderInfo: info, DiagnosticsSink: quiet, XInMemoryDocs: true,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-random: generating the schema: %v\n", err)
		os.Exit(1)
	}
	pfbridge.Main(ctx, "random", info, generated.ProviderMetadata)
}
