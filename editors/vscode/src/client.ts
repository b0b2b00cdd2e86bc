// The one place that starts, supervises and talks to `aliasd stdio`.
//
// This module does not import `vscode`: it runs in the extension host and in
// plain Node (the integration test drives it against the real binary).
import * as cp from 'child_process';
import {
  CancellationToken,
  createMessageConnection,
  MessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';
import { ClientInfo, InitializeResult, Methods, PROTOCOL_VERSION, ProgressValue } from './protocol';
import { redactParams } from './redact';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type TraceLevel = 'off' | 'messages' | 'verbose';

export type ClientState = 'stopped' | 'starting' | 'running' | 'failed';

export interface Disposable {
  dispose(): void;
}

/**
 * AliasdClientOptions configures an AliasdClient. `command` and `clientInfo`
 * are required; everything else has a default.
 */
export interface AliasdClientOptions {
  /** Path of the aliasd executable (or a bare name looked up on PATH). Required. */
  command: string;
  /** Arguments; default ["stdio"]. */
  args?: string[];
  /** Variables set over process.env for the child; undefined removes one. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Sent as initialize's clientInfo. Required. */
  clientInfo: ClientInfo;
  /** Where lifecycle messages, the daemon's stderr and traces go; default: nowhere. */
  logger?: Logger;
  trace?: TraceLevel;
  /** Restarts allowed within restartWindowMs before giving up; default 5. */
  maxRestarts?: number;
  /** Window over which crashes are counted; default 3 minutes. */
  restartWindowMs?: number;
  /** Delay before a restart; default 500 ms. */
  restartDelayMs?: number;
  /** Clock, for tests; default Date.now. */
  now?: () => number;
}

/** The RPC surface commands and views use; AliasdClient implements it. */
export interface Rpc {
  request<R>(method: string, params?: unknown, token?: CancellationToken): Promise<R>;
  onNotification(method: string, handler: (params: any) => void): Disposable;
  onProgress(token: string | number, handler: (value: ProgressValue) => void): Disposable;
}

/** Thrown by request() when no daemon connection can be had. */
export class NotRunningError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotRunningError';
  }
}

const nullLogger: Logger = { info() {}, warn() {}, error() {} };

interface Session {
  child: cp.ChildProcess;
  connection: MessageConnection;
  /** Set when stop() or restart() ended this session on purpose. */
  intentional: boolean;
  exited: Promise<void>;
}

/**
 * AliasdClient owns the `aliasd stdio` child process and the JSON-RPC
 * connection over its stdio. It restarts the child after a crash until the
 * crash budget is spent, and keeps notification and progress handlers
 * across restarts.
 */
export class AliasdClient implements Rpc {
  private readonly opts: Required<Omit<AliasdClientOptions, 'env' | 'cwd'>> & Pick<AliasdClientOptions, 'env' | 'cwd'>;
  private readonly log: Logger;
  private session: Session | undefined;
  private starting: Promise<InitializeResult> | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private crashes: number[] = [];
  private warnedVersion = false;
  private failure: string | undefined;
  private readonly notificationHandlers = new Map<string, Set<(params: any) => void>>();
  private readonly progressHandlers = new Map<string, (value: ProgressValue) => void>();
  private readonly stateListeners = new Set<(state: ClientState, detail?: string) => void>();
  private readonly startListeners = new Set<(result: InitializeResult) => void>();
  private nextRequestId = 0;

  state: ClientState = 'stopped';
  /** The last initialize result. */
  initializeResult: InitializeResult | undefined;

  constructor(options: AliasdClientOptions) {
    if (!options.command) {
      throw new Error('aliasd client: command is required');
    }
    if (!options.clientInfo?.name) {
      throw new Error('aliasd client: clientInfo.name is required');
    }
    this.opts = {
      args: ['stdio'],
      logger: nullLogger,
      trace: 'off',
      maxRestarts: 5,
      restartWindowMs: 3 * 60 * 1000,
      restartDelayMs: 500,
      now: Date.now,
      ...options,
    };
    this.log = this.opts.logger;
  }

