package main

import (
	"context"
	"encoding/json"
	"time"

	"github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/dns"
	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// DnsRecord is cloudflare:index/dnsRecord:DnsRecord (cloudflare_dns_record), with the inputs the stack sets.
//
// Update or replace, from terraform-provider-cloudflare's internal/services/dns_record/schema.go
// (ResourceSchema), the same in v5.19.1 (what pulumi-cloudflare v6.15 to v6.17 wrap, its `upstream`
// submodule at b2277b8b) and v5.22.0: only `zone_id` and `type` carry
// stringplanmodifier.RequiresReplace(); `name`, `content`, `ttl`, `proxied` and `comment` have no
// replace modifier, so a change updates the record in place, with a PUT of the whole record
// (resource.go, Update: client.DNS.Records.Update). `proxied` defaults to false (booldefault).
type DnsRecord struct{}

type DnsRecordArgs struct {
	ZoneID  string  `pulumi:"zoneId" provider:"replaceOnChanges"`
	Name    string  `pulumi:"name"`
	Type    string  `pulumi:"type" provider:"replaceOnChanges"`
	Content *string `pulumi:"content,optional"`
	// Seconds; 1 is automatic.
	TTL     float64 `pulumi:"ttl"`
	Proxied *bool   `pulumi:"proxied,optional"`
	Comment *string `pulumi:"comment,optional"`
}

type DnsRecordState struct {
	DnsRecordArgs
	CreatedOn  string `pulumi:"createdOn"`
	ModifiedOn string `pulumi:"modifiedOn"`
	Proxiable  bool   `pulumi:"proxiable"`
}

func (r *DnsRecord) Annotate(a infer.Annotator) { a.SetToken("index/dnsRecord", "DnsRecord") }

func (a *DnsRecordArgs) Annotate(an infer.Annotator) { an.SetDefault(&a.Proxied, false) }

// recordBody is what the API takes on create and on update: the whole record.
type recordBody struct {
	Name    string  `json:"name"`
	Type    string  `json:"type"`
	Content *string `json:"content,omitempty"`
	TTL     float64 `json:"ttl"`
	Proxied bool    `json:"proxied"`
	Comment *string `json:"comment,omitempty"`
}

func (a DnsRecordArgs) body() ([]byte, error) {
	return json.Marshal(recordBody{a.Name, a.Type, a.Content, a.TTL, a.Proxied != nil && *a.Proxied, a.Comment})
}

func (a DnsRecordArgs) state(record *dns.RecordResponse) DnsRecordState {
	return DnsRecordState{a, timestamp(record.CreatedOn), timestamp(record.ModifiedOn), record.Proxiable}
}

func (DnsRecord) Create(ctx context.Context, req infer.CreateRequest[DnsRecordArgs]) (infer.CreateResponse[DnsRecordState], error) {
	if req.DryRun {
		return infer.CreateResponse[DnsRecordState]{Output: DnsRecordState{DnsRecordArgs: req.Inputs}}, nil
	}
	body, err := req.Inputs.body()
	if err != nil {
		return infer.CreateResponse[DnsRecordState]{}, err
	}
	record, err := client(ctx).DNS.Records.New(ctx, dns.RecordNewParams{ZoneID: cloudflare.F(req.Inputs.ZoneID)},
		option.WithRequestBody("application/json", body))
	if err != nil {
		return infer.CreateResponse[DnsRecordState]{}, err
	}
	return infer.CreateResponse[DnsRecordState]{ID: record.ID, Output: req.Inputs.state(record)}, nil
}

func (DnsRecord) Update(ctx context.Context, req infer.UpdateRequest[DnsRecordArgs, DnsRecordState]) (infer.UpdateResponse[DnsRecordState], error) {
	if req.DryRun {
		return infer.UpdateResponse[DnsRecordState]{Output: DnsRecordState{req.Inputs, req.State.CreatedOn, req.State.ModifiedOn, req.State.Proxiable}}, nil
	}
	body, err := req.Inputs.body()
	if err != nil {
		return infer.UpdateResponse[DnsRecordState]{}, err
	}
	record, err := client(ctx).DNS.Records.Update(ctx, req.ID, dns.RecordUpdateParams{ZoneID: cloudflare.F(req.Inputs.ZoneID)},
		option.WithRequestBody("application/json", body))
	if err != nil {
		return infer.UpdateResponse[DnsRecordState]{}, err
	}
	return infer.UpdateResponse[DnsRecordState]{Output: req.Inputs.state(record)}, nil
}

func (DnsRecord) Delete(ctx context.Context, req infer.DeleteRequest[DnsRecordState]) (infer.DeleteResponse, error) {
	_, err := client(ctx).DNS.Records.Delete(ctx, req.ID, dns.RecordDeleteParams{ZoneID: cloudflare.F(req.State.ZoneID)})
	return infer.DeleteResponse{}, err
}

// timestamp is how the bridged provider shows the API's times (RFC 3339); empty for none.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}
