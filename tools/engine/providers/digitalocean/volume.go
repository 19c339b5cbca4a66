package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/digitalocean/godo"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// Volume is digitalocean:index/volume:Volume, a block storage volume. Replace rules from
// terraform-provider-digitalocean v2.99.1, digitalocean/volume/resource_volume.go: `region`, `name` and
// `description` are ForceNew; `size` is updated in place by a resize action and may only grow (its
// CustomizeDiff refuses a smaller size at plan time); `tags` are updated in place (tag and untag calls,
// which this test provider does not make: the stack's volume tags never change). `droplet_ids` is
// computed: attaching is the Droplet's `volume_ids`.
type Volume struct{}

type VolumeArgs struct {
	Name        string   `pulumi:"name" provider:"replaceOnChanges"`
	Region      string   `pulumi:"region" provider:"replaceOnChanges"`
	Size        int      `pulumi:"size"`
	Description *string  `pulumi:"description,optional" provider:"replaceOnChanges"`
	Tags        []string `pulumi:"tags,optional"`
}

type VolumeState struct {
	VolumeArgs
	DropletIds      []int  `pulumi:"dropletIds"`
	FilesystemType  string `pulumi:"filesystemType"`
	FilesystemLabel string `pulumi:"filesystemLabel"`
	VolumeUrn       string `pulumi:"volumeUrn"`
}

func (v *Volume) Annotate(a infer.Annotator) { a.SetToken("index/volume", "Volume") }

func (Volume) Create(ctx context.Context, req infer.CreateRequest[VolumeArgs]) (infer.CreateResponse[VolumeState], error) {
	in := req.Inputs
	if req.DryRun {
		return infer.CreateResponse[VolumeState]{Output: VolumeState{VolumeArgs: in}}, nil
	}
	client := clientOf(ctx)
	created, _, err := client.Storage.CreateVolume(ctx, &godo.VolumeCreateRequest{
		Name:          in.Name,
		Region:        strings.ToLower(in.Region),
		SizeGigaBytes: int64(in.Size),
		Description:   valueOr(in.Description, ""),
		Tags:          in.Tags,
	})
	if err != nil {
		return infer.CreateResponse[VolumeState]{}, err
	}
	state, err := readVolume(ctx, client, created.ID, in)
	if err != nil {
		return infer.CreateResponse[VolumeState]{ID: created.ID, Output: VolumeState{VolumeArgs: in}}, infer.ResourceInitFailedError{Reasons: []string{err.Error()}}
	}
	return infer.CreateResponse[VolumeState]{ID: created.ID, Output: *state}, nil
}

func (Volume) Read(ctx context.Context, req infer.ReadRequest[VolumeArgs, VolumeState]) (infer.ReadResponse[VolumeArgs, VolumeState], error) {
	state, err := readVolume(ctx, clientOf(ctx), req.ID, req.Inputs)
	if err != nil || state == nil {
		return infer.ReadResponse[VolumeArgs, VolumeState]{}, err
	}
	return infer.ReadResponse[VolumeArgs, VolumeState]{ID: req.ID, Inputs: state.VolumeArgs, State: *state}, nil
}

func (Volume) Diff(_ context.Context, req infer.DiffRequest[VolumeArgs, VolumeState]) (infer.DiffResponse, error) {
	in, old := req.Inputs, req.State
	if in.Size < old.Size {
		return infer.DiffResponse{}, fmt.Errorf("volumes `size` can only be expanded and not shrunk (from %d GB to %d GB)", old.Size, in.Size)
	}
	d := propertyDiffs{}
	d.note("name", in.Name != old.Name, true)
	d.note("region", !strings.EqualFold(in.Region, old.Region), true)
	d.note("description", valueOr(in.Description, "") != valueOr(old.Description, ""), true)
	d.note("size", in.Size != old.Size, false)
	d.note("tags", !sameSet(in.Tags, old.Tags, true), false)
	return d.response(), nil
}

func (Volume) Update(ctx context.Context, req infer.UpdateRequest[VolumeArgs, VolumeState]) (infer.UpdateResponse[VolumeState], error) {
	in, old := req.Inputs, req.State
	if !sameSet(in.Tags, old.Tags, true) {
		return infer.UpdateResponse[VolumeState]{}, errors.New("this test provider does not change a volume's tags in place (the real provider tags and untags it)")
	}
	if req.DryRun {
		return infer.UpdateResponse[VolumeState]{Output: VolumeState{VolumeArgs: in, DropletIds: old.DropletIds, FilesystemType: old.FilesystemType, FilesystemLabel: old.FilesystemLabel, VolumeUrn: old.VolumeUrn}}, nil
	}
	client := clientOf(ctx)
	if in.Size != old.Size {
		action, _, err := client.StorageActions.Resize(ctx, req.ID, in.Size, strings.ToLower(old.Region))
		if err != nil {
			return infer.UpdateResponse[VolumeState]{}, fmt.Errorf("resizing volume %s: %w", req.ID, err)
		}
		if err := waitForAction(ctx, client, action); err != nil {
			return infer.UpdateResponse[VolumeState]{}, err
		}
	}
	state, err := readVolume(ctx, client, req.ID, in)
	if err == nil && state == nil {
		err = fmt.Errorf("volume %s is gone", req.ID)
	}
	if err != nil {
		return infer.UpdateResponse[VolumeState]{}, err
	}
	return infer.UpdateResponse[VolumeState]{Output: *state}, nil
}

func (Volume) Delete(ctx context.Context, req infer.DeleteRequest[VolumeState]) (infer.DeleteResponse, error) {
	_, err := clientOf(ctx).Storage.DeleteVolume(ctx, req.ID)
	return infer.DeleteResponse{}, err
}

// readVolume is the volume's state as the API has it, or nil when it is gone.
func readVolume(ctx context.Context, client *godo.Client, id string, in VolumeArgs) (*VolumeState, error) {
	volume, response, err := client.Storage.GetVolume(ctx, id)
	if notFound(response) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	state := VolumeState{
		VolumeArgs: VolumeArgs{
			Name: volume.Name, Size: int(volume.SizeGigaBytes), Description: in.Description, Tags: in.Tags,
		},
		DropletIds:      volume.DropletIDs,
		FilesystemType:  volume.FilesystemType,
		FilesystemLabel: volume.FilesystemLabel,
		VolumeUrn:       volume.URN(),
	}
	if volume.Region != nil {
		state.Region = volume.Region.Slug
	}
	// As the real provider: the description only when the API has one; tags as the API lists them.
	if volume.Description != "" {
		state.Description = &volume.Description
	}
	if volume.Tags != nil {
		state.Tags = volume.Tags
	}
	if state.DropletIds == nil {
		state.DropletIds = []int{}
	}
	return &state, nil
}
