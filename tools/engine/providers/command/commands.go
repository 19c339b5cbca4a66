package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
)

// CommandInputs are the inputs local and remote commands share, as the schema describes them.
type CommandInputs struct {
	// Run once when the resource is created; again on an update that has no `update` command.
	Create *string `pulumi:"create,optional"`
	// Run when an input changes (other than `triggers`).
	Update *string `pulumi:"update,optional"`
	// Run when the resource is deleted, with the last stdout and stderr in PULUMI_COMMAND_STDOUT and
	// PULUMI_COMMAND_STDERR.
	Delete *string `pulumi:"delete,optional"`
	// Given to the command as its standard input.
	Stdin *string `pulumi:"stdin,optional"`
	// Added to the command's environment.
	Environment map[string]string `pulumi:"environment,optional"`
	// Any change replaces the resource (the schema's only replaceOnChanges input).
	Triggers []any `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	// Which of stdout and stderr are logged: stdout, stderr, stdoutAndStderr (the default) or none.
	Logging *string `pulumi:"logging,optional"`
}

// CommandOutputs are what the last command printed, without the final newline.
type CommandOutputs struct {
	Stdout string `pulumi:"stdout"`
	Stderr string `pulumi:"stderr"`
}

// script is one command to run, with what it is given.
type script struct {
	command     string
	stdin       *string
	environment map[string]string
	// What the previous command printed, for PULUMI_COMMAND_STDOUT and PULUMI_COMMAND_STDERR; nil on create.
	previous *CommandOutputs
	logging  *string
}

func createScript(in CommandInputs) *script {
	if in.Create == nil {
		return nil
	}
	return &script{*in.Create, in.Stdin, in.Environment, nil, in.Logging}
}

// updateScript is what an update runs: `update`, or `create` again when there is none.
func updateScript(in CommandInputs, previous CommandOutputs) *script {
	command := in.Update
	if command == nil {
		command = in.Create
	}
	if command == nil {
		return nil
	}
	return &script{*command, in.Stdin, in.Environment, &previous, in.Logging}
}

func deleteScript(in CommandInputs, previous CommandOutputs) *script {
	if in.Delete == nil {
		return nil
	}
	return &script{*in.Delete, in.Stdin, in.Environment, &previous, in.Logging}
}

// previousOutput is the environment that carries the previous command's output (empty values left out).
func (s script) previousOutput() map[string]string {
	variables := map[string]string{}
	if s.previous != nil && s.previous.Stdout != "" {
		variables["PULUMI_COMMAND_STDOUT"] = s.previous.Stdout
	}
	if s.previous != nil && s.previous.Stderr != "" {
		variables["PULUMI_COMMAND_STDERR"] = s.previous.Stderr
	}
	return variables
}

// captured collects a command's stdout and stderr and logs the lines its `logging` asks for.
type captured struct {
	stdout, stderr bytes.Buffer
	logStdout      bool
	logStderr      bool
}

func newCaptured(logging *string) (*captured, error) {
	mode := "stdoutAndStderr"
	if logging != nil {
		mode = *logging
	}
	switch mode {
	case "stdout", "stderr", "stdoutAndStderr", "none":
	default:
		return nil, fmt.Errorf("logging must be stdout, stderr, stdoutAndStderr or none, not %q", mode)
	}
	return &captured{
		logStdout: mode == "stdout" || mode == "stdoutAndStderr",
		logStderr: mode == "stderr" || mode == "stdoutAndStderr",
	}, nil
}

// outputs logs the lines asked for, once the command has ended (the real provider streams them), and
// returns both streams without their final newline.
func (c *captured) outputs(ctx context.Context) CommandOutputs {
	logLines := func(stream []byte) {
		lines := bufio.NewScanner(bytes.NewReader(stream))
		for lines.Scan() {
			p.GetLogger(ctx).Info(lines.Text())
		}
	}
	if c.logStdout {
		logLines(c.stdout.Bytes())
	}
	if c.logStderr {
		logLines(c.stderr.Bytes())
	}
	return CommandOutputs{
		Stdout: strings.TrimSuffix(c.stdout.String(), "\n"),
		Stderr: strings.TrimSuffix(c.stderr.String(), "\n"),
	}
}

// failed is the error of a command that did not succeed: how it ended and its stderr, never its stdin.
func failed(command string, err error, output CommandOutputs) error {
	return fmt.Errorf("running %q: %w: %s", command, err, output.Stderr)
}

// resourceID names a command resource: its name and a random suffix, unique in the stack.
func resourceID(name string) (string, error) {
	suffix := make([]byte, 4)
	if _, err := rand.Read(suffix); err != nil {
		return "", err
	}
	return name + "-" + hex.EncodeToString(suffix), nil
}
