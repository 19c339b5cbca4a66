// A test provider for the engine test: the Cloudflare resources and invokes the stack uses, written here on
// pulumi-go-provider (the proxy serves no pulumi-cloudflare provider module), talking to the API with
// Cloudflare's own Go client. tools/engine/build.sh builds it in a scratch copy, where Go adds the
// indirect requirements and go.sum.
module engine.invalid/cloudflare

go 1.24

require (
	// The one v6 release the proxy serves.
	github.com/cloudflare/cloudflare-go/v6 v6.10.0
	github.com/pulumi/pulumi-go-provider v1.1.0
)

// pulumi-go-provider's own go.mod says so; a replace applies only in the main module, so it is repeated here.
replace github.com/mitchellh/mapstructure => github.com/go-viper/mapstructure v1.6.0
