// The aliasd.* settings, read in one place with their defaults.
import * as vscode from 'vscode';
import { TraceLevel } from './client';

export interface Settings {
  path: string;
  home: string;
  env: Record<string, string>;
  trace: TraceLevel;
  historyPageSize: number;
  maxPages: number;
  maxRestarts: number;
  restartWindowSeconds: number;
  statusRefreshSeconds: number;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('aliasd');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.get<Record<string, unknown>>('env') ?? {})) {
    if (typeof v === 'string') env[k] = v;
  }
  const trace = c.get<string>('trace') ?? 'off';
  return {
    path: (c.get<string>('path') ?? '').trim(),
    home: (c.get<string>('home') ?? '').trim(),
    env,
    trace: trace === 'messages' || trace === 'verbose' ? trace : 'off',
    historyPageSize: clampInt(c.get<number>('history.pageSize'), 1, 1000, 100),
    maxPages: clampInt(c.get<number>('paginate.maxPages'), 1, 100000, 50),
    maxRestarts: clampInt(c.get<number>('crashBudget.maxRestarts'), 0, 1000, 5),
    restartWindowSeconds: clampInt(c.get<number>('crashBudget.windowSeconds'), 1, 86400, 180),
    statusRefreshSeconds: clampInt(c.get<number>('status.refreshSeconds'), 0, 86400, 30),
  };
}

/** The environment the daemon gets on top of the extension host's. */
export function daemonEnv(s: Settings): Record<string, string> {
  const env = { ...s.env };
  if (s.home) env.ALIASD_HOME = s.home;
  return env;
}

function clampInt(v: number | undefined, min: number, max: number, def: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) return def;
  return Math.min(max, Math.max(min, Math.floor(v)));
}
