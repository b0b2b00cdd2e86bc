// A hand-written fake of the daemon connection for command and view tests.
import { ResponseError } from 'vscode-jsonrpc';
import { Disposable, Rpc } from '../../src/client';
import { ProgressValue } from '../../src/protocol';

export interface Call {
  method: string;
  params: any;
  token?: { isCancellationRequested: boolean; onCancellationRequested: (l: () => void) => { dispose(): void } };
}

export type Handler = (params: any, token?: Call['token']) => unknown;

export class FakeRpc implements Rpc {
  readonly calls: Call[] = [];
  readonly handlers = new Map<string, Handler>();
  readonly progress = new Map<string, (v: ProgressValue) => void>();
  readonly notifications = new Map<string, Set<(p: any) => void>>();

  on(method: string, handler: Handler | object): this {
    this.handlers.set(method, typeof handler === 'function' ? (handler as Handler) : () => handler);
    return this;
  }

  async request<R>(method: string, params?: unknown, token?: any): Promise<R> {
    this.calls.push({ method, params, token });
    const h = this.handlers.get(method);
    if (!h) throw new ResponseError(-32601, `method not found: ${method}`);
    return (await h(params, token)) as R;
  }

  onNotification(method: string, handler: (params: any) => void): Disposable {
    let set = this.notifications.get(method);
    if (!set) this.notifications.set(method, (set = new Set()));
    set.add(handler);
    return { dispose: () => set!.delete(handler) };
  }

  onProgress(token: string | number, handler: (value: ProgressValue) => void): Disposable {
    this.progress.set(String(token), handler);
    return { dispose: () => this.progress.delete(String(token)) };
  }

  emitProgress(token: string | number, value: ProgressValue): void {
    const h = this.progress.get(String(token));
    if (!h) throw new Error(`no progress handler for ${token}`);
    h(value);
  }

  methods(): string[] {
    return this.calls.map((c) => c.method);
  }
}
