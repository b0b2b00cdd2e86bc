// Keeps secrets out of traces: the extension sees a token only while handing
// it to alias/token/add, and nothing it logs may contain it.

const secretKeys = new Set(['token', 'authorization', 'password', 'secret', 'pat']);

/** The placeholder written instead of a secret. */
export const REDACTED = '[redacted]';

/**
 * redactParams returns a copy of params with every value under a secret-looking
 * key (token, authorization, password, secret, pat; any case) replaced by
 * REDACTED. Values that look like alias PATs or bearer credentials are replaced
 * wherever they appear.
 */
export function redactParams(_method: string, params: unknown): unknown {
  return redactValue(params, 0);
}

function redactValue(value: unknown, depth: number): unknown {
  if (depth > 20) {
    return REDACTED;
  }
  if (typeof value === 'string') {
    return redactString(value);
  }
  if (Array.isArray(value)) {
    return value.map((v) => redactValue(v, depth + 1));
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = secretKeys.has(k.toLowerCase()) && v !== '' && v !== undefined && v !== null ? REDACTED : redactValue(v, depth + 1);
    }
    return out;
  }
  return value;
}

/** redactString hides bearer credentials and goatapi_ tokens inside free text. */
export function redactString(s: string): string {
  return s.replace(/(bearer\s+)[^\s"',]+/gi, `$1${REDACTED}`).replace(/goatapi_[A-Za-z0-9_-]+/g, REDACTED);
}
