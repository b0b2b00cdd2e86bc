// The history view's filters and how they map to alias/history/list.
import { HistoryEntry, HistoryListParams } from '../protocol';

export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx';

export interface HistoryFilter {
  errorsOnly: boolean;
  statusClass?: StatusClass;
  /** Path filter: a path prefix, with or without /api/v1 ("/catalog"). */
  path?: string;
}

export const emptyFilter: HistoryFilter = { errorsOnly: false };

/**
 * isError is the daemon's notion of a failed call (history.IsError): no
 * response, a 4xx/5xx status, or an error diagnostic.
 */
export function isError(e: Pick<HistoryEntry, 'status' | 'diagnostic'>): boolean {
  return e.status === 0 || e.status >= 400 || e.diagnostic?.severity === 'error';
}

/** The API's path prefix; the daemon's path filter accepts paths with or without it. */
const API_PREFIX = '/api/v1';

/** normalizePath mirrors the daemon: no query, a leading slash, the API prefix. */
export function normalizePath(p: string): string {
  let out = p.replace(/[?#].*$/, '');
  if (!out.startsWith('/')) out = `/${out}`;
  if (out !== API_PREFIX && !out.startsWith(`${API_PREFIX}/`)) out = API_PREFIX + out;
  return out;
}

/** matches applies a filter to one entry (used for live updates). */
export function matches(f: HistoryFilter, e: HistoryEntry): boolean {
  if (f.errorsOnly && !isError(e)) return false;
  if (f.statusClass && Math.floor(e.status / 100) !== Number(f.statusClass[0])) return false;
  if (f.path && !normalizePath(e.path).startsWith(normalizePath(f.path))) return false;
  return true;
}

/** listParams turns a filter into alias/history/list parameters. */
export function listParams(f: HistoryFilter, limit: number, cursor?: string): HistoryListParams {
  const p: HistoryListParams = { limit };
  if (cursor) p.cursor = cursor;
  if (f.errorsOnly) p.errorsOnly = true;
  if (f.statusClass) p.status = f.statusClass;
  if (f.path) p.path = f.path;
  return p;
}

/** describeFilter is the short text shown beside the view's title. */
export function describeFilter(f: HistoryFilter): string {
  const parts: string[] = [];
  if (f.errorsOnly) parts.push('errors only');
  if (f.statusClass) parts.push(f.statusClass);
  if (f.path) parts.push(`path ~ ${f.path}`);
  return parts.join(' · ');
}

/** isEmpty says whether the filter lets every entry through. */
export function isEmpty(f: HistoryFilter): boolean {
  return !f.errorsOnly && !f.statusClass && !f.path;
}
