// Text the extension shows: relative times, row labels and the read-only
// documents for history entries, responses and fetched pages.
import { APIError, Diagnostic, HistoryDetail, HistoryEntry, PaginateResult, RequestResult } from './protocol';

/**
 * relativeTime describes how long ago `then` was, relative to `now`:
 * "just now", "42s ago", "5m ago", "3h ago", "2d ago", or the date (YYYY-MM-DD)
 * for anything older than a week. Times in the future read "just now".
 */
export function relativeTime(then: Date | string, now: Date = new Date()): string {
  const t = typeof then === 'string' ? new Date(then) : then;
  if (Number.isNaN(t.getTime())) {
    return 'unknown time';
  }
  const s = Math.floor((now.getTime() - t.getTime()) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s}s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ago`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ago`;
  const d = Math.floor(h / 24);
  if (d <= 7) return `${d}d ago`;
  return t.toISOString().slice(0, 10);
}

/** statusText renders an HTTP status; 0 (no response) reads "ERR". */
export function statusText(status: number): string {
  return status > 0 ? String(status) : 'ERR';
}

/** entryLabel is a history row's label: "404 · GET /api/v1/catalog/x". */
export function entryLabel(e: Pick<HistoryEntry, 'status' | 'method' | 'path'>): string {
  return `${statusText(e.status)} · ${e.method.toUpperCase()} ${e.path}`;
}

/** The effective severity of an entry: its diagnostic's, else from its status. */
export function entrySeverity(e: Pick<HistoryEntry, 'status' | 'diagnostic' | 'error'>): 'error' | 'warning' | 'info' | 'ok' {
  if (e.diagnostic?.severity) {
    return e.diagnostic.severity;
  }
  if (e.status === 0 || e.status >= 500 || e.error) return 'error';
  if (e.status >= 400) return 'warning';
  return 'ok';
}

function apiErrorLines(err: APIError): string[] {
  const lines = [`code: ${err.code}${err.codeName ? ` (${err.codeName})` : ''}`, `message: ${err.message}`];
  if (err.details && err.details.length > 0) {
    lines.push('details:', indent(JSON.stringify(err.details, null, 2)));
  }
  return lines;
}

function diagnosticLines(d: Diagnostic): string[] {
  const lines = [`${d.severity.toUpperCase()}: ${d.title}`, '', d.detail];
  if (d.hint) {
    lines.push('', `Hint: ${d.hint}`);
  }
  return lines;
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

/** prettyBody pretty-prints a JSON body and leaves anything else as it is. */
export function prettyBody(body: string | undefined): string {
  if (!body) {
    return '(empty)';
  }
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function headerLines(headers: Record<string, string> | undefined): string[] {
  return Object.entries(headers ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}: ${v}`);
}

/**
 * entryDocument is the read-only document shown for one history entry:
 * summary, diagnostic, API error, request and response.
 */
export function entryDocument(d: HistoryDetail): string {
  const target = d.path + (d.query ? `?${d.query}` : '');
  const out: string[] = [
    `# ${statusText(d.status)} · ${d.method.toUpperCase()} ${target}`,
    '',
    `Request ID:  ${d.requestId || '(none)'}`,
  ];
  if (d.requestIds && d.requestIds.length > 1) {
    out.push(`Attempts:    ${d.requestIds.join(', ')}`);
  }
  out.push(
    `History ID:  ${d.id}`,
    `Time:        ${d.time}`,
    `Duration:    ${Math.round(d.durationMs)} ms${d.attempts && d.attempts > 1 ? ` over ${d.attempts} attempts` : ''}`,
    `Cache:       ${d.cache || '-'}`,
  );
  if (d.profile) out.push(`Profile:     ${d.profile}${d.fingerprint ? ` (${d.fingerprint})` : ''}`);
  if (d.client) out.push(`Client:      ${d.client}`);
  if (d.diagnostic) {
    out.push('', '## Diagnostic', '', ...diagnosticLines(d.diagnostic));
  }
  if (d.error) {
    out.push('', '## API error', '', ...apiErrorLines(d.error));
  }
  out.push('', '## Request', '', `${d.method.toUpperCase()} ${target}`);
  out.push(...headerLines(d.request?.headers));
  if (d.request?.body) {
    out.push('', '```json', prettyBody(d.request.body), '```');
  }
  out.push('', '## Response', '', `HTTP ${statusText(d.status)}`);
  out.push(...headerLines(d.response?.headers));
  out.push('', '```json', prettyBody(d.response?.body), '```');
  if (d.response?.truncated) {
    out.push('', `(response truncated; ${d.response.size} bytes in full)`);
  }
  return out.join('\n') + '\n';
}

/**
 * responseDocument renders an alias/request result as JSON with comments:
 * status, time and request ID in a header, then the pretty body.
 */
export function responseDocument(method: string, target: string, r: RequestResult): string {
  const head = [
    `// ${statusText(r.status)} · ${method.toUpperCase()} ${target}`,
    `// request-id: ${r.requestId || '(none)'}`,
    `// time: ${Math.round(r.durationMs)} ms · cache: ${r.cache || '-'}${r.attempts && r.attempts > 1 ? ` · attempts: ${r.attempts}` : ''}`,
    `// history-id: ${r.historyId || '-'}`,
  ];
  if (r.diagnostic) {
    head.push(`// ${r.diagnostic.severity}: ${r.diagnostic.title}`);
    for (const l of r.diagnostic.detail.split('\n')) head.push(`//   ${l}`);
    if (r.diagnostic.hint) head.push(`// hint: ${r.diagnostic.hint}`);
  }
  if (r.error) {
    head.push(`// api error: ${r.error.code}${r.error.codeName ? ` ${r.error.codeName}` : ''}: ${r.error.message}`);
  }
  return head.join('\n') + '\n' + JSON.stringify(r.body ?? null, null, 2) + '\n';
}

/** pagesDocument renders an alias/paginate result as JSON with a header. */
export function pagesDocument(path: string, r: PaginateResult): string {
  const ids = r.requestIds ?? [];
  const head = [
    `// ${plural(r.items.length, 'item')} in ${plural(r.pages, 'page')} · GET ${path}${r.truncated ? ' · truncated' : ''}`,
    `// request-ids: ${ids.join(', ') || '(none)'}`,
  ];
  if (r.diagnostic) {
    head.push(`// ${r.diagnostic.severity}: ${r.diagnostic.title}`, `//   ${r.diagnostic.detail}`);
  }
  return head.join('\n') + '\n' + JSON.stringify(r.items, null, 2) + '\n';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
