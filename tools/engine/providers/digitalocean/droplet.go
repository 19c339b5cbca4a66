package main

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/digitalocean/godo"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// Droplet is digitalocean:index/droplet:Droplet, with the inputs the stack sets. Replace rules from
// terraform-provider-digitalocean v2.99.1, digitalocean/droplet/resource_droplet.go
// (resourceDigitalOceanDroplet): `image`, `region`, `ssh_keys`, `user_data` and `monitoring` are
// ForceNew; `ipv6` replaces only when it turns false (its CustomizeDiff) and is otherwise enabled in
// place; `name` (rename action), `size` (power off, resize, power on), `resize_disk`, `tags` and
// `volume_ids` (attach and detach actions) are updated in place. This test provider makes the rename,
// resize, attach and detach calls; it refuses, rather than fakes, an in-place change of `tags` or
// `ipv6`, which the stack never makes.
//
// As the real provider (its StateFunc), the state keeps only a SHA-1 of `user_data`, never the text.
type Droplet struct{}

type DropletArgs struct {
	Name       string   `pulumi:"name"`
	Image      string   `pulumi:"image" provider:"replaceOnChanges"`
	Region     *string  `pulumi:"region,optional" provider:"replaceOnChanges"`
	Size       string   `pulumi:"size"`
	ResizeDisk *bool    `pulumi:"resizeDisk,optional"`
	UserData   *string  `pulumi:"userData,optional" provider:"replaceOnChanges"`
	SshKeys    []string `pulumi:"sshKeys,optional" provider:"replaceOnChanges"`
	VolumeIds  []string `pulumi:"volumeIds,optional"`
	Monitoring *bool    `pulumi:"monitoring,optional" provider:"replaceOnChanges"`
	Ipv6       *bool    `pulumi:"ipv6,optional"`
	Tags       []string `pulumi:"tags,optional"`
}

type DropletState struct {
	DropletArgs
	Ipv4Address        string  `pulumi:"ipv4Address"`
	Ipv4AddressPrivate string  `pulumi:"ipv4AddressPrivate"`
	Ipv6Address        string  `pulumi:"ipv6Address"`
	Status             string  `pulumi:"status"`
	Locked             bool    `pulumi:"locked"`
	CreatedAt          string  `pulumi:"createdAt"`
	Disk               int     `pulumi:"disk"`
	Vcpus              int     `pulumi:"vcpus"`
	Memory             int     `pulumi:"memory"`
	PriceHourly        float64 `pulumi:"priceHourly"`
	PriceMonthly       float64 `pulumi:"priceMonthly"`
	VpcUuid            string  `pulumi:"vpcUuid"`
	DropletUrn         string  `pulumi:"dropletUrn"`
}

func (d *Droplet) Annotate(a infer.Annotator) { a.SetToken("index/droplet", "Droplet") }

// The real provider's timeouts: 60 minutes to create or update, 60 seconds for a deleted Droplet to go.
const (
	dropletCreateTimeout = 60 * time.Minute
	dropletDeleteTimeout = 60 * time.Second
)

func (Droplet) Create(ctx context.Context, req infer.CreateRequest[DropletArgs]) (infer.CreateResponse[DropletState], error) {
	in := req.Inputs
	if req.DryRun {
		return infer.CreateResponse[DropletState]{Output: DropletState{DropletArgs: stateArgs(in)}}, nil
	}
	client := clientOf(ctx)
	created, _, err := client.Droplets.Create(ctx, dropletCreateRequest(in))
	if err != nil {
		return infer.CreateResponse[DropletState]{}, err
	}
	id := strconv.Itoa(created.ID)
	// As the real provider: the create has succeeded only once the Droplet is active.
	droplet, err := waitForDroplet(ctx, client, created.ID, "active", dropletCreateTimeout)
	if err != nil {
		return infer.CreateResponse[DropletState]{ID: id, Output: DropletState{DropletArgs: stateArgs(in)}},
			infer.ResourceInitFailedError{Reasons: []string{err.Error()}}
	}
	return infer.CreateResponse[DropletState]{ID: id, Output: dropletState(in, droplet)}, nil
}

