// A test provider for the engine test: the local and remote commands of Pulumi's command provider that
// the stack uses, written here on pulumi-go-provider (the proxy serves no pulumi-command module).
// tools/engine/build.sh builds it in a scratch copy, where Go adds the indirect requirements and go.sum.
module engine.invalid/command

go 1.24

require (
	github.com/pulumi/pulumi-go-provider v1.1.0
	github.com/pulumi/pulumi/sdk/v3 v3.169.0
	// The version pulumi-go-provider v1.1.0 itself resolves.
	golang.org/x/crypto v0.37.0
)

// pulumi-go-provider's own go.mod says so; a replace applies only in the main module, so it is repeated here.
replace github.com/mitchellh/mapstructure => github.com/go-viper/mapstructure v1.6.0
