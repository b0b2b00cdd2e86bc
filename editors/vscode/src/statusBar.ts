// The status bar item: active profile, token-storage warning, rate governor.
import * as vscode from 'vscode';
import { ClientState, describeError, Rpc } from './client';
import { Methods, StatusResult } from './protocol';

export interface StatusView {
  text: string;
  tooltip: string;
  warning: boolean;
}

/**
 * statusView renders alias/status for the status bar: "$(key) profile",
 * "$(warning) file" when tokens sit in the file fallback, "$(watch) limited"
 * while a rate governor holds requests back.
 */
export function statusView(s: StatusResult): StatusView {
  const parts = [`$(key) ${s.profile || 'no token'}`];
  const tips = [`aliasd ${s.version} · protocol ${s.protocolVersion} · API ${s.apiVersion}`, `base URL: ${s.baseUrl}`];
  tips.push(`profile: ${s.profile || '(none)'}${s.fingerprint ? ` (${s.fingerprint})` : ''}`);
  let warning = false;
  if (s.tokenStorage === 'file') {
    parts.push('$(warning) file');
    tips.push('tokens are stored in a plain file (no OS keyring available)');
    warning = true;
  } else if (s.tokenStorage) {
    tips.push(`token storage: ${s.tokenStorage}`);
  }
  const governors = s.governors ?? [];
  const limited = governors.filter((g) => g.limited);
  if (limited.length > 0) {
    const queued = limited.reduce((n, g) => n + (g.queued || 0), 0);
    parts.push(`$(watch) limited${queued > 0 ? ` (${queued} queued)` : ''}`);
    warning = true;
  }
  for (const g of governors) {
    tips.push(
      `rate governor ${g.fingerprint}: ${g.limited ? 'limited' : 'open'}, ${formatRate(g.rate)}/s, burst ${g.burst}` +
        (g.queued ? `, ${g.queued} queued` : '') +
        (g.last429 ? `, last 429 at ${g.last429}` : '') +
        (g.reason ? ` (${g.reason})` : ''),
    );
  }
  for (const w of s.warnings ?? []) tips.push(`warning: ${w}`);
  return { text: parts.join(' '), tooltip: tips.join('\n'), warning };
}

function formatRate(r: number): string {
  return Number.isInteger(r) ? String(r) : r.toFixed(2);
}

export class StatusBar implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  last: StatusResult | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly rpc: Rpc) {
    this.item = vscode.window.createStatusBarItem('aliasd.status', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'aliasd';
    this.item.command = 'aliasd.showStatus';
    this.item.text = '$(sync~spin) aliasd';
    this.item.tooltip = 'aliasd: starting';
    this.item.show();
  }

  /** Polls alias/status every `seconds` (0 = never). */
  schedule(seconds: number): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (seconds > 0) {
      this.timer = setInterval(() => void this.refresh(), seconds * 1000);
    }
  }

  async refresh(): Promise<StatusResult | undefined> {
    try {
      const s = await this.rpc.request<StatusResult>(Methods.status, {});
      this.show(s);
      return s;
    } catch (err) {
      this.item.text = '$(warning) aliasd';
      this.item.tooltip = `aliasd: ${describeError(err)}`;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      return undefined;
    }
  }

  show(s: StatusResult): void {
    this.last = s;
    const v = statusView(s);
    this.item.text = v.text;
    this.item.tooltip = v.tooltip;
    this.item.backgroundColor = v.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.command = 'aliasd.showStatus';
  }

  /** Reflects the client's lifecycle when no status can be had. */
  setClientState(state: ClientState, detail?: string): void {
    if (state === 'failed') {
      this.item.text = '$(error) aliasd stopped';
      this.item.tooltip = `${detail ?? 'aliasd stopped'}\nClick to restart.`;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      this.item.command = 'aliasd.restart';
    } else if (state === 'starting' || state === 'stopped') {
      this.item.text = '$(sync~spin) aliasd';
      this.item.tooltip = detail ? `aliasd: ${detail}` : 'aliasd: starting';
    }
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.item.dispose();
  }
}
