package main

import (
	"context"
	"encoding/json"

	"github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/user"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// GetApiTokenPermissionGroupsList is the invoke
// cloudflare:index/getApiTokenPermissionGroupsList:getApiTokenPermissionGroupsList (the data source
// cloudflare_api_token_permission_groups_list): the permission groups user API tokens may be given,
// filtered by `name` and `scope` as the API filters them (GET /user/tokens/permission_groups), at most
// `maxItems` (default 1000), as terraform-provider-cloudflare's
// internal/services/api_token_permission_groups/list_data_source.go reads them.
type GetApiTokenPermissionGroupsList struct{}

type GetApiTokenPermissionGroupsListArgs struct {
	Name     *string `pulumi:"name,optional"`
	Scope    *string `pulumi:"scope,optional"`
	MaxItems *int    `pulumi:"maxItems,optional"`
}

type GetApiTokenPermissionGroupsListResult struct {
	Name     *string           `pulumi:"name,optional"`
	Scope    *string           `pulumi:"scope,optional"`
	MaxItems *int              `pulumi:"maxItems,optional"`
	Results  []PermissionGroup `pulumi:"results"`
}

// PermissionGroup is one listed group, with the fields of the @pulumi/cloudflare SDK's result type. The
// Go client (v6.10) has no field for category and is_selectable, so they are read from the API's JSON.
type PermissionGroup struct {
	ID           string   `pulumi:"id" json:"id"`
	Name         string   `pulumi:"name" json:"name"`
	Scopes       []string `pulumi:"scopes" json:"scopes"`
	Category     string   `pulumi:"category" json:"category"`
	IsSelectable bool     `pulumi:"isSelectable" json:"is_selectable"`
}

func (f *GetApiTokenPermissionGroupsList) Annotate(a infer.Annotator) {
	a.SetToken("index/getApiTokenPermissionGroupsList", "getApiTokenPermissionGroupsList")
}

func (GetApiTokenPermissionGroupsList) Invoke(ctx context.Context, req infer.FunctionRequest[GetApiTokenPermissionGroupsListArgs]) (infer.FunctionResponse[GetApiTokenPermissionGroupsListResult], error) {
	in := req.Input
	params := user.TokenPermissionGroupListParams{}
	if in.Name != nil {
		params.Name = cloudflare.F(*in.Name)
	}
	if in.Scope != nil {
		params.Scope = cloudflare.F(*in.Scope)
	}
	page, err := client(ctx).User.Tokens.PermissionGroups.List(ctx, params)
	if err != nil {
		return infer.FunctionResponse[GetApiTokenPermissionGroupsListResult]{}, err
	}
	var listed struct {
		Result []PermissionGroup `json:"result"`
	}
	if err := json.Unmarshal([]byte(page.JSON.RawJSON()), &listed); err != nil {
		return infer.FunctionResponse[GetApiTokenPermissionGroupsListResult]{}, err
	}
	maxItems := 1000
	if in.MaxItems != nil && *in.MaxItems > 0 {
		maxItems = *in.MaxItems
	}
	groups := listed.Result[:min(len(listed.Result), maxItems)]
	return infer.FunctionResponse[GetApiTokenPermissionGroupsListResult]{Output: GetApiTokenPermissionGroupsListResult{
		in.Name, in.Scope, in.MaxItems, groups,
	}}, nil
}
