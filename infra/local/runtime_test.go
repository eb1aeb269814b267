package local

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// hangFunction builds testdata/hang and runs one process of it behind a
// Runtime API with the given timeout.
func hangFunction(t *testing.T, timeout time.Duration) (*runtimeAPI, *counter) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs a function")
	}
	bin := filepath.Join(t.TempDir(), "hang")
	if out, err := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "./testdata/hang").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	count := &counter{}
	api := newRuntimeAPI("HangFunction", timeout, count)
	p, err := startProcesses(api, bin, baseEnv(), 1, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(); api.close() })
	return api, count
}

func pidOf(t *testing.T, api *runtimeAPI, event string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := api.Invoke(ctx, []byte(event))
	if err != nil {
		t.Fatalf("invoke %s: %v", event, err)
	}
	var r struct{ PID int }
	if err := json.Unmarshal(out, &r); err != nil || r.PID == 0 {
		t.Fatalf("invoke %s: %s, %v", event, out, err)
	}
	return r.PID
}

// TestTimedOutProcessIsKilled: as in Lambda, an invocation that runs past
// the function's timeout fails with Sandbox.Timedout and its process is
// killed; a new process serves the next invocation.
func TestTimedOutProcessIsKilled(t *testing.T) {
	api, count := hangFunction(t, 2*time.Second)
	first := pidOf(t, api, `{}`)
	_, err := api.Invoke(context.Background(), []byte(`{"sleep":"1h"}`))
	var fe *FunctionError
	if !errors.As(err, &fe) || fe.Type != "Sandbox.Timedout" {
		t.Fatalf("a function that hangs: got %v, want Sandbox.Timedout", err)
	}
	if next := pidOf(t, api, `{}`); next == first {
		t.Errorf("the next invocation ran in process %d, the one that timed out; want a new process", next)
	}
	n := map[string]int{}
	count.snapshot(n)
	if n["HangFunction killed: timed out"] != 1 {
		t.Errorf("kills counted: %v, want one for the timeout", n)
	}
}

// TestKilledProcessFailsItsInvocation: a process killed mid-flight
// (Stack.Kill) fails its invocation at once with Runtime.ExitError, not
// at the timeout, and a new process serves the next one.
func TestKilledProcessFailsItsInvocation(t *testing.T) {
	api, _ := hangFunction(t, time.Hour)
	first := pidOf(t, api, `{}`)
	failed := make(chan error, 1)
	go func() {
		_, err := api.Invoke(context.Background(), []byte(`{"sleep":"1h"}`))
		failed <- err
	}()
	killed := 0
	for killed == 0 {
		time.Sleep(50 * time.Millisecond)
		killed = api.killBusy()
	}
	select {
	case err := <-failed:
		var fe *FunctionError
		if !errors.As(err, &fe) || fe.Type != "Runtime.ExitError" {
			t.Errorf("a killed invocation: got %v, want Runtime.ExitError", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the killed invocation never failed")
	}
	if next := pidOf(t, api, `{}`); next == first {
		t.Errorf("the next invocation ran in the killed process %d", next)
	}
}
