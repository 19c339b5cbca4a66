package main

import (
	"context"

	"github.com/digitalocean/godo"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// Tag is digitalocean:index/tag:Tag, whose id is its name. Replace rules from
// terraform-provider-digitalocean v2.99.1, digitalocean/tag/resource_tag.go: `name` is ForceNew, and
// nothing else is an input, so the resource has no update.
type Tag struct{}

type TagArgs struct {
	Name string `pulumi:"name" provider:"replaceOnChanges"`
}

type TagState struct {
	TagArgs
	TotalResourceCount   int `pulumi:"totalResourceCount"`
	DropletsCount        int `pulumi:"dropletsCount"`
	ImagesCount          int `pulumi:"imagesCount"`
	VolumesCount         int `pulumi:"volumesCount"`
	VolumeSnapshotsCount int `pulumi:"volumeSnapshotsCount"`
	DatabasesCount       int `pulumi:"databasesCount"`
}

func (t *Tag) Annotate(a infer.Annotator) { a.SetToken("index/tag", "Tag") }

func (Tag) Create(ctx context.Context, req infer.CreateRequest[TagArgs]) (infer.CreateResponse[TagState], error) {
	if req.DryRun {
		return infer.CreateResponse[TagState]{Output: TagState{TagArgs: req.Inputs}}, nil
	}
	client := clientOf(ctx)
	created, _, err := client.Tags.Create(ctx, &godo.TagCreateRequest{Name: req.Inputs.Name})
	if err != nil {
		return infer.CreateResponse[TagState]{}, err
	}
	// As the real provider: the state is what a read of the new tag returns.
	tag, _, err := client.Tags.Get(ctx, created.Name)
	if err != nil {
		return infer.CreateResponse[TagState]{ID: created.Name, Output: TagState{TagArgs: req.Inputs}}, infer.ResourceInitFailedError{Reasons: []string{err.Error()}}
	}
	return infer.CreateResponse[TagState]{ID: tag.Name, Output: tagState(tag)}, nil
}

func (Tag) Read(ctx context.Context, req infer.ReadRequest[TagArgs, TagState]) (infer.ReadResponse[TagArgs, TagState], error) {
	tag, response, err := clientOf(ctx).Tags.Get(ctx, req.ID)
	if notFound(response) {
		return infer.ReadResponse[TagArgs, TagState]{}, nil
	}
	if err != nil {
		return infer.ReadResponse[TagArgs, TagState]{}, err
	}
	state := tagState(tag)
	return infer.ReadResponse[TagArgs, TagState]{ID: tag.Name, Inputs: state.TagArgs, State: state}, nil
}

func (Tag) Delete(ctx context.Context, req infer.DeleteRequest[TagState]) (infer.DeleteResponse, error) {
	_, err := clientOf(ctx).Tags.Delete(ctx, req.ID)
	return infer.DeleteResponse{}, err
}

func tagState(tag *godo.Tag) TagState {
	state := TagState{TagArgs: TagArgs{Name: tag.Name}}
	if r := tag.Resources; r != nil {
		state.TotalResourceCount = r.Count
		if r.Droplets != nil {
			state.DropletsCount = r.Droplets.Count
		}
		if r.Images != nil {
			state.ImagesCount = r.Images.Count
		}
		if r.Volumes != nil {
			state.VolumesCount = r.Volumes.Count
		}
		if r.VolumeSnapshots != nil {
			state.VolumeSnapshotsCount = r.VolumeSnapshots.Count
		}
		if r.Databases != nil {
			state.DatabasesCount = r.Databases.Count
		}
	}
	return state
}
