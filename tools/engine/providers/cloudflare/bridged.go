package main

import (
	"context"
	"encoding/json"

	p "github.com/pulumi/pulumi-go-provider"
)

const getZoneToken = "cloudflare:index/getZone:getZone"

// asBridged makes the provider look as Pulumi's bridged one does where infer cannot say it: getZone's
// result carries `id` beside `zoneId` (infer reserves `id` for resources), and the schema's tokens
// (cloudflare:index/dnsRecord:DnsRecord) name their module by the bridge's moduleFormat, without which
// the CLI refuses the schema for nesting modules under index.
func asBridged(provider p.Provider) p.Provider {
	invoke := provider.Invoke
	provider.Invoke = func(ctx context.Context, req p.InvokeRequest) (p.InvokeResponse, error) {
		resp, err := invoke(ctx, req)
		if err == nil && req.Token == getZoneToken {
			if zoneID, ok := resp.Return.GetOk("zoneId"); ok {
				resp.Return = resp.Return.Set("id", zoneID)
			}
		}
		return resp, err
	}
	getSchema := provider.GetSchema
	provider.GetSchema = func(ctx context.Context, req p.GetSchemaRequest) (p.GetSchemaResponse, error) {
		resp, err := getSchema(ctx, req)
		if err != nil {
			return resp, err
		}
		var schema map[string]any
		if err := json.Unmarshal([]byte(resp.Schema), &schema); err != nil {
			return resp, err
		}
		schema["meta"] = map[string]string{"moduleFormat": "(.*)(?:/[^/]*)"}
		bytes, err := json.Marshal(schema)
		return p.GetSchemaResponse{Schema: string(bytes)}, err
	}
	return provider
}
