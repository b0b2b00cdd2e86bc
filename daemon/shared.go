package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/aliasd/aliasd/internal/buildinfo"
)

// SocketPath is the shared daemon's socket for this build: the name holds
// the build identity, so a rebuilt binary never talks to an old daemon.
// A Unix socket path is limited to 107 bytes; when the runtime directory is
// too deep for that, the socket lives in a short per-user directory under
// the system's temporary directory instead, named by a hash of the runtime
// directory (so every home still has its own daemon).
func SocketPath(runtimeDir string) string {
	name := "aliasd-" + buildinfo.ID() + ".sock"
	if p := filepath.Join(runtimeDir, name); len(p) <= maxSocketPath {
		return p
	}
	sum := sha256.Sum256([]byte(runtimeDir))
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("aliasd-%d", os.Getuid()), hex.EncodeToString(sum[:6]))
	return filepath.Join(dir, name)
}

// maxSocketPath is the longest socket path that fits sockaddr_un.
const maxSocketPath = 107

func pidPath(runtimeDir string) string {
	return filepath.Join(runtimeDir, "aliasd-"+buildinfo.ID()+".pid")
}

// PrepareRuntimeDir creates dir with mode 0700, or checks that an existing
// one belongs to this user and is closed to others. A socket there must be
// reachable by nobody else.
func PrepareRuntimeDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("runtime directory: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("runtime directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("runtime directory %s is not a directory", dir)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if int(st.Uid) != os.Getuid() {
		return fmt.Errorf("runtime directory %s belongs to uid %d, not to you (uid %d): refusing to use it", dir, st.Uid, os.Getuid())
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("runtime directory %s has mode %04o: it must be closed to other users (chmod 700)", dir, fi.Mode().Perm())
	}
	return nil
}

// prepareSocketDir checks (or creates, 0700) the directories of a socket
// that lives outside the runtime directory (see SocketPath).
func prepareSocketDir(sock string) error {
	dir := filepath.Dir(sock)
	if parent := filepath.Dir(dir); filepath.Base(parent) == fmt.Sprintf("aliasd-%d", os.Getuid()) {
		if err := PrepareRuntimeDir(parent); err != nil {
			return err
		}
	}
	return PrepareRuntimeDir(dir)
}

// checkSocketOwner refuses a socket file that another user created.
func checkSocketOwner(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("%s exists and is not a socket", path)
	}
	if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != os.Getuid() {
		return fmt.Errorf("socket %s belongs to uid %d, not to you: refusing to use it", path, st.Uid)
	}
	return nil
}

// ErrAlreadyRunning is returned by ServeShared when a daemon of this build
// already answers on the socket.
var ErrAlreadyRunning = errors.New("an aliasd daemon of this build is already running")

// SharedConfig configures ServeShared.
type SharedConfig struct {
	// IdleTimeout ends the daemon this long after its last session ends.
	// Zero takes the config's daemon.idle_timeout.
	IdleTimeout time.Duration
	// Ready, if set, is called once the socket accepts connections.
	Ready func(socket string)
}

// ServeShared serves sessions on the per-user socket until ctx ends or the
// daemon has had no session for the idle timeout. Connections from other
// users are refused (SO_PEERCRED).
func (d *Daemon) ServeShared(ctx context.Context, sc SharedConfig) (err error) {
	defer func() {
		// A daemon started by a relay or the CLI has no stderr: the log,
		// which their error message points to, must say why it stopped.
		if err != nil && !errors.Is(err, ErrAlreadyRunning) {
			d.logger.Error("the shared daemon cannot serve", "err", err)
		}
	}()
	dir := d.cfg.Paths.RuntimeDir
	if err := PrepareRuntimeDir(dir); err != nil {
		return err
	}
	sock := SocketPath(dir)
	if err := prepareSocketDir(sock); err != nil {
		return err
	}
	if _, err := os.Lstat(sock); err == nil {
		if err := checkSocketOwner(sock); err != nil {
			return err
		}
		if c, err := net.DialTimeout("unix", sock, time.Second); err == nil {
			c.Close()
			return ErrAlreadyRunning
		}
		os.Remove(sock) // stale: its daemon is gone
	}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", sock, err)
	}
	ul := ln.(*net.UnixListener)
	ul.SetUnlinkOnClose(true)
	if err := os.Chmod(sock, 0o600); err != nil {
		ln.Close()
		return err
	}
	os.WriteFile(pidPath(dir), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600)
	defer os.Remove(pidPath(dir))

	idle := sc.IdleTimeout
	if idle <= 0 {
		idle = d.Config().Daemon.IdleTimeout.D()
	}
	d.logger.Info("shared daemon listening", "socket", sock, "pid", os.Getpid(), "idle_timeout", idle)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	active := make(chan int, 16) // +1 on session start, -1 on end
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	go func() {
		n := 0
		timer := time.NewTimer(idle)
		for {
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case delta := <-active:
				n += delta
				if n == 0 {
					timer.Reset(idle)
				} else {
					timer.Stop()
				}
			case <-timer.C:
				if n == 0 {
					d.logger.Info("no sessions for the idle timeout; exiting", "idle_timeout", idle)
					cancel()
					return
				}
			}
		}
	}()
	if sc.Ready != nil {
		sc.Ready(sock)
	}
	for {
		conn, err := ul.AcceptUnix()
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			d.logger.Error("accept failed", "err", err)
			break
		}
		uid, pid, err := peerCred(conn)
		if err != nil || uid != os.Getuid() {
			d.logger.Warn("refused a connection from another user", "peer_uid", uid, "peer_pid", pid, "err", err)
			conn.Close()
			continue
		}
		active <- 1
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { active <- -1 }()
			d.serveConn(ctx, conn)
		}()
	}
	// Let sessions see the end and answer what they have read.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		d.logger.Warn("sessions still open at exit")
	}
	return nil
}