  /** Starts the daemon connection; resolves with the initialize result. */
  start(): Promise<InitializeResult> {
    if (this.state === 'running' && this.initializeResult) {
      return Promise.resolve(this.initializeResult);
    }
    if (this.starting) {
      return this.starting;
    }
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
    }
    this.failure = undefined;
    this.setState('starting');
    const p = this.spawnAndInitialize().then(
      (result) => {
        this.starting = undefined;
        return result;
      },
      (err) => {
        this.starting = undefined;
        throw err;
      },
    );
    this.starting = p;
    // Callers that do not await start() must not see an unhandled rejection.
    p.catch(() => undefined);
    return p;
  }

  /** Stops the daemon connection: shutdown, exit, then kill if needed. */
  async stop(): Promise<void> {
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
    }
    if (this.starting) {
      await this.starting.catch(() => undefined);
    }
    const s = this.session;
    this.session = undefined;
    if (s) {
      await this.endSession(s);
    }
    this.setState('stopped');
  }

  /**
   * updateOptions changes how the next child is started (path, environment,
   * trace, crash budget); restart() applies it to the running connection.
   */
  updateOptions(options: Partial<Pick<AliasdClientOptions, 'command' | 'args' | 'env' | 'cwd' | 'trace' | 'maxRestarts' | 'restartWindowMs'>>): void {
    for (const [k, v] of Object.entries(options)) {
      if (v !== undefined) (this.opts as unknown as Record<string, unknown>)[k] = v;
    }
  }

  /** Stops and starts again with a fresh crash budget. */
  async restart(): Promise<InitializeResult> {
    await this.stop();
    this.crashes = [];
    return this.start();
  }

  /** Why the client gave up, when state is "failed". */
  get failureReason(): string | undefined {
    return this.failure;
  }

  /** The child's process id, while one runs. */
  get pid(): number | undefined {
    return this.session?.child.pid;
  }

  onStateChange(listener: (state: ClientState, detail?: string) => void): Disposable {
    this.stateListeners.add(listener);
    return { dispose: () => this.stateListeners.delete(listener) };
  }

  /** Called after every successful (re)start. */
  onDidStart(listener: (result: InitializeResult) => void): Disposable {
    this.startListeners.add(listener);
    return { dispose: () => this.startListeners.delete(listener) };
  }

  onNotification(method: string, handler: (params: any) => void): Disposable {
    let set = this.notificationHandlers.get(method);
    if (!set) {
      set = new Set();
      this.notificationHandlers.set(method, set);
    }
    set.add(handler);
    return { dispose: () => set!.delete(handler) };
  }

  onProgress(token: string | number, handler: (value: ProgressValue) => void): Disposable {
    const key = String(token);
    this.progressHandlers.set(key, handler);
    return { dispose: () => this.progressHandlers.delete(key) };
  }

  async request<R>(method: string, params?: unknown, token?: CancellationToken): Promise<R> {
    const session = await this.ready();
    const id = ++this.nextRequestId;
    const started = this.opts.now();
    this.traceOut(id, method, params);
    try {
      const result = (await (token
        ? session.connection.sendRequest(method, params ?? null, token)
        : session.connection.sendRequest(method, params ?? null))) as R;
      this.traceIn(id, method, started, result);
      return result;
    } catch (err) {
      this.traceErr(id, method, started, err);
      throw err;
    }
  }

  /** Waits for a running session, starting one when stopped. */
  private async ready(): Promise<Session> {
    if (this.state === 'failed') {
      throw new NotRunningError(`aliasd is not running: ${this.failure ?? 'it failed'}`);
    }
    if (this.state !== 'running' || !this.session) {
      await this.start();
    }
    if (!this.session) {
      throw new NotRunningError('aliasd is not running');
    }
    return this.session;
  }

  private async spawnAndInitialize(): Promise<InitializeResult> {
    const { command, args, cwd } = this.opts;
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const [k, v] of Object.entries(this.opts.env ?? {})) {
      if (v === undefined) {
        delete env[k];
      } else {
        env[k] = v;
      }
    }
    this.log.info(`starting ${command} ${args.join(' ')}`);
    const child = cp.spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      // Writing before the process exists fails inside vscode-jsonrpc with an
      // unhandled rejection, so wait for the spawn to succeed first.
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', () => resolve());
        child.once('error', reject);
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'ENOENT' ? 'not found' : e.code === 'EACCES' ? 'not executable' : e.message;
      // A missing or unusable binary will not fix itself: no restarts.
      this.fail(`cannot start "${command}": ${why}. Set aliasd.path to the aliasd binary or put aliasd on PATH.`);
      throw new NotRunningError(this.failure!);
    }
    child.on('error', (err) => this.log.error(`aliasd process: ${err.message}`));

    const connection = createMessageConnection(
      new StreamMessageReader(child.stdout!),
      new StreamMessageWriter(child.stdin!),
      {
        error: (m: string) => this.log.error(`jsonrpc: ${m}`),
        warn: (m: string) => this.log.warn(`jsonrpc: ${m}`),
        info: (m: string) => this.log.info(`jsonrpc: ${m}`),
        log: (m: string) => this.log.info(`jsonrpc: ${m}`),
      },
    );
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const session: Session = { child, connection, intentional: false, exited };

    this.pipeStderr(child);
    this.wireConnection(connection);
    connection.onError(([err]) => this.log.warn(`connection error: ${err.message}`));
    connection.listen();

    child.once('close', (code, signal) => this.onExit(session, code, signal));
    child.stdin!.on('error', (err) => this.log.warn(`writing to aliasd: ${err.message}`));

    this.session = session;
    let result: InitializeResult;
    try {
      result = (await connection.sendRequest(Methods.initialize, {
        processId: process.pid,
        clientInfo: this.opts.clientInfo,
        capabilities: { window: { workDoneProgress: true } },
      })) as InitializeResult;
      connection.sendNotification(Methods.initialized, {}).catch(() => undefined);
    } catch (err) {
      if (this.session === session) {
        session.intentional = true;
        this.session = undefined;
        await this.endSession(session);
      }
      const message = `initialize failed: ${describeError(err)}`;
      this.log.error(message);
      if (this.state === 'starting') {
        this.countCrash(message);
      }
      throw new NotRunningError(message);
    }
    this.initializeResult = result;
    this.checkVersion(result);
    const info = result.serverInfo;
    this.log.info(`connected to ${info?.name ?? 'aliasd'} ${info?.version ?? ''} (pid ${child.pid})`.trim());
    this.setState('running');
    for (const l of this.startListeners) {
      try {
        l(result);
      } catch (err) {
        this.log.error(`start listener failed: ${describeError(err)}`);
      }
    }
    return result;
  }

  private wireConnection(connection: MessageConnection): void {
    connection.onNotification((method: string, params: any) => {
      if (method === Methods.logMessage || method === Methods.showMessage) {
        const text = String(params?.message ?? '');
        const type = Number(params?.type ?? 4);
        const line = `[daemon] ${text}`;
        if (type === 1) this.log.error(line);
        else if (type === 2) this.log.warn(line);
        else this.log.info(line);
        return;
      }
      const set = this.notificationHandlers.get(method);
      if (this.opts.trace !== 'off') {
        this.log.info(`<- notification ${method}${this.opts.trace === 'verbose' ? ' ' + preview(params) : ''}`);
      }
      if (!set) {
        return;
      }
      for (const h of set) {
        try {
          h(params);
        } catch (err) {
          this.log.error(`handler for ${method} failed: ${describeError(err)}`);
        }
      }
    });
    connection.onUnhandledProgress((p) => {
      const h = this.progressHandlers.get(String(p.token));
      if (h) {
        h(p.value as ProgressValue);
      }
    });
    // The daemon may ask to create a work-done token before reporting progress.
    connection.onRequest(Methods.workDoneProgressCreate, () => null);
  }

  private pipeStderr(child: cp.ChildProcess): void {
    let buf = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trimEnd();
        buf = buf.slice(nl + 1);
        if (line) this.log.info(`[stderr] ${line}`);
      }
      if (buf.length > 64 * 1024) {
        this.log.info(`[stderr] ${buf}`);
        buf = '';
      }
    });
  }

  private checkVersion(result: InitializeResult): void {
    const v = result?.capabilities?.experimental?.protocolVersion;
    if (v === PROTOCOL_VERSION || this.warnedVersion) {
      return;
    }
    this.warnedVersion = true;
    this.log.warn(
      `aliasd speaks protocol version ${v ?? 'unknown'}, this extension expects ${PROTOCOL_VERSION}; ` +
        'some features may not work. Update aliasd or the extension.',
    );
  }

  private onExit(session: Session, code: number | null, signal: NodeJS.Signals | null): void {
    session.connection.dispose();
    if (this.session === session) {
      this.session = undefined;
    }
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (session.intentional) {
      this.log.info(`aliasd exited (${how})`);
      return;
    }
    if (this.state === 'failed') {
      return;
    }
    const message = `aliasd exited unexpectedly (${how})`;
    this.log.error(message);
    if (this.state === 'starting') {
      // spawnAndInitialize sees the failure and counts it.
      return;
    }
    this.countCrash(message);
  }

  /** Records a crash and schedules a restart while the budget lasts. */
  private countCrash(message: string): void {
    const now = this.opts.now();
    this.crashes = this.crashes.filter((t) => now - t < this.opts.restartWindowMs);
    this.crashes.push(now);
    const windowS = Math.round(this.opts.restartWindowMs / 1000);
    if (this.crashes.length > this.opts.maxRestarts) {
      this.fail(
        `aliasd crashed ${this.crashes.length} times within ${windowS}s; not restarting. ` +
          `Last error: ${message}. Run "aliasd: Restart Daemon Connection" once fixed.`,
      );
      return;
    }
    this.log.warn(`restarting aliasd (${this.crashes.length} of ${this.opts.maxRestarts} restarts within ${windowS}s)`);
    this.setState('stopped', message);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.start().catch(() => undefined);
    }, this.opts.restartDelayMs);
  }

  private fail(reason: string): void {
    this.failure = reason;
    this.log.error(reason);
    this.setState('failed', reason);
  }

  private async endSession(s: Session): Promise<void> {
    s.intentional = true;
    const { child, connection } = s;
    if (child.exitCode === null && child.signalCode === null) {
      try {
        await withTimeout(connection.sendRequest(Methods.shutdown, null), 2000);
        await withTimeout(connection.sendNotification(Methods.exit), 1000);
      } catch {
        // The child is gone or wedged: killed below.
      }
      try {
        child.stdin?.end();
      } catch {
        // already closed
      }
      const exitedInTime = await withTimeout(s.exited.then(() => true), 3000).catch(() => false);
      if (!exitedInTime) {
        child.kill('SIGKILL');
        await s.exited;
      }
    }
    connection.dispose();
  }

  private setState(state: ClientState, detail?: string): void {
    this.state = state;
    for (const l of this.stateListeners) {
      try {
        l(state, detail);
      } catch (err) {
        this.log.error(`state listener failed: ${describeError(err)}`);
      }
    }
  }

  private traceOut(id: number, method: string, params: unknown): void {
    if (this.opts.trace === 'off') return;
    const extra = this.opts.trace === 'verbose' ? ' ' + preview(redactParams(method, params)) : '';
    this.log.info(`-> #${id} ${method}${extra}`);
  }

  private traceIn(id: number, method: string, started: number, result: unknown): void {
    if (this.opts.trace === 'off') return;
    const extra = this.opts.trace === 'verbose' ? ' ' + preview(result) : '';
    this.log.info(`<- #${id} ${method} ok in ${this.opts.now() - started} ms${extra}`);
  }

  private traceErr(id: number, method: string, started: number, err: unknown): void {
    if (this.opts.trace === 'off') return;
    this.log.info(`<- #${id} ${method} failed in ${this.opts.now() - started} ms: ${describeError(err)}`);
  }
}

/** A readable one-line description of an RPC or process error. */
export function describeError(err: unknown): string {
  if (err instanceof ResponseError) {
    return `${err.message} (${err.code})`;
  }
  if (err instanceof Error) {
    return err.message;
  }
  return String(err);
}

/** Whether err is the daemon's "request cancelled" answer. */
export function isCancelled(err: unknown): boolean {
  return err instanceof ResponseError && err.code === -32800;
}

function preview(value: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(value) ?? 'undefined';
  } catch {
    s = String(value);
  }
  return s.length > 2000 ? s.slice(0, 2000) + '…' : s;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
