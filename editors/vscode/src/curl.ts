// "Copy as cURL": a command a developer can paste into a shell. The extension
// never holds a token, so the command reads it from $ALIAS_TOKEN.
import { Query } from './protocol';
import { encodeQuery } from './query';

/** The shell variable the cURL command takes the token from. */
export const TOKEN_VARIABLE = '$ALIAS_TOKEN';

export interface CurlInput {
  /** API base URL as alias/status reports it, e.g. https://api.alias.org/api/v1. */
  baseUrl: string;
  method: string;
  /** Absolute API path, e.g. /api/v1/catalog. */
  path: string;
  /** Encoded query string (as history records it) or a query map. */
  query?: string | Query;
  /** JSON request body, if any. */
  body?: string;
}

/** Headers that are never copied: credentials and ones curl sets itself. */
const droppedHeaders = new Set(['authorization', 'cookie', 'content-length', 'host']);

/**
 * buildCurl renders one request as a POSIX shell command. Every argument
 * that comes from data is single-quoted; the Authorization header is
 * double-quoted so the shell expands $ALIAS_TOKEN.
 */
export function buildCurl(input: CurlInput, headers: Record<string, string> = {}): string {
  const query = typeof input.query === 'string' ? input.query.replace(/^\?/, '') : encodeQuery(input.query);
  const url = joinUrl(input.baseUrl, input.path) + (query ? `?${query}` : '');
  const method = input.method.toUpperCase();
  const parts = ['curl', '-sS'];
  if (method !== 'GET' || input.body) {
    parts.push('-X', shellQuote(method));
  }
  parts.push(shellQuote(url));
  parts.push('-H', `"Authorization: Bearer ${TOKEN_VARIABLE}"`);
  for (const [name, value] of Object.entries(headers)) {
    if (droppedHeaders.has(name.toLowerCase())) {
      continue;
    }
    parts.push('-H', shellQuote(`${name}: ${value}`));
  }
  if (input.body) {
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      parts.push('-H', shellQuote('Content-Type: application/json'));
    }
    parts.push('--data-binary', shellQuote(input.body));
  }
  return parts.join(' ');
}

/**
 * joinUrl puts an API path under the base URL. The daemon's base URL may
 * carry the API prefix (https://api.alias.org/api/v1) while recorded paths
 * start with it too (/api/v1/catalog): the prefix is not repeated.
 */
export function joinUrl(baseUrl: string, path: string): string {
  const p = path.startsWith('/') ? path : `/${path}`;
  let u: URL;
  try {
    u = new URL(baseUrl);
  } catch {
    return baseUrl.replace(/\/+$/, '') + p;
  }
  const basePath = u.pathname.replace(/\/+$/, '');
  if (basePath && (p === basePath || p.startsWith(`${basePath}/`))) {
    return u.origin + p;
  }
  return u.origin + basePath + p;
}

/** shellQuote wraps s in single quotes, escaping embedded single quotes. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
