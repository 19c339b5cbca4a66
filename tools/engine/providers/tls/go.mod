// The tls plugin for the engine test: the upstream Terraform provider through pulumi-terraform-bridge.
// tools/engine/build.sh builds it in a scratch copy, where Go adds the indirect requirements and go.sum.
module github.com/hashicorp/terraform-provider-tls/pulumi-engine-test

go 1.24.8

require (
	// terraform-provider-tls 4.2.1 (the head of its CHANGELOG at this commit), a plugin-framework provider;
	// its v4 tags lack the /v4 module suffix, so Go knows its commits only as pseudo-versions.
	github.com/hashicorp/terraform-provider-tls v1.2.1-0.20260130152455-857b38cda3fc
	github.com/pulumi/pulumi-terraform-bridge/v3 v3.120.0
	// The bridge's tfgen imports pkg/codegen/dotnet, which later pkg versions no longer have.
	github.com/pulumi/pulumi/pkg/v3 v3.218.0
	github.com/pulumi/pulumi/sdk/v3 v3.218.0
)

// The bridge is built against Pulumi's fork of the plugin SDK (its own go.mod says so; a replace
// applies only in the main module, so it is repeated here).
replace github.com/hashicorp/terraform-plugin-sdk/v2 => github.com/pulumi/terraform-plugin-sdk/v2 v2.0.0-20250923233607-7f1981c8674a
