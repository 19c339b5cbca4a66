package main

import (
	"context"
	"errors"
	"net/http"
	"os"

	"github.com/digitalocean/godo"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"golang.org/x/oauth2"
)

// Config is the provider's configuration, with the real provider's key names and environment variables:
// `digitalocean:token` (else DIGITALOCEAN_TOKEN or DIGITALOCEAN_ACCESS_TOKEN) and `digitalocean:apiEndpoint`
// (else DIGITALOCEAN_API_URL, else the public API).
type Config struct {
	Token       *string `pulumi:"token,optional" provider:"secret"`
	APIEndpoint *string `pulumi:"apiEndpoint,optional"`

	client *godo.Client
}

func (c *Config) Annotate(a infer.Annotator) {
	a.Describe(&c.Token, "The token for API operations.")
	a.Describe(&c.APIEndpoint, "The URL to use for the DigitalOcean API.")
}

func (c *Config) Configure(context.Context) error {
	token := firstSet(c.Token, "DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN")
	if token == "" {
		return errors.New("no DigitalOcean token: set digitalocean:token, DIGITALOCEAN_TOKEN or DIGITALOCEAN_ACCESS_TOKEN")
	}
	endpoint := firstSet(c.APIEndpoint, "DIGITALOCEAN_API_URL")
	if endpoint == "" {
		endpoint = "https://api.digitalocean.com"
	}
	// No retries: a refused request must fail the operation, as the stand-ins' strictness expects.
	authorized := oauth2.NewClient(context.Background(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token}))
	client, err := godo.New(authorized, godo.SetBaseURL(endpoint), godo.SetUserAgent("pulumi-resource-digitalocean/"+version+" (engine test)"))
	c.client = client
	return err
}

// withSettingsDiff reports a changed token or endpoint as an update of the provider, not a replacement
// of every resource it manages: the real provider's settings have no ForceNew. infer's own config diff
// makes every difference a replacement, and finds one on every run (the `__internal` key its check adds).
func withSettingsDiff(provider p.Provider) p.Provider {
	provider.DiffConfig = func(_ context.Context, req p.DiffRequest) (p.DiffResponse, error) {
		d := propertyDiffs{}
		for _, key := range []string{"token", "apiEndpoint"} {
			d.note(key, !req.State.Get(key).Equals(req.Inputs.Get(key)), false)
		}
		return d.response(), nil
	}
	return provider
}

// firstSet is the configured value, else the first environment variable that is set.
func firstSet(configured *string, variables ...string) string {
	if configured != nil && *configured != "" {
		return *configured
	}
	for _, name := range variables {
		if value := os.Getenv(name); value != "" {
			return value
		}
	}
	return ""
}

func clientOf(ctx context.Context) *godo.Client {
	return infer.GetConfig[Config](ctx).client
}

// notFound says whether a call failed because the object is gone (a Read then reports the resource gone).
func notFound(response *godo.Response) bool {
	return response != nil && response.StatusCode == http.StatusNotFound
}