func (Droplet) Read(ctx context.Context, req infer.ReadRequest[DropletArgs, DropletState]) (infer.ReadResponse[DropletArgs, DropletState], error) {
	id, err := strconv.Atoi(req.ID)
	if err != nil {
		return infer.ReadResponse[DropletArgs, DropletState]{}, err
	}
	droplet, response, err := clientOf(ctx).Droplets.Get(ctx, id)
	if notFound(response) {
		return infer.ReadResponse[DropletArgs, DropletState]{}, nil
	}
	if err != nil {
		return infer.ReadResponse[DropletArgs, DropletState]{}, err
	}
	state := dropletState(req.Inputs, droplet)
	// What the API does not report (image, SSH keys, user-data, resize_disk) stays as it was.
	state.Image, state.SshKeys, state.UserData, state.ResizeDisk = req.State.Image, req.State.SshKeys, req.State.UserData, req.State.ResizeDisk
	inputs := req.Inputs
	inputs.Name, inputs.Size, inputs.Region, inputs.Tags, inputs.VolumeIds = state.Name, state.Size, state.Region, state.Tags, state.VolumeIds
	return infer.ReadResponse[DropletArgs, DropletState]{ID: req.ID, Inputs: inputs, State: state}, nil
}

func (Droplet) Diff(_ context.Context, req infer.DiffRequest[DropletArgs, DropletState]) (infer.DiffResponse, error) {
	in, old := req.Inputs, req.State
	wasIpv6, isIpv6 := valueOr(old.Ipv6, false), valueOr(in.Ipv6, false)
	d := propertyDiffs{}
	d.note("name", in.Name != old.Name, false)
	d.note("image", in.Image != old.Image, true)
	d.note("region", in.Region != nil && !strings.EqualFold(*in.Region, valueOr(old.Region, "")), true)
	d.note("size", !strings.EqualFold(in.Size, old.Size), false)
	d.note("resizeDisk", valueOr(in.ResizeDisk, true) != valueOr(old.ResizeDisk, true), false)
	d.note("userData", userDataChanged(old.UserData, in.UserData), true)
	d.note("sshKeys", !sameSet(in.SshKeys, old.SshKeys, false), true)
	d.note("volumeIds", in.VolumeIds != nil && !sameSet(in.VolumeIds, old.VolumeIds, false), false)
	d.note("monitoring", valueOr(in.Monitoring, false) != valueOr(old.Monitoring, false), true)
	d.note("ipv6", wasIpv6 != isIpv6, wasIpv6 && !isIpv6)
	d.note("tags", !sameSet(in.Tags, old.Tags, true), false)
	return d.response(), nil
}

func (Droplet) Update(ctx context.Context, req infer.UpdateRequest[DropletArgs, DropletState]) (infer.UpdateResponse[DropletState], error) {
	in, old := req.Inputs, req.State
	if !sameSet(in.Tags, old.Tags, true) {
		return infer.UpdateResponse[DropletState]{}, errors.New("this test provider does not change a Droplet's tags in place (the real provider tags and untags it)")
	}
	if !valueOr(old.Ipv6, false) && valueOr(in.Ipv6, false) {
		return infer.UpdateResponse[DropletState]{}, errors.New("this test provider does not enable IPv6 in place (the real provider runs the enable_ipv6 action)")
	}
	if req.DryRun {
		state := old
		state.DropletArgs = stateArgs(in)
		return infer.UpdateResponse[DropletState]{Output: state}, nil
	}
	client := clientOf(ctx)
	id, err := strconv.Atoi(req.ID)
	if err != nil {
		return infer.UpdateResponse[DropletState]{}, err
	}
	if !strings.EqualFold(in.Size, old.Size) {
		if err := resizeDroplet(ctx, client, id, in.Size, valueOr(in.ResizeDisk, true)); err != nil {
			return infer.UpdateResponse[DropletState]{}, err
		}
	}
	if in.Name != old.Name {
		if err := runDropletAction(ctx, client, id, "rename", func() (*godo.Action, *godo.Response, error) {
			return client.DropletActions.Rename(ctx, id, in.Name)
		}); err != nil {
			return infer.UpdateResponse[DropletState]{}, err
		}
	}
	if in.VolumeIds != nil {
		if err := changeVolumes(ctx, client, id, old.VolumeIds, in.VolumeIds); err != nil {
			return infer.UpdateResponse[DropletState]{}, err
		}
	}
	droplet, _, err := client.Droplets.Get(ctx, id)
	if err != nil {
		return infer.UpdateResponse[DropletState]{}, err
	}
	return infer.UpdateResponse[DropletState]{Output: dropletState(in, droplet)}, nil
}

