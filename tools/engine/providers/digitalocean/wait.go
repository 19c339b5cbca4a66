package main

import (
	"context"
	"fmt"
	"time"

	"github.com/digitalocean/godo"
)

// pollInterval is how long to wait between two looks at an action or a Droplet. The real provider waits
// 10 s before its first look and at least 3 s between looks; the stand-in answers at once.
const pollInterval = time.Second

// waitFor calls look until it reports done, or fails, or the timeout passes.
func waitFor(ctx context.Context, what string, timeout time.Duration, look func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		done, err := look()
		if err != nil || done {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s", timeout, what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

// waitForAction waits until an action has completed, as the real provider's util.WaitForAction does
// (GET /v2/actions/ID, at most 60 minutes).
func waitForAction(ctx context.Context, client *godo.Client, action *godo.Action) error {
	return waitFor(ctx, fmt.Sprintf("action %d (%s)", action.ID, action.Type), 60*time.Minute, func() (bool, error) {
		current, _, err := client.Actions.Get(ctx, action.ID)
		if err != nil {
			return false, err
		}
		if current.Status == "errored" {
			return false, fmt.Errorf("action %d (%s) errored", action.ID, action.Type)
		}
		return current.Status == godo.ActionCompleted, nil
	})
}
