// Package daemon is aliasd's process core: it owns the configuration and
// the shared state (token vault, API client, bbolt store, cache, history),
// implements the JSON-RPC methods of the rpc contract, and serves
// connections — stdio in standalone mode, or many sessions on the shared
// per-user socket.
package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/aliasd/aliasd/alias"
	"github.com/aliasd/aliasd/cache"
	"github.com/aliasd/aliasd/config"
	"github.com/aliasd/aliasd/history"
	"github.com/aliasd/aliasd/internal/buildinfo"
	"github.com/aliasd/aliasd/internal/redact"
	"github.com/aliasd/aliasd/rpc"
	"github.com/aliasd/aliasd/store"
	"github.com/aliasd/aliasd/tokens"
)

// Config configures a Daemon. Paths is required.
type Config struct {
	Paths config.Paths
	Env   config.Env
	// Mode is reported by alias/status: "standalone" or "shared".
	Mode   string
	Logger *slog.Logger
	// Trace logs every frame (redacted).
	Trace bool
	// TestHooks registers the aliasd/test/* methods the end-to-end tests
	// use to provoke a panic or a slow handler in the real binary.
	TestHooks bool
	// EnvToken is ALIASD_TOKEN for a standalone daemon: the default token
	// of its one session, never stored. The shared daemon takes it per
	// session from initializationOptions instead.
	EnvToken string
	// Keyring replaces the OS keyring (tests).
	Keyring tokens.Keyring
}

// Daemon is the shared state behind every session.
type Daemon struct {
	cfg      Config
	logger   *slog.Logger
	redactor *redact.Redactor
	table    *rpc.Table
	ctx      context.Context
	cancel   context.CancelFunc

	vault   *tokens.Vault
	store   *store.Store
	cache   *cache.Cache
	history *history.History
	client  *alias.Client

	mu        sync.Mutex // guards the fields below
	conf      config.Config
	sessions  map[*rpc.Conn]*session
	warnings  []string          // startup problems every new session is told about
	envTokens map[string]string // session profile name → ALIASD_TOKEN of that session
}

// New loads the configuration and starts watching it. An invalid config
// file at start does not stop the daemon: it runs on the defaults and
// every client is warned.
func New(cfg Config) (*Daemon, error) {
	if cfg.Paths.ConfigDir == "" {
		return nil, fmt.Errorf("daemon: Paths is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Mode == "" {
		cfg.Mode = "standalone"
	}
	if err := cfg.Paths.Ensure(); err != nil {
		return nil, fmt.Errorf("creating aliasd directories: %w", err)
	}
	red := redact.New()
	d := &Daemon{
		cfg:       cfg,
		redactor:  red,
		logger:    slog.New(redact.NewHandler(cfg.Logger.Handler(), red)),
		sessions:  make(map[*rpc.Conn]*session),
		envTokens: make(map[string]string),
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())

	conf, err := config.Load(cfg.Paths.ConfigFile(), cfg.Env)
	if err != nil {
		d.logger.Warn("invalid config; using defaults", "err", err)
		d.warnings = append(d.warnings, fmt.Sprintf("config ignored, defaults in use: %v", err))
		conf, _ = config.Parse("defaults", nil, cfg.Env)
	}
	d.conf = conf

	if err := d.open(conf); err != nil {
		d.Close()
		return nil, err
	}

	if err := config.Watch(d.ctx, config.WatchConfig{
		Path:     cfg.Paths.ConfigFile(),
		Env:      cfg.Env,
		OnChange: d.configChanged,
		Logger:   d.logger,
	}); err != nil {
		d.logger.Warn("config changes will not apply live", "err", err)
		d.warnings = append(d.warnings, err.Error())
	}

	d.table = rpc.NewTable()
	d.register()
	return d, nil
}

// Config returns the configuration in force.
func (d *Daemon) Config() config.Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.conf
}

