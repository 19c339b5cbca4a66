package main

import (
	"context"
	"encoding/json"

	p "github.com/pulumi/pulumi-go-provider"
)

const getZoneToken = "cloudflare:index/getZone:getZone"

// asBridged makes the provider behave as Pulumi's bridged one does where infer's defaults differ: getZone's
// result carries `id` beside `zoneId` (infer reserves `id` for resources); the schema's tokens
// (cloudflare:index/dnsRecord:DnsRecord) name their module by the bridge's moduleFormat, without which
// the CLI refuses the schema for nesting modules under index; and a configuration change updates the
// provider instead of replacing it, and with it every resource (below).
func asBridged(provider p.Provider) p.Provider {
	provider.DiffConfig = diffConfig
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

// diffConfig compares the provider's settings as the bridge's DiffConfig does
// (pulumi-terraform-bridge pkg/tfbridge/provider.go, configDiffer): a changed key is an update, and a
// replacement only where the provider's config info sets ForcesProviderReplace, which pulumi-cloudflare's
// provider/resources.go sets for none. Only the settings count: the engine also keeps the plugin's
// `version` among the old inputs, which infer's CheckConfig leaves out of the new ones.
func diffConfig(_ context.Context, req p.DiffRequest) (p.DiffResponse, error) {
	changed := map[string]p.PropertyDiff{}
	for _, key := range []string{"apiToken", "baseUrl"} {
		old, hadOld := req.State.GetOk(key)
		news, hasNew := req.Inputs.GetOk(key)
		switch {
		case hadOld && hasNew && !old.Equals(news):
			changed[key] = p.PropertyDiff{Kind: p.Update, InputDiff: true}
		case hadOld && !hasNew:
			changed[key] = p.PropertyDiff{Kind: p.Delete, InputDiff: true}
		case !hadOld && hasNew:
			changed[key] = p.PropertyDiff{Kind: p.Add, InputDiff: true}
		}
	}
	return p.DiffResponse{HasChanges: len(changed) > 0, DetailedDiff: changed}, nil
}
