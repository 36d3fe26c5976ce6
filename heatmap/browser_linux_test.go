//go:build linux

package heatmap_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// browser is a headless Chromium driven over the DevTools protocol on a
// pipe (--remote-debugging-pipe): NUL-terminated JSON messages, commands
// on the browser's fd 3, replies and events on its fd 4.
type browser struct {
	cmd     *exec.Cmd
	in      *os.File // our end of its fd 3
	mu      sync.Mutex
	nextID  int
	waiting map[int]chan cdpReply
	session string
	// requests and exceptions collect the page's Network.requestWillBeSent
	// URLs and Runtime.exceptionThrown texts, under mu.
	requests, exceptions []string
	done                 chan struct{} // closed when the reader ends
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

type cdpEvent struct {
	Method    string          `json:"method"`
	Params    json.RawMessage `json:"params"`
	SessionID string          `json:"sessionId"`
}

// chromiumNames are the programs tried, in order, for a browser.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "headless_shell"}

// startBrowser starts a headless Chromium with a fresh profile, or skips
// the test saying why it cannot. The browser and every process it starts
// are killed when the test ends, whatever the path.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	var path string
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Skipf("no browser to test the page in: none of %v on PATH (apt-get install -y chromium)", chromiumNames)
	}
	profile := t.TempDir()
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path,
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile, "--remote-debugging-pipe", "--window-size=1400,900", "about:blank")
	cmd.ExtraFiles = []*os.File{cmdR, outW} // fds 3 and 4
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	// Its own process group, so that its zygote, renderer and GPU
	// processes die with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		cmdR.Close()
		cmdW.Close()
		outR.Close()
		outW.Close()
		t.Skipf("cannot start %s: %v", path, err)
	}
	cmdR.Close()
	outW.Close()
	b := &browser{cmd: cmd, in: cmdW, waiting: map[int]chan cdpReply{}, done: make(chan struct{})}
	go b.read(outR)
	t.Cleanup(func() {
		pgid := cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		_ = cmd.Wait()
		cmdW.Close()
		<-b.done
		outR.Close()
		// Every process of the group is gone (or a zombie its parent,
		// now dead, leaves to init) within a few seconds.
		deadline := time.Now().Add(5 * time.Second)
		for syscall.Kill(-pgid, 0) == nil {
			if time.Now().After(deadline) {
				t.Errorf("chromium processes of group %d still alive after SIGKILL", pgid)
				break
			}
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			time.Sleep(50 * time.Millisecond)
		}
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("chromium stderr (last 2 kB): %s", tail(stderr.Bytes(), 2048))
		}
	})
	return b
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// read dispatches the browser's messages until its fd 4 closes.
func (b *browser) read(r io.Reader) {
	defer close(b.done)
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		msg, err := br.ReadBytes(0)
		if err != nil {
			b.mu.Lock()
			for id, ch := range b.waiting {
				close(ch)
				delete(b.waiting, id)
			}
			b.mu.Unlock()
			return
		}
		msg = msg[:len(msg)-1]
		var head struct {
			ID *int `json:"id"`
		}
		if json.Unmarshal(msg, &head) != nil {
			continue
		}
		if head.ID == nil {
			var ev cdpEvent
			if json.Unmarshal(msg, &ev) == nil {
				b.event(ev)
			}
			continue
		}
		var rep cdpReply
		_ = json.Unmarshal(msg, &rep)
		b.mu.Lock()
		ch := b.waiting[*head.ID]
		delete(b.waiting, *head.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- rep
		}
	}
}

// event records the events the tests check.
func (b *browser) event(ev cdpEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev.Method {
	case "Network.requestWillBeSent":
		var p struct {
			Request struct {
				URL string `json:"url"`
			} `json:"request"`
		}
		if json.Unmarshal(ev.Params, &p) == nil {
			b.requests = append(b.requests, p.Request.URL)
		}
	case "Runtime.exceptionThrown":
		b.exceptions = append(b.exceptions, string(ev.Params))
	}
}

// seen returns copies of the requests and exceptions so far.
func (b *browser) seen() (requests, exceptions []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.requests...), append([]string(nil), b.exceptions...)
}

// call sends a command (to the attached page when session is set) and
// waits for its reply.
func (b *browser) call(ctx context.Context, method string, params any, result any) error {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan cdpReply, 1)
	b.waiting[id] = ch
	msg := map[string]any{"id": id, "method": method, "params": params}
	if b.session != "" && method != "Target.createTarget" && method != "Target.attachToTarget" {
		msg["sessionId"] = b.session
	}
	data, err := json.Marshal(msg)
	if err == nil {
		_, err = b.in.Write(append(data, 0))
	}
	b.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case rep, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: browser closed the pipe", method)
		}
		if rep.Error != nil {
			return fmt.Errorf("%s: %s", method, rep.Error.Message)
		}
		if result != nil {
			return json.Unmarshal(rep.Result, result)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// open makes a page, attaches to it and enables what the tests watch.
func (b *browser) open(ctx context.Context) error {
	var tgt struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call(ctx, "Target.createTarget", map[string]any{"url": "about:blank"}, &tgt); err != nil {
		return err
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(ctx, "Target.attachToTarget", map[string]any{"targetId": tgt.TargetID, "flatten": true}, &att); err != nil {
		return err
	}
	b.session = att.SessionID
	for _, m := range []string{"Page.enable", "Runtime.enable", "Network.enable"} {
		if err := b.call(ctx, m, map[string]any{}, nil); err != nil {
			return err
		}
	}
	return b.call(ctx, "Emulation.setDeviceMetricsOverride",
		map[string]any{"width": 1400, "height": 900, "deviceScaleFactor": 1, "mobile": false}, nil)
}

// eval evaluates a JavaScript expression in the page and stores its value
// in out.
func (b *browser) eval(ctx context.Context, expr string, out any) error {
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := b.call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &res); err != nil {
		return err
	}
	if res.Exception != nil {
		return fmt.Errorf("evaluating %q: %s %s", expr, res.Exception.Text, res.Exception.Exception.Description)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(res.Result.Value, out)
}

// waitFor evaluates a boolean expression until it is true.
func (b *browser) waitFor(ctx context.Context, expr string) error {
	for {
		var ok bool
		err := b.eval(ctx, "!!("+expr+")", &ok)
		if err == nil && ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(fmt.Errorf("waiting for %s: %w", expr, ctx.Err()), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
