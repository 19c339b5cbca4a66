package main

import (
	"context"
	"os"
	"os/exec"
	"strings"

	"github.com/pulumi/pulumi-go-provider/infer"
)

// LocalCommand is command:local:Command: its commands run on this machine with /bin/sh -c (the real
// provider's default interpreter) in `dir` or the provider's directory, with the provider's environment
// plus `environment`.
type LocalCommand struct{}

// LocalCommandArgs are a local command's inputs: the shared ones and where it runs.
type LocalCommandArgs struct {
	CommandInputs
	// The directory the commands run in; the provider's own when unset. A change updates in place.
	Dir *string `pulumi:"dir,optional"`
}

// LocalCommandState is what the state keeps: the inputs and the last output.
type LocalCommandState struct {
	LocalCommandArgs
	CommandOutputs
}

func (c *LocalCommand) Annotate(a infer.Annotator) { a.SetToken("local", "Command") }

func (LocalCommand) Create(ctx context.Context, req infer.CreateRequest[LocalCommandArgs]) (infer.CreateResponse[LocalCommandState], error) {
	id, err := resourceID(req.Name)
	if err != nil {
		return infer.CreateResponse[LocalCommandState]{}, err
	}
	state := LocalCommandState{LocalCommandArgs: req.Inputs}
	if s := createScript(req.Inputs.CommandInputs); s != nil && !req.DryRun {
		if state.CommandOutputs, err = runLocal(ctx, *s, req.Inputs.Dir); err != nil {
			return infer.CreateResponse[LocalCommandState]{}, err
		}
	}
	return infer.CreateResponse[LocalCommandState]{ID: id, Output: state}, nil
}

func (LocalCommand) Update(ctx context.Context, req infer.UpdateRequest[LocalCommandArgs, LocalCommandState]) (infer.UpdateResponse[LocalCommandState], error) {
	state := LocalCommandState{LocalCommandArgs: req.Inputs, CommandOutputs: req.State.CommandOutputs}
	if s := updateScript(req.Inputs.CommandInputs, req.State.CommandOutputs); s != nil && !req.DryRun {
		var err error
		if state.CommandOutputs, err = runLocal(ctx, *s, req.Inputs.Dir); err != nil {
			return infer.UpdateResponse[LocalCommandState]{}, err
		}
	}
	return infer.UpdateResponse[LocalCommandState]{Output: state}, nil
}

func (LocalCommand) Delete(ctx context.Context, req infer.DeleteRequest[LocalCommandState]) (infer.DeleteResponse, error) {
	if s := deleteScript(req.State.CommandInputs, req.State.CommandOutputs); s != nil {
		_, err := runLocal(ctx, *s, req.State.Dir)
		return infer.DeleteResponse{}, err
	}
	return infer.DeleteResponse{}, nil
}

func runLocal(ctx context.Context, s script, dir *string) (CommandOutputs, error) {
	capture, err := newCaptured(s.logging)
	if err != nil {
		return CommandOutputs{}, err
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", s.command)
	if dir != nil {
		cmd.Dir = *dir
	}
	cmd.Env = os.Environ()
	for _, variables := range []map[string]string{s.previousOutput(), s.environment} {
		for name, value := range variables {
			cmd.Env = append(cmd.Env, name+"="+value)
		}
	}
	if s.stdin != nil {
		cmd.Stdin = strings.NewReader(*s.stdin)
	}
	cmd.Stdout, cmd.Stderr = &capture.stdout, &capture.stderr
	runErr := cmd.Run()
	output := capture.outputs(ctx)
	if runErr != nil {
		return output, failed(s.command, runErr, output)
	}
	return output, nil
}
