package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/zones"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// GetZone is the invoke cloudflare:index/getZone:getZone (the data source cloudflare_zone): one zone, by
// `zoneId` or by `filter.name`. As terraform-provider-cloudflare's internal/services/zone/data_source.go
// (Read) does, a filter lists the zones and must find exactly one, whose details are then read by id.
type GetZone struct{}

type GetZoneArgs struct {
	Filter *GetZoneFilter `pulumi:"filter,optional"`
	ZoneID *string        `pulumi:"zoneId,optional"`
}

type GetZoneFilter struct {
	Name *string `pulumi:"name,optional"`
}

// GetZoneResult is the zone; its `id` (the zone's id, as in the SDK's result) is added by asBridged,
// since infer reserves the name `id` for resources.
type GetZoneResult struct {
	ZoneID      string         `pulumi:"zoneId"`
	Name        string         `pulumi:"name"`
	Status      string         `pulumi:"status"`
	Paused      bool           `pulumi:"paused"`
	Type        string         `pulumi:"type"`
	NameServers []string       `pulumi:"nameServers"`
	Permissions []string       `pulumi:"permissions"`
	Account     GetZoneAccount `pulumi:"account"`
	CreatedOn   string         `pulumi:"createdOn"`
	ModifiedOn  string         `pulumi:"modifiedOn"`
	ActivatedOn string         `pulumi:"activatedOn"`
	Filter      *GetZoneFilter `pulumi:"filter,optional"`
}

type GetZoneAccount struct {
	ID   string `pulumi:"id"`
	Name string `pulumi:"name"`
}

func (f *GetZone) Annotate(a infer.Annotator) { a.SetToken("index/getZone", "getZone") }

func (GetZone) Invoke(ctx context.Context, req infer.FunctionRequest[GetZoneArgs]) (infer.FunctionResponse[GetZoneResult], error) {
	api := client(ctx)
	zoneID := req.Input.ZoneID
	if req.Input.Filter != nil {
		params := zones.ZoneListParams{}
		if req.Input.Filter.Name != nil {
			params.Name = cloudflare.F(*req.Input.Filter.Name)
		}
		page, err := api.Zones.List(ctx, params)
		if err != nil {
			return infer.FunctionResponse[GetZoneResult]{}, err
		}
		if len(page.Result) != 1 {
			return infer.FunctionResponse[GetZoneResult]{}, fmt.Errorf("failed to find exactly one result: %d found", len(page.Result))
		}
		zoneID = &page.Result[0].ID
	}
	if zoneID == nil || *zoneID == "" {
		return infer.FunctionResponse[GetZoneResult]{}, errors.New("getZone needs zoneId or filter")
	}
	zone, err := api.Zones.Get(ctx, zones.ZoneGetParams{ZoneID: cloudflare.F(*zoneID)})
	if err != nil {
		return infer.FunctionResponse[GetZoneResult]{}, err
	}
	return infer.FunctionResponse[GetZoneResult]{Output: GetZoneResult{
		ZoneID: zone.ID, Name: zone.Name, Status: string(zone.Status), Paused: zone.Paused,
		Type: string(zone.Type), NameServers: zone.NameServers, Permissions: zone.Permissions,
		Account:   GetZoneAccount{zone.Account.ID, zone.Account.Name},
		CreatedOn: timestamp(zone.CreatedOn), ModifiedOn: timestamp(zone.ModifiedOn), ActivatedOn: timestamp(zone.ActivatedOn),
		Filter: req.Input.Filter,
	}}, nil
}
