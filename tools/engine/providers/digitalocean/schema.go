package main

import (
	"context"
	"encoding/json"

	p "github.com/pulumi/pulumi-go-provider"
)

// withModuleFormat adds the real schema's meta.moduleFormat to the schema infer generates. The SDK's
// tokens put each resource in a module of its own under index (digitalocean:index/droplet:Droplet), which
// a schema allows only with that format; infer does not write it.
func withModuleFormat(provider p.Provider) p.Provider {
	generate := provider.GetSchema
	provider.GetSchema = func(ctx context.Context, req p.GetSchemaRequest) (p.GetSchemaResponse, error) {
		response, err := generate(ctx, req)
		if err != nil {
			return response, err
		}
		var schema map[string]any
		if err := json.Unmarshal([]byte(response.Schema), &schema); err != nil {
			return response, err
		}
		schema["meta"] = map[string]any{"moduleFormat": "(.*)(?:/[^/]*)"}
		text, err := json.Marshal(schema)
		return p.GetSchemaResponse{Schema: string(text)}, err
	}
	return provider
}