// Delete detaches the Droplet's volumes, deletes it and waits until the API no longer knows it, as the
// real provider does (so a volume is free for a replacement Droplet).
func (Droplet) Delete(ctx context.Context, req infer.DeleteRequest[DropletState]) (infer.DeleteResponse, error) {
	client := clientOf(ctx)
	id, err := strconv.Atoi(req.ID)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	if err := changeVolumes(ctx, client, id, req.State.VolumeIds, nil); err != nil {
		return infer.DeleteResponse{}, err
	}
	response, err := client.Droplets.Delete(ctx, id)
	if notFound(response) {
		return infer.DeleteResponse{}, nil
	}
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	return infer.DeleteResponse{}, waitFor(ctx, fmt.Sprintf("Droplet %d to be deleted", id), dropletDeleteTimeout, func() (bool, error) {
		_, response, err := client.Droplets.Get(ctx, id)
		if notFound(response) {
			return true, nil
		}
		return false, err
	})
}

// dropletCreateRequest is the create call the real provider makes (expandDropletCreateRequest): an image
// or SSH key given as a number is an id, otherwise a slug or a fingerprint.
func dropletCreateRequest(in DropletArgs) *godo.DropletCreateRequest {
	request := &godo.DropletCreateRequest{
		Name:       in.Name,
		Region:     valueOr(in.Region, ""),
		Size:       in.Size,
		Tags:       in.Tags,
		IPv6:       valueOr(in.Ipv6, false),
		Monitoring: valueOr(in.Monitoring, false),
		UserData:   valueOr(in.UserData, ""),
	}
	if imageID, err := strconv.Atoi(in.Image); err == nil {
		request.Image.ID = imageID
	} else {
		request.Image.Slug = in.Image
	}
	for _, key := range in.SshKeys {
		if keyID, err := strconv.Atoi(key); err == nil {
			request.SSHKeys = append(request.SSHKeys, godo.DropletCreateSSHKey{ID: keyID})
		} else {
			request.SSHKeys = append(request.SSHKeys, godo.DropletCreateSSHKey{Fingerprint: key})
		}
	}
	for _, volumeID := range in.VolumeIds {
		request.Volumes = append(request.Volumes, godo.DropletCreateVolume{ID: volumeID})
	}
	return request
}

// stateArgs are the inputs as the state keeps them: user-data only as its hash.
func stateArgs(in DropletArgs) DropletArgs {
	if in.UserData != nil {
		hash := hashUserData(*in.UserData)
		in.UserData = &hash
	}
	return in
}

// hashUserData is the real provider's StateFunc for user_data (util.HashString: SHA-1, hex).
func hashUserData(userData string) string {
	sum := sha1.Sum([]byte(userData))
	return hex.EncodeToString(sum[:])
}

// userDataChanged compares new user-data with the hash in the state. A new value equal to the stored one is
// the hash itself, as an ignoreChanges copy from the state gives it.
func userDataChanged(stored, given *string) bool {
	if given == nil || stored == nil {
		return (given == nil) != (stored == nil)
	}
	return *given != *stored && hashUserData(*given) != *stored
}

