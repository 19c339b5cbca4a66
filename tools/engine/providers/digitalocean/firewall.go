package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/digitalocean/godo"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// Firewall is digitalocean:index/firewall:Firewall, a cloud firewall applied to Droplets by id or tag.
// Replace rules from terraform-provider-digitalocean v2.99.1, digitalocean/firewall/firewalls.go
// (firewallSchema) and resource_firewall.go: no input is ForceNew; any change (name, tags, droplet ids,
// rules) is sent in place as the whole firewall (PUT /v2/firewalls/ID). Rules and their address lists are
// sets (TypeSet): their order does not count. Its CustomizeDiff wants at least one rule, and a port range
// on every tcp and udp rule.
type Firewall struct{}

type FirewallArgs struct {
	Name          string                 `pulumi:"name"`
	Tags          []string               `pulumi:"tags,optional"`
	DropletIds    []int                  `pulumi:"dropletIds,optional"`
	InboundRules  []FirewallInboundRule  `pulumi:"inboundRules,optional"`
	OutboundRules []FirewallOutboundRule `pulumi:"outboundRules,optional"`
}

// FirewallInboundRule is traffic let in: a protocol, its ports, and where from.
type FirewallInboundRule struct {
	Protocol               string   `pulumi:"protocol"`
	PortRange              *string  `pulumi:"portRange,optional"`
	SourceAddresses        []string `pulumi:"sourceAddresses,optional"`
	SourceTags             []string `pulumi:"sourceTags,optional"`
	SourceDropletIds       []int    `pulumi:"sourceDropletIds,optional"`
	SourceLoadBalancerUids []string `pulumi:"sourceLoadBalancerUids,optional"`
	SourceKubernetesIds    []string `pulumi:"sourceKubernetesIds,optional"`
}

// FirewallOutboundRule is traffic let out: a protocol, its ports, and where to.
type FirewallOutboundRule struct {
	Protocol                    string   `pulumi:"protocol"`
	PortRange                   *string  `pulumi:"portRange,optional"`
	DestinationAddresses        []string `pulumi:"destinationAddresses,optional"`
	DestinationTags             []string `pulumi:"destinationTags,optional"`
	DestinationDropletIds       []int    `pulumi:"destinationDropletIds,optional"`
	DestinationLoadBalancerUids []string `pulumi:"destinationLoadBalancerUids,optional"`
	DestinationKubernetesIds    []string `pulumi:"destinationKubernetesIds,optional"`
}

type FirewallPendingChange struct {
	DropletId int    `pulumi:"dropletId"`
	Removing  bool   `pulumi:"removing"`
	Status    string `pulumi:"status"`
}

type FirewallState struct {
	FirewallArgs
	Status         string                  `pulumi:"status"`
	CreatedAt      string                  `pulumi:"createdAt"`
	PendingChanges []FirewallPendingChange `pulumi:"pendingChanges"`
}

func (f *Firewall) Annotate(a infer.Annotator) { a.SetToken("index/firewall", "Firewall") }
func (r *FirewallInboundRule) Annotate(a infer.Annotator) {
	a.SetToken("index/FirewallInboundRule", "FirewallInboundRule")
}
func (r *FirewallOutboundRule) Annotate(a infer.Annotator) {
	a.SetToken("index/FirewallOutboundRule", "FirewallOutboundRule")
}
func (c *FirewallPendingChange) Annotate(a infer.Annotator) {
	a.SetToken("index/FirewallPendingChange", "FirewallPendingChange")
}

func (Firewall) Create(ctx context.Context, req infer.CreateRequest[FirewallArgs]) (infer.CreateResponse[FirewallState], error) {
	request, err := firewallRequest(req.Inputs)
	if err != nil || req.DryRun {
		return infer.CreateResponse[FirewallState]{Output: FirewallState{FirewallArgs: req.Inputs}}, err
	}
	firewall, _, err := clientOf(ctx).Firewalls.Create(ctx, request)
	if err != nil {
		return infer.CreateResponse[FirewallState]{}, err
	}
	return infer.CreateResponse[FirewallState]{ID: firewall.ID, Output: firewallState(firewall)}, nil
}

