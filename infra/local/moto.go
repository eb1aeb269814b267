package local

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"syscall"
	"time"
)

// motoServer starts moto's server with DynamoDB transactions that cost the
// same whatever the table's size (see the script's own comment).
//
//go:embed moto_server.py
var motoServer string

// moto is a moto_server child process on a loopback port.
type moto struct {
	URL string
	cmd *exec.Cmd
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startMoto starts moto on a free port and waits until it answers.
func startMoto(ctx context.Context, logs io.Writer) (*moto, error) {
	if _, err := exec.LookPath("python3"); err != nil {
		return nil, fmt.Errorf("start moto: python3 not found: install Python 3 and moto[server]")
	}
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("start moto: %w", err)
	}
	cmd := exec.Command("python3", "-c", motoServer, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto: %w", err)
	}
	m := &moto{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("start moto: it exited at once (%v): is moto[server] installed? (pip install 'moto[server]')", err)
		case <-ctx.Done():
			m.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if resp, err := http.Get(m.URL + "/moto-api/"); err == nil {
			resp.Body.Close()
			go func() { <-exited }()
			return m, nil
		}
	}
	m.stop()
	return nil, fmt.Errorf("start moto: no answer on %s after 30s", m.URL)
}

// stop ends moto and anything it started, by process group.
func (m *moto) stop() {
	if m == nil || m.cmd.Process == nil {
		return
	}
	pgid := m.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	for range 50 {
		if syscall.Kill(-pgid, 0) != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}