func dropletState(in DropletArgs, d *godo.Droplet) DropletState {
	state := DropletState{
		DropletArgs: stateArgs(in),
		Status:      d.Status,
		Locked:      d.Locked,
		CreatedAt:   d.Created,
		Disk:        d.Disk,
		Vcpus:       d.Vcpus,
		Memory:      d.Memory,
		VpcUuid:     d.VPCUUID,
		DropletUrn:  d.URN(),
	}
	state.Name = d.Name
	state.VolumeIds = append([]string{}, d.VolumeIDs...)
	state.Tags = d.Tags
	if d.Region != nil {
		state.Region = &d.Region.Slug
	}
	if d.Size != nil {
		state.Size = d.Size.Slug
		state.PriceHourly, state.PriceMonthly = d.Size.PriceHourly, d.Size.PriceMonthly
	}
	monitoring, ipv6 := slices.Contains(d.Features, "monitoring"), slices.Contains(d.Features, "ipv6")
	state.Monitoring, state.Ipv6 = &monitoring, &ipv6
	state.Ipv4Address, _ = d.PublicIPv4()
	state.Ipv4AddressPrivate, _ = d.PrivateIPv4()
	ipv6Address, _ := d.PublicIPv6()
	state.Ipv6Address = strings.ToLower(ipv6Address)
	return state
}

// waitForDroplet polls the Droplet until its status is `status` and it is not locked.
func waitForDroplet(ctx context.Context, client *godo.Client, id int, status string, timeout time.Duration) (*godo.Droplet, error) {
	var droplet *godo.Droplet
	err := waitFor(ctx, fmt.Sprintf("Droplet %d to be %s", id, status), timeout, func() (bool, error) {
		var err error
		droplet, _, err = client.Droplets.Get(ctx, id)
		return err == nil && !droplet.Locked && droplet.Status == status, err
	})
	return droplet, err
}

// resizeDroplet is the real provider's resize: power off, resize, power on, each waited for.
func resizeDroplet(ctx context.Context, client *godo.Client, id int, size string, resizeDisk bool) error {
	if err := runDropletAction(ctx, client, id, "power off", func() (*godo.Action, *godo.Response, error) {
		return client.DropletActions.PowerOff(ctx, id)
	}); err != nil {
		return err
	}
	if _, err := waitForDroplet(ctx, client, id, "off", dropletCreateTimeout); err != nil {
		return err
	}
	if err := runDropletAction(ctx, client, id, "resize", func() (*godo.Action, *godo.Response, error) {
		return client.DropletActions.Resize(ctx, id, size, resizeDisk)
	}); err != nil {
		return err
	}
	if err := runDropletAction(ctx, client, id, "power on", func() (*godo.Action, *godo.Response, error) {
		return client.DropletActions.PowerOn(ctx, id)
	}); err != nil {
		return err
	}
	_, err := waitForDroplet(ctx, client, id, "active", dropletCreateTimeout)
	return err
}

func runDropletAction(ctx context.Context, client *godo.Client, id int, what string, call func() (*godo.Action, *godo.Response, error)) error {
	action, _, err := call()
	if err != nil {
		return fmt.Errorf("%s of Droplet %d: %w", what, id, err)
	}
	return waitForAction(ctx, client, action)
}

// changeVolumes attaches the volumes only in `want` and detaches those only in `have`, one action at a
// time, as the real provider does.
func changeVolumes(ctx context.Context, client *godo.Client, dropletID int, have, want []string) error {
	for _, volumeID := range want {
		if slices.Contains(have, volumeID) {
			continue
		}
		action, _, err := client.StorageActions.Attach(ctx, volumeID, dropletID)
		if err != nil {
			return fmt.Errorf("attaching volume %s to Droplet %d: %w", volumeID, dropletID, err)
		}
		if err := waitForAction(ctx, client, action); err != nil {
			return err
		}
	}
	for _, volumeID := range have {
		if slices.Contains(want, volumeID) {
			continue
		}
		action, _, err := client.StorageActions.DetachByDropletID(ctx, volumeID, dropletID)
		if err != nil {
			return fmt.Errorf("detaching volume %s from Droplet %d: %w", volumeID, dropletID, err)
		}
		if err := waitForAction(ctx, client, action); err != nil {
			return err
		}
	}
	return nil
}