func (Firewall) Read(ctx context.Context, req infer.ReadRequest[FirewallArgs, FirewallState]) (infer.ReadResponse[FirewallArgs, FirewallState], error) {
	firewall, response, err := clientOf(ctx).Firewalls.Get(ctx, req.ID)
	if notFound(response) {
		return infer.ReadResponse[FirewallArgs, FirewallState]{}, nil
	}
	if err != nil {
		return infer.ReadResponse[FirewallArgs, FirewallState]{}, err
	}
	state := firewallState(firewall)
	return infer.ReadResponse[FirewallArgs, FirewallState]{ID: req.ID, Inputs: state.FirewallArgs, State: state}, nil
}

func (Firewall) Diff(_ context.Context, req infer.DiffRequest[FirewallArgs, FirewallState]) (infer.DiffResponse, error) {
	in, old := req.Inputs, req.State
	d := propertyDiffs{}
	d.note("name", in.Name != old.Name, false)
	d.note("tags", !sameSet(in.Tags, old.Tags, true), false)
	d.note("dropletIds", !sameObjectSet(in.DropletIds, old.DropletIds, same[int]), false)
	d.note("inboundRules", !sameObjectSet(in.InboundRules, old.InboundRules, canonicalInbound), false)
	d.note("outboundRules", !sameObjectSet(in.OutboundRules, old.OutboundRules, canonicalOutbound), false)
	return d.response(), nil
}

func (Firewall) Update(ctx context.Context, req infer.UpdateRequest[FirewallArgs, FirewallState]) (infer.UpdateResponse[FirewallState], error) {
	request, err := firewallRequest(req.Inputs)
	if err != nil || req.DryRun {
		state := req.State
		state.FirewallArgs = req.Inputs
		return infer.UpdateResponse[FirewallState]{Output: state}, err
	}
	firewall, _, err := clientOf(ctx).Firewalls.Update(ctx, req.ID, request)
	if err != nil {
		return infer.UpdateResponse[FirewallState]{}, err
	}
	return infer.UpdateResponse[FirewallState]{Output: firewallState(firewall)}, nil
}

func (Firewall) Delete(ctx context.Context, req infer.DeleteRequest[FirewallState]) (infer.DeleteResponse, error) {
	_, err := clientOf(ctx).Firewalls.Delete(ctx, req.ID)
	return infer.DeleteResponse{}, err
}

// firewallRequest is the whole firewall as the API takes it on create and update, after the checks of
// the real provider's CustomizeDiff.
func firewallRequest(in FirewallArgs) (*godo.FirewallRequest, error) {
	if len(in.InboundRules) == 0 && len(in.OutboundRules) == 0 {
		return nil, errors.New("At least one rule must be specified")
	}
	request := &godo.FirewallRequest{Name: in.Name, DropletIDs: in.DropletIds, Tags: in.Tags}
	for _, r := range in.InboundRules {
		if r.Protocol != "icmp" && valueOr(r.PortRange, "") == "" {
			return nil, fmt.Errorf("`port_range` of inbound rules is required if protocol is `tcp` or `udp`")
		}
		request.InboundRules = append(request.InboundRules, godo.InboundRule{
			Protocol: r.Protocol, PortRange: valueOr(r.PortRange, ""),
			Sources: &godo.Sources{
				Addresses: r.SourceAddresses, Tags: r.SourceTags, DropletIDs: r.SourceDropletIds,
				LoadBalancerUIDs: r.SourceLoadBalancerUids, KubernetesIDs: r.SourceKubernetesIds,
			},
		})
	}
	for _, r := range in.OutboundRules {
		if r.Protocol != "icmp" && valueOr(r.PortRange, "") == "" {
			return nil, fmt.Errorf("`port_range` of outbound rules is required if protocol is `tcp` or `udp`")
		}
		request.OutboundRules = append(request.OutboundRules, godo.OutboundRule{
			Protocol: r.Protocol, PortRange: valueOr(r.PortRange, ""),
			Destinations: &godo.Destinations{
				Addresses: r.DestinationAddresses, Tags: r.DestinationTags, DropletIDs: r.DestinationDropletIds,
				LoadBalancerUIDs: r.DestinationLoadBalancerUids, KubernetesIDs: r.DestinationKubernetesIds,
			},
		})
	}
	return request, nil
}