func (d *Daemon) configChanged(c config.Config, err error) {
	if err != nil {
		d.logger.Warn("config edit rejected; previous config stays in force", "err", err)
		d.broadcast(rpc.MethodShowMessage, rpc.MessageParams{Type: rpc.MessageWarning, Message: fmt.Sprintf("aliasd: config not applied, the previous config stays in force: %v", err)})
		return
	}
	d.mu.Lock()
	old := d.conf
	d.conf = c
	d.mu.Unlock()
	msg := "aliasd: config reloaded"
	if c.BaseURL != old.BaseURL {
		if err := d.client.SetBaseURL(c.BaseURL); err != nil {
			d.logger.Warn("base_url not applied", "err", err)
		}
	}
	if later := restartOnly(old, c); len(later) > 0 {
		msg += "; applied at the next daemon start: " + strings.Join(later, ", ")
	}
	d.logger.Info("config reloaded", "file", d.cfg.Paths.ConfigFile())
	d.broadcast(rpc.MethodLogMessage, rpc.MessageParams{Type: rpc.MessageInfo, Message: msg})
}

// broadcast queues a notification for every initialized session; each
// session's outbox sends it (see outbox), so broadcast never blocks.
func (d *Daemon) broadcast(method string, params any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for c, sess := range d.sessions {
		if !c.Initialized() || sess.out == nil {
			continue
		}
		if sess.out.post(pendingNote{method, params}) {
			d.logger.Warn("a client is not reading its notifications; dropping them until it does", "client", sess.clientName(), "queued", outboxSize)
		}
	}
}

// Serve runs one session on r/w until it ends and returns its exit status.
// closer, if not nil, is closed when the session ends.
func (d *Daemon) Serve(ctx context.Context, r io.Reader, w io.Writer, closer io.Closer) int {
	return d.serve(ctx, r, w, closer, sessionOptions{})
}

// sessionOptions are what a handed-over session brings along.
type sessionOptions struct {
	envToken string                // the editor process's ALIASD_TOKEN
	replay   *rpc.InitializeParams // initialize again, without a reply
	observe  func(rpc.RequestEvent)
	onInit   func(params json.RawMessage, framing rpc.Framing)
	framing  rpc.Framing // the editor's, when known before the first read
}

func (d *Daemon) serve(ctx context.Context, r io.Reader, w io.Writer, closer io.Closer, opts sessionOptions) int {
	conf := d.Config()
	stream := rpc.NewStream(r, w, rpc.StreamOptions{
		Reader: rpc.ReaderOptions{MaxBody: conf.RPC.MaxMessageBytes, Framing: opts.framing},
		Closer: closer,
		Logger: d.logger,
		Trace:  d.cfg.Trace,
		Redact: d.redactFrame,
	})
	// The session is attached before the first message is read, so
	// initialize always finds it (and its ALIASD_TOKEN is never lost).
	sess := &session{}
	if opts.onInit != nil {
		sess.onInit = func(params json.RawMessage) { opts.onInit(params, stream.Framing()) }
	}
	c := rpc.Serve(ctx, stream, rpc.ServerConfig{
		Methods:       d.table,
		Initialize:    d.initialize,
		Replay:        opts.replay,
		Observe:       opts.observe,
		Logger:        d.logger,
		Redact:        d.redactor.String,
		Notifications: []string{rpc.NotifyHistoryAppended, rpc.MethodProgress, rpc.MethodShowMessage, rpc.MethodLogMessage},
		Setup: func(c *rpc.Conn) {
			sess.conn = c
			sess.out = newOutbox()
			go sess.out.run(d.ctx, c, d.logger)
			c.SetValue(sess)
			if opts.envToken != "" {
				d.setSessionToken(sess, opts.envToken)
			}
			d.mu.Lock()
			d.sessions[c] = sess
			d.mu.Unlock()
		},
	})
	code := c.Wait()
	d.mu.Lock()
	delete(d.sessions, c)
	if sess.out != nil {
		close(sess.out.stop)
	}
	if sess.envProfile != "" {
		delete(d.envTokens, sess.envProfile)
	}
	d.mu.Unlock()
	return code
}

