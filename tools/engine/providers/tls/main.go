// Command pulumi-resource-tls is the upstream Terraform tls provider (plugin framework) served as a Pulumi
// resource plugin by pulumi-terraform-bridge, for the engine test (docs/engine.md). Its module path sits
// under the upstream module's so that it may import the provider from internal/provider.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/terraform-provider-tls/internal/provider"
	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
)

// version is the @pulumi/tls version package-lock.json pins, set by tools/engine/build.sh: the SDK asks the
// engine for the plugin at that version.
var version string

func main() {
	if version == "" {
		fmt.Fprintln(os.Stderr, "pulumi-resource-tls: built without -ldflags '-X main.version=VERSION'")
		os.Exit(1)
	}
	ctx := context.Background()
	info := tfbridge.ProviderInfo{
		P:            pfbridge.ShimProvider(provider.New()),
		Name:         "tls",
		Version:      version,
		MetadataInfo: tfbridge.NewProviderMetadata(nil),
	}
	// tls_private_key → tls:index/privateKey:PrivateKey and data.tls_public_key →
	// tls:index/getPublicKey:getPublicKey, the tokens the @pulumi/tls SDK sends.
	info.MustComputeTokens(tokens.SingleModule("tls_", "index", tokens.MakeStandard("tls")))

	// The schema is generated from the provider's own Terraform schema at start-up rather than at build
	// time, so one build makes the plugin; documentation is left out (XInMemoryDocs) and so are the
	// generator's warnings about it (stdout carries the plugin's handshake).
	quiet := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never})
	generated, err := pftfgen.GenerateSchema(ctx, pftfgen.GenerateSchemaOptions{
		ProviderInfo: info, DiagnosticsSink: quiet, XInMemoryDocs: true,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-tls: generating the schema: %v\n", err)
		os.Exit(1)
	}
	pfbridge.Main(ctx, "tls", info, generated.ProviderMetadata)
}
