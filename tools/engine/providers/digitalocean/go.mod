// A test provider for the engine test: the DigitalOcean resources the stack uses, written here on
// pulumi-go-provider and talking to the API with godo (the proxy serves no pulumi-digitalocean provider
// module). tools/engine/build.sh builds it in a scratch copy, where Go adds the indirect requirements and go.sum.
module engine.invalid/digitalocean

go 1.24

require (
	// The version terraform-provider-digitalocean v2.99.1 (the provider @pulumi/digitalocean wraps) uses,
	// so the requests are the ones the real provider sends.
	github.com/digitalocean/godo v1.202.0
	github.com/pulumi/pulumi-go-provider v1.1.0
	golang.org/x/oauth2 v0.27.0
)

// pulumi-go-provider's own go.mod says so; a replace applies only in the main module, so it is repeated here.
replace github.com/mitchellh/mapstructure => github.com/go-viper/mapstructure v1.6.0