func firewallState(f *godo.Firewall) FirewallState {
	state := FirewallState{
		FirewallArgs: FirewallArgs{Name: f.Name, Tags: f.Tags, DropletIds: f.DropletIDs},
		Status:       f.Status, CreatedAt: f.Created, PendingChanges: []FirewallPendingChange{},
	}
	for _, r := range f.InboundRules {
		rule := FirewallInboundRule{Protocol: r.Protocol, PortRange: optional(r.PortRange)}
		if s := r.Sources; s != nil {
			rule.SourceAddresses, rule.SourceTags, rule.SourceDropletIds = s.Addresses, s.Tags, s.DropletIDs
			rule.SourceLoadBalancerUids, rule.SourceKubernetesIds = s.LoadBalancerUIDs, s.KubernetesIDs
		}
		state.InboundRules = append(state.InboundRules, rule)
	}
	for _, r := range f.OutboundRules {
		rule := FirewallOutboundRule{Protocol: r.Protocol, PortRange: optional(r.PortRange)}
		if d := r.Destinations; d != nil {
			rule.DestinationAddresses, rule.DestinationTags, rule.DestinationDropletIds = d.Addresses, d.Tags, d.DropletIDs
			rule.DestinationLoadBalancerUids, rule.DestinationKubernetesIds = d.LoadBalancerUIDs, d.KubernetesIDs
		}
		state.OutboundRules = append(state.OutboundRules, rule)
	}
	for _, c := range f.PendingChanges {
		state.PendingChanges = append(state.PendingChanges, FirewallPendingChange{DropletId: c.DropletID, Removing: c.Removing, Status: c.Status})
	}
	return state
}

// canonicalInbound is a rule with its lists sorted, so rules compare as the sets they are; an icmp
// rule's ports do not count, and no list is the same as an empty one.
func canonicalInbound(r FirewallInboundRule) FirewallInboundRule {
	return FirewallInboundRule{
		Protocol: r.Protocol, PortRange: canonicalPorts(r.Protocol, r.PortRange),
		SourceAddresses: setOf(r.SourceAddresses, false), SourceTags: setOf(r.SourceTags, true),
		SourceDropletIds: sortedInts(r.SourceDropletIds), SourceLoadBalancerUids: setOf(r.SourceLoadBalancerUids, false),
		SourceKubernetesIds: setOf(r.SourceKubernetesIds, false),
	}
}

func canonicalOutbound(r FirewallOutboundRule) FirewallOutboundRule {
	return FirewallOutboundRule{
		Protocol: r.Protocol, PortRange: canonicalPorts(r.Protocol, r.PortRange),
		DestinationAddresses: setOf(r.DestinationAddresses, false), DestinationTags: setOf(r.DestinationTags, true),
		DestinationDropletIds: sortedInts(r.DestinationDropletIds), DestinationLoadBalancerUids: setOf(r.DestinationLoadBalancerUids, false),
		DestinationKubernetesIds: setOf(r.DestinationKubernetesIds, false),
	}
}

func canonicalPorts(protocol string, ports *string) *string {
	if protocol == "icmp" {
		return nil
	}
	return optional(valueOr(ports, ""))
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func sortedInts(values []int) []int {
	out := append([]int{}, values...)
	slices.Sort(out)
	return slices.Compact(out)
}

func same[T any](v T) T { return v }
