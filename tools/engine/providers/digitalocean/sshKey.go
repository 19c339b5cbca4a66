package main

import (
	"context"
	"strconv"
	"strings"

	"github.com/digitalocean/godo"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// SshKey is digitalocean:index/sshKey:SshKey, an SSH key of the account. Replace rules from
// terraform-provider-digitalocean v2.99.1, digitalocean/sshkey/resource_ssh_key.go: `public_key` is
// ForceNew (leading and trailing white space ignored), `name` is updated in place (PUT /v2/account/keys/ID).
type SshKey struct{}

type SshKeyArgs struct {
	Name      string `pulumi:"name"`
	PublicKey string `pulumi:"publicKey" provider:"replaceOnChanges"`
}

type SshKeyState struct {
	SshKeyArgs
	Fingerprint string `pulumi:"fingerprint"`
}

func (k *SshKey) Annotate(a infer.Annotator) { a.SetToken("index/sshKey", "SshKey") }

func (SshKey) Create(ctx context.Context, req infer.CreateRequest[SshKeyArgs]) (infer.CreateResponse[SshKeyState], error) {
	if req.DryRun {
		return infer.CreateResponse[SshKeyState]{Output: SshKeyState{SshKeyArgs: req.Inputs}}, nil
	}
	key, _, err := clientOf(ctx).Keys.Create(ctx, &godo.KeyCreateRequest{Name: req.Inputs.Name, PublicKey: req.Inputs.PublicKey})
	if err != nil {
		return infer.CreateResponse[SshKeyState]{}, err
	}
	return infer.CreateResponse[SshKeyState]{ID: strconv.Itoa(key.ID), Output: sshKeyState(key)}, nil
}

func (SshKey) Read(ctx context.Context, req infer.ReadRequest[SshKeyArgs, SshKeyState]) (infer.ReadResponse[SshKeyArgs, SshKeyState], error) {
	id, err := strconv.Atoi(req.ID)
	if err != nil {
		return infer.ReadResponse[SshKeyArgs, SshKeyState]{}, err
	}
	key, response, err := clientOf(ctx).Keys.GetByID(ctx, id)
	if notFound(response) {
		return infer.ReadResponse[SshKeyArgs, SshKeyState]{}, nil
	}
	if err != nil {
		return infer.ReadResponse[SshKeyArgs, SshKeyState]{}, err
	}
	state := sshKeyState(key)
	return infer.ReadResponse[SshKeyArgs, SshKeyState]{ID: req.ID, Inputs: state.SshKeyArgs, State: state}, nil
}

func (SshKey) Diff(_ context.Context, req infer.DiffRequest[SshKeyArgs, SshKeyState]) (infer.DiffResponse, error) {
	d := propertyDiffs{}
	d.note("name", req.Inputs.Name != req.State.Name, false)
	d.note("publicKey", strings.TrimSpace(req.Inputs.PublicKey) != strings.TrimSpace(req.State.PublicKey), true)
	return d.response(), nil
}

func (SshKey) Update(ctx context.Context, req infer.UpdateRequest[SshKeyArgs, SshKeyState]) (infer.UpdateResponse[SshKeyState], error) {
	state := SshKeyState{SshKeyArgs: req.Inputs, Fingerprint: req.State.Fingerprint}
	if req.DryRun {
		return infer.UpdateResponse[SshKeyState]{Output: state}, nil
	}
	id, err := strconv.Atoi(req.ID)
	if err != nil {
		return infer.UpdateResponse[SshKeyState]{}, err
	}
	key, _, err := clientOf(ctx).Keys.UpdateByID(ctx, id, &godo.KeyUpdateRequest{Name: req.Inputs.Name})
	if err != nil {
		return infer.UpdateResponse[SshKeyState]{}, err
	}
	return infer.UpdateResponse[SshKeyState]{Output: sshKeyState(key)}, nil
}

func (SshKey) Delete(ctx context.Context, req infer.DeleteRequest[SshKeyState]) (infer.DeleteResponse, error) {
	id, err := strconv.Atoi(req.ID)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	_, err = clientOf(ctx).Keys.DeleteByID(ctx, id)
	return infer.DeleteResponse{}, err
}

func sshKeyState(key *godo.Key) SshKeyState {
	return SshKeyState{SshKeyArgs: SshKeyArgs{Name: key.Name, PublicKey: key.PublicKey}, Fingerprint: key.Fingerprint}
}
