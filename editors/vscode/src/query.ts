// Query strings: the daemon records a query as an encoded string; requests
// take it as a map. These two functions convert between the forms.
import { Query, QueryValue } from './protocol';

/**
 * parseQuery turns an encoded query ("a=1&ids=x&ids=y&metadata[k]=v") into a
 * request query map: repeated keys become arrays and key[sub]=v pairs become
 * objects. A leading "?" is ignored.
 */
export function parseQuery(encoded: string | undefined): Query {
  const out: Query = {};
  if (!encoded) {
    return out;
  }
  const params = new URLSearchParams(encoded.startsWith('?') ? encoded.slice(1) : encoded);
  for (const [key, value] of params) {
    const m = /^([^[\]]+)\[([^[\]]+)\]$/.exec(key);
    if (m) {
      const [, base, sub] = m;
      const cur = out[base];
      const obj: Record<string, string> = cur && typeof cur === 'object' && !Array.isArray(cur) ? cur : {};
      obj[sub] = value;
      out[base] = obj;
      continue;
    }
    const cur = out[key];
    if (cur === undefined) {
      out[key] = value;
    } else if (Array.isArray(cur)) {
      cur.push(value);
    } else {
      out[key] = [cur as string, value];
    }
  }
  return out;
}

/**
 * encodeQuery is the inverse of parseQuery: arrays repeat the key, objects
 * become key[sub]=value, keys keep their insertion order. Returns "" for an
 * empty query, without a leading "?".
 */
export function encodeQuery(query: Query | undefined): string {
  if (!query) {
    return '';
  }
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    appendValue(params, key, value);
  }
  return params.toString();
}

function appendValue(params: URLSearchParams, key: string, value: QueryValue | undefined): void {
  if (value === undefined || value === null) {
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) {
      params.append(key, String(v));
    }
  } else if (typeof value === 'object') {
    for (const [sub, v] of Object.entries(value)) {
      params.append(`${key}[${sub}]`, String(v));
    }
  } else {
    params.append(key, String(value));
  }
}
