package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/cloudflare/cloudflare-go/v6/user"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// ApiToken is cloudflare:index/apiToken:ApiToken (cloudflare_api_token), a user API token, with the inputs
// the stack sets.
//
// Update or replace, from terraform-provider-cloudflare's internal/services/api_token/schema.go
// (ResourceSchema), the same in v5.19.1 (what pulumi-cloudflare v6.15 to v6.17 wrap, its `upstream`
// submodule at b2277b8b) and v5.22.0: no attribute carries a RequiresReplace modifier, so a change of
// `name` or `policies` (`effect`, `permission_groups[].id`, `resources`) updates the token in place,
// with a PUT of the token (resource.go, Update: client.User.Tokens.Update), and keeps its value, which
// the API shows only once, on create. `value` is Sensitive, so Pulumi's bridge makes it a secret;
// `resources` must be a JSON object (ResourcesValidator), sent to the API as that object.
type ApiToken struct{}

type ApiTokenArgs struct {
	Name     string           `pulumi:"name"`
	Policies []ApiTokenPolicy `pulumi:"policies"`
}

type ApiTokenPolicy struct {
	// allow or deny.
	Effect           string                    `pulumi:"effect"`
	PermissionGroups []ApiTokenPermissionGroup `pulumi:"permissionGroups"`
	// A JSON object: resource name → "*" (or a nested object of them).
	Resources string `pulumi:"resources"`
}

type ApiTokenPermissionGroup struct {
	ID string `pulumi:"id"`
}

type ApiTokenState struct {
	ApiTokenArgs
	Value      string `pulumi:"value" provider:"secret"`
	Status     string `pulumi:"status"`
	IssuedOn   string `pulumi:"issuedOn"`
	ModifiedOn string `pulumi:"modifiedOn"`
}

func (t *ApiToken) Annotate(a infer.Annotator) { a.SetToken("index/apiToken", "ApiToken") }

// body is the token as the API takes it on create and update, each policy's resources as a JSON object.
func (a ApiTokenArgs) body() ([]byte, error) {
	type group struct {
		ID string `json:"id"`
	}
	type policy struct {
		Effect           string          `json:"effect"`
		PermissionGroups []group         `json:"permission_groups"`
		Resources        json.RawMessage `json:"resources"`
	}
	policies := make([]policy, len(a.Policies))
	for i, p := range a.Policies {
		var resources map[string]any
		if err := json.Unmarshal([]byte(p.Resources), &resources); err != nil {
			return nil, fmt.Errorf("policies[%d].resources must be a JSON object: %w", i, err)
		}
		groups := make([]group, len(p.PermissionGroups))
		for j, g := range p.PermissionGroups {
			groups[j] = group{g.ID}
		}
		policies[i] = policy{p.Effect, groups, json.RawMessage(p.Resources)}
	}
	return json.Marshal(struct {
		Name     string   `json:"name"`
		Policies []policy `json:"policies"`
	}{a.Name, policies})
}

func (ApiToken) Create(ctx context.Context, req infer.CreateRequest[ApiTokenArgs]) (infer.CreateResponse[ApiTokenState], error) {
	if req.DryRun {
		return infer.CreateResponse[ApiTokenState]{Output: ApiTokenState{ApiTokenArgs: req.Inputs}}, nil
	}
	body, err := req.Inputs.body()
	if err != nil {
		return infer.CreateResponse[ApiTokenState]{}, err
	}
	token, err := client(ctx).User.Tokens.New(ctx, user.TokenNewParams{}, option.WithRequestBody("application/json", body))
	if err != nil {
		return infer.CreateResponse[ApiTokenState]{}, err
	}
	return infer.CreateResponse[ApiTokenState]{ID: token.ID, Output: ApiTokenState{
		req.Inputs, token.Value, string(token.Status), timestamp(token.IssuedOn), timestamp(token.ModifiedOn),
	}}, nil
}

func (ApiToken) Update(ctx context.Context, req infer.UpdateRequest[ApiTokenArgs, ApiTokenState]) (infer.UpdateResponse[ApiTokenState], error) {
	state := req.State
	state.ApiTokenArgs = req.Inputs
	if req.DryRun {
		return infer.UpdateResponse[ApiTokenState]{Output: state}, nil
	}
	body, err := req.Inputs.body()
	if err != nil {
		return infer.UpdateResponse[ApiTokenState]{}, err
	}
	token, err := client(ctx).User.Tokens.Update(ctx, req.ID, user.TokenUpdateParams{}, option.WithRequestBody("application/json", body))
	if err != nil {
		return infer.UpdateResponse[ApiTokenState]{}, err
	}
	state.Status, state.ModifiedOn = string(token.Status), timestamp(token.ModifiedOn)
	return infer.UpdateResponse[ApiTokenState]{Output: state}, nil
}

func (ApiToken) Delete(ctx context.Context, req infer.DeleteRequest[ApiTokenState]) (infer.DeleteResponse, error) {
	_, err := client(ctx).User.Tokens.Delete(ctx, req.ID)
	return infer.DeleteResponse{}, err
}