// peerCred returns the uid and pid of the process on the other end.
func peerCred(c *net.UnixConn) (uid, pid int, err error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return -1, 0, err
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return -1, 0, err
	}
	if credErr != nil {
		return -1, 0, credErr
	}
	return int(cred.Uid), int(cred.Pid), nil
}

// ConnectConfig configures Connect. RuntimeDir is required.
type ConnectConfig struct {
	RuntimeDir string
	LogDir     string
	// Exe is the aliasd binary to start; default the running executable.
	Exe string
	// Env is the started daemon's environment; default os.Environ().
	Env []string
	// StartTimeout bounds waiting for a new daemon. Default 15s.
	StartTimeout time.Duration
	Logger       *slog.Logger
}

// Connect dials the shared daemon, starting it first when none answers.
// A start lock makes concurrent callers start exactly one daemon.
func Connect(ctx context.Context, cc ConnectConfig) (*net.UnixConn, error) {
	if cc.StartTimeout <= 0 {
		cc.StartTimeout = 15 * time.Second
	}
	logger := cc.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := PrepareRuntimeDir(cc.RuntimeDir); err != nil {
		return nil, err
	}
	sock := SocketPath(cc.RuntimeDir)
	if err := prepareSocketDir(sock); err != nil {
		return nil, err
	}
	if c, err := dialSocket(sock); err == nil {
		return c, nil
	}
	unlock, err := lockFile(ctx, filepath.Join(cc.RuntimeDir, "start-"+buildinfo.ID()+".lock"), cc.StartTimeout)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if c, err := dialSocket(sock); err == nil {
		return c, nil // started by whoever held the lock
	}
	exited, err := startDaemon(cc)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(cc.StartTimeout)
	for {
		if c, err := dialSocket(sock); err == nil {
			logger.Debug("started the shared daemon", "socket", sock)
			return c, nil
		}
		select {
		case err := <-exited:
			return nil, fmt.Errorf("the aliasd daemon exited while starting (%v); see %s", err, filepath.Join(cc.LogDir, "aliasd.log"))
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the aliasd daemon did not answer on %s within %v; see %s", sock, cc.StartTimeout, filepath.Join(cc.LogDir, "aliasd.log"))
		}
	}
}

func dialSocket(sock string) (*net.UnixConn, error) {
	if err := checkSocketOwner(sock); err != nil {
		return nil, err
	}
	c, err := net.DialTimeout("unix", sock, 2*time.Second)
	if err != nil {
		return nil, err
	}
	return c.(*net.UnixConn), nil
}

// startDaemon runs "aliasd serve" detached in its own session. The
// returned channel reports when it exits.
func startDaemon(cc ConnectConfig) (<-chan error, error) {
	exe := cc.Exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("finding the aliasd binary: %w", err)
		}
	}
	env := cc.Env
	if env == nil {
		env = os.Environ()
	}
	// ALIASD_TOKEN belongs to the session that brought it (it travels in
	// initialize); the shared daemon never holds it for everyone.
	env = slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, "ALIASD_TOKEN=") })
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer devnull.Close()
	cmd := exec.Command(exe, "serve")
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the aliasd daemon: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // reap it if it exits while we live
	return exited, nil
}

// lockFile takes an exclusive flock on path, polling until timeout.
func lockFile(ctx context.Context, path string, timeout time.Duration) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("start lock: %w", err)
	}
	deadline := time.Now().Add(timeout)
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { unix.Flock(int(f.Fd()), unix.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("start lock: %w", err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("start lock %s held for more than %v", path, timeout)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// RunningPID returns the pid recorded by this build's shared daemon, or 0.
func RunningPID(runtimeDir string) int {
	b, err := os.ReadFile(pidPath(runtimeDir))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}
