package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"golang.org/x/crypto/ssh"
)

// RemoteCommand is command:remote:Command: its commands run over SSH on the host `connection` names.
type RemoteCommand struct{}

// RemoteCommandArgs are a remote command's inputs. The connection is secret as a whole, as in the schema.
type RemoteCommandArgs struct {
	CommandInputs
	Connection Connection `pulumi:"connection" provider:"secret"`
}

// RemoteCommandState is what the state keeps: the inputs and the last output.
type RemoteCommandState struct {
	RemoteCommandArgs
	CommandOutputs
}

// Connection is how a remote command reaches its host, with the schema's defaults. Only key
// authentication is offered: the stack signs in with its own key and never with a password or an agent.
type Connection struct {
	Host       string   `pulumi:"host"`
	Port       *float64 `pulumi:"port,optional"`
	User       *string  `pulumi:"user,optional"`
	PrivateKey *string  `pulumi:"privateKey,optional" provider:"secret"`
	// The server's public key (authorized_keys format). When set, the handshake offers only its
	// algorithm and fails on any other key; when not, any host key is accepted, as the schema says.
	HostKey *string `pulumi:"hostKey,optional"`
	// Failed dials allowed before giving up; -1 is no limit.
	DialErrorLimit *int `pulumi:"dialErrorLimit,optional"`
	// Seconds for each dial; 0 is no limit.
	PerDialTimeout *int `pulumi:"perDialTimeout,optional"`
}

func (c *Connection) Annotate(a infer.Annotator) {
	a.SetToken("remote", "Connection")
	a.SetDefault(&c.Port, 22)
	a.SetDefault(&c.User, "root")
	a.SetDefault(&c.DialErrorLimit, 10)
	a.SetDefault(&c.PerDialTimeout, 15)
}

func (c *RemoteCommand) Annotate(a infer.Annotator) { a.SetToken("remote", "Command") }

func (RemoteCommand) Create(ctx context.Context, req infer.CreateRequest[RemoteCommandArgs]) (infer.CreateResponse[RemoteCommandState], error) {
	id, err := resourceID(req.Name)
	if err != nil {
		return infer.CreateResponse[RemoteCommandState]{}, err
	}
	state := RemoteCommandState{RemoteCommandArgs: req.Inputs}
	if s := createScript(req.Inputs.CommandInputs); s != nil && !req.DryRun {
		if state.CommandOutputs, err = runRemote(ctx, req.Inputs.Connection, *s); err != nil {
			return infer.CreateResponse[RemoteCommandState]{}, err
		}
	}
	return infer.CreateResponse[RemoteCommandState]{ID: id, Output: state}, nil
}

func (RemoteCommand) Update(ctx context.Context, req infer.UpdateRequest[RemoteCommandArgs, RemoteCommandState]) (infer.UpdateResponse[RemoteCommandState], error) {
	state := RemoteCommandState{RemoteCommandArgs: req.Inputs, CommandOutputs: req.State.CommandOutputs}
	if s := updateScript(req.Inputs.CommandInputs, req.State.CommandOutputs); s != nil && !req.DryRun {
		var err error
		if state.CommandOutputs, err = runRemote(ctx, req.Inputs.Connection, *s); err != nil {
			return infer.UpdateResponse[RemoteCommandState]{}, err
		}
	}
	return infer.UpdateResponse[RemoteCommandState]{Output: state}, nil
}

func (RemoteCommand) Delete(ctx context.Context, req infer.DeleteRequest[RemoteCommandState]) (infer.DeleteResponse, error) {
	if s := deleteScript(req.State.CommandInputs, req.State.CommandOutputs); s != nil {
		_, err := runRemote(ctx, req.State.Connection, *s)
		return infer.DeleteResponse{}, err
	}
	return infer.DeleteResponse{}, nil
}

func runRemote(ctx context.Context, connection Connection, s script) (CommandOutputs, error) {
	capture, err := newCaptured(s.logging)
	if err != nil {
		return CommandOutputs{}, err
	}
	client, err := connection.dial(ctx)
	if err != nil {
		return CommandOutputs{}, err
	}
	defer client.Close()
	session, err := client.NewSession()
	if err != nil {
		return CommandOutputs{}, err
	}
	defer session.Close()
	// A server passes on only the variables its AcceptEnv allows: `environment` must get through, the
	// previous output may not (a warning, as in the real provider).
	for name, value := range s.environment {
		if err := session.Setenv(name, value); err != nil {
			return CommandOutputs{}, fmt.Errorf("the server refused environment variable %s (its AcceptEnv): %w", name, err)
		}
	}
	for name, value := range s.previousOutput() {
		if err := session.Setenv(name, value); err != nil {
			p.GetLogger(ctx).Warningf("the server refused %s (its AcceptEnv); the command runs without it", name)
		}
	}
	if s.stdin != nil {
		session.Stdin = strings.NewReader(*s.stdin)
	}
	session.Stdout, session.Stderr = &capture.stdout, &capture.stderr
	runErr := session.Run(s.command)
	output := capture.outputs(ctx)
	if runErr != nil {
		return output, failed(s.command, runErr, output)
	}
	return output, nil
}

// dial connects, retrying failed dials (a refused connection, a timeout, a wrong host key) up to
// DialErrorLimit, a second apart.
func (c Connection) dial(ctx context.Context) (*ssh.Client, error) {
	config, err := c.clientConfig()
	if err != nil {
		return nil, err
	}
	address := net.JoinHostPort(c.Host, strconv.Itoa(int(valueOr(c.Port, 22))))
	limit := valueOr(c.DialErrorLimit, 10)
	for failures := 1; ; failures++ {
		client, err := ssh.Dial("tcp", address, config)
		if err == nil {
			return client, nil
		}
		if limit >= 0 && failures >= limit {
			return nil, fmt.Errorf("dialing %s failed %d times, the last: %w", address, failures, err)
		}
		p.GetLogger(ctx).InfoStatusf("dialing %s failed (%v): retrying", address, err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func (c Connection) clientConfig() (*ssh.ClientConfig, error) {
	if c.PrivateKey == nil {
		return nil, errors.New("connection: no privateKey (this test provider signs in with a key only)")
	}
	signer, err := ssh.ParsePrivateKey([]byte(*c.PrivateKey))
	if err != nil {
		return nil, fmt.Errorf("connection.privateKey: %w", err)
	}
	config := &ssh.ClientConfig{
		User:            valueOr(c.User, "root"),
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), //nolint:gosec // the schema: without hostKey, the host key is not checked
		Timeout:         time.Duration(valueOr(c.PerDialTimeout, 15)) * time.Second,
	}
	if c.HostKey != nil {
		hostKey, _, _, _, err := ssh.ParseAuthorizedKey([]byte(*c.HostKey))
		if err != nil {
			return nil, fmt.Errorf("connection.hostKey: %w", err)
		}
		config.HostKeyCallback = ssh.FixedHostKey(hostKey)
		config.HostKeyAlgorithms = []string{hostKey.Type()}
	}
	return config, nil
}

func valueOr[T any](value *T, fallback T) T {
	if value == nil {
		return fallback
	}
	return *value
}