func (d *Daemon) initialize(ctx context.Context, c *rpc.Conn, p *rpc.InitializeParams) (rpc.ServerInfo, error) {
	name := "unknown"
	if p.ClientInfo != nil && p.ClientInfo.Name != "" {
		name = p.ClientInfo.Name
	}
	sess := sessionOf(c)
	sess.setClient(name)
	switch tok := initEnvToken(p.InitializationOptions); {
	case tok != "":
		d.setSessionToken(sess, tok)
	case sess.envProfile == "" && d.cfg.EnvToken != "":
		d.setSessionToken(sess, d.cfg.EnvToken)
	}
	if sess.onInit != nil {
		if raw, err := json.Marshal(p); err == nil {
			sess.onInit(raw)
		}
	}
	d.logger.Info("session initialized", "client", name)
	go c.LogMessage(rpc.MessageInfo, fmt.Sprintf("aliasd %s (%s daemon, pid %d) serving %s", buildinfo.Version(), d.cfg.Mode, os.Getpid(), name))
	d.mu.Lock()
	warnings := append([]string(nil), d.warnings...)
	d.mu.Unlock()
	if len(warnings) > 0 {
		// Sent after the initialize reply reaches the client.
		go func() {
			for _, w := range warnings {
				c.ShowMessage(rpc.MessageWarning, "aliasd: "+w)
			}
		}()
	}
	return rpc.ServerInfo{Name: "aliasd", Version: buildinfo.Version()}, nil
}

// Close stops the daemon's background work and closes the database.
func (d *Daemon) Close() error {
	d.cancel()
	if d.history != nil {
		d.history.Close()
	}
	if d.cache != nil {
		d.cache.Close()
	}
	var err error
	if d.store != nil {
		err = d.store.Close()
	}
	return err
}

func (d *Daemon) status(ctx context.Context, _ *struct{}) (*rpc.StatusResult, error) {
	conf := d.Config()
	d.mu.Lock()
	sessions := len(d.sessions)
	warnings := append([]string(nil), d.warnings...)
	d.mu.Unlock()
	sess := sessionOf(rpc.ConnFromContext(ctx))
	st := &rpc.StatusResult{
		Version:         buildinfo.Version(),
		ProtocolVersion: rpc.ProtocolVersion,
		APIVersion:      alias.APIVersion,
		BaseURL:         conf.BaseURL,
		TokenStorage:    d.vault.Storage(),
		DataDir:         d.cfg.Paths.DataDir,
		ConfigFile:      d.cfg.Paths.ConfigFile(),
		PID:             os.Getpid(),
		Mode:            d.cfg.Mode,
		Sessions:        sessions,
		Governors:       d.client.Governors(),
		Warnings:        append(warnings, d.vault.Warnings()...),
	}
	// The profile in effect, without touching any secret store: the
	// session's ALIASD_TOKEN, else the vault's active profile.
	if sess.envProfile != "" {
		if cred, err := d.Credential(ctx, sess.envProfile); err == nil {
			st.Profile, st.Fingerprint, st.TokenStorage = cred.Profile, cred.Fingerprint, rpc.StorageEnv
		}
	} else if infos, err := d.vault.List(ctx); err == nil {
		for _, i := range infos {
			if i.Active {
				st.Profile, st.Fingerprint = i.Name, i.Fingerprint
			}
		}
	}
	return st, nil
}

func (d *Daemon) register() {
	rpc.Register(d.table, rpc.MethodStatus, rpc.Inline, d.status)
	rpc.Register(d.table, rpc.MethodRequest, rpc.Concurrent, d.request)
	rpc.Register(d.table, rpc.MethodPaginate, rpc.Concurrent, d.paginate)
	rpc.Register(d.table, rpc.MethodEndpoints, rpc.Concurrent, d.endpoints)
	rpc.Register(d.table, rpc.MethodTokenAdd, rpc.Ordered, d.tokenAdd)
	rpc.Register(d.table, rpc.MethodTokenList, rpc.Concurrent, d.tokenList)
	rpc.Register(d.table, rpc.MethodTokenUse, rpc.Ordered, d.tokenUse)
	rpc.Register(d.table, rpc.MethodTokenRemove, rpc.Ordered, d.tokenRemove)
	rpc.Register(d.table, rpc.MethodTokenVerify, rpc.Concurrent, d.tokenVerify)
	rpc.Register(d.table, rpc.MethodCacheStats, rpc.Concurrent, d.cacheStats)
	rpc.Register(d.table, rpc.MethodCacheClear, rpc.Ordered, d.cacheClear)
	d.registerHistory()
	if d.cfg.TestHooks {
		d.registerTestHooks()
	}
}
