// Asking for an endpoint's parameters: required ones first, then the
// optional ones the user picks; enum and boolean values as quick picks.
import * as vscode from 'vscode';
import { EndpointInfo, ParamInfo, Query, QueryValue } from '../protocol';

export interface ParamValues {
  path: Record<string, string>;
  query: Query;
  body?: Record<string, unknown>;
}

export interface AskOptions {
  /** Parameter names not to ask for (e.g. pagination_token when paging). */
  omit?: string[];
  /** Title prefix for the prompts. */
  title: string;
}

/** orderedParams lists the parameters to ask for: required first, each group in catalog order. */
export function orderedParams(ep: EndpointInfo, omit: string[] = []): { required: ParamInfo[]; optional: ParamInfo[] } {
  const params = (ep.params ?? []).filter((p) => !omit.includes(p.name));
  return { required: params.filter((p) => p.required), optional: params.filter((p) => !p.required) };
}

/**
 * askParams walks the parameters of an endpoint: every required one, then a
 * multi-select of the optional ones, then the optional ones picked. Returns
 * undefined when the user cancels any step.
 */
export async function askParams(ep: EndpointInfo, opts: AskOptions): Promise<ParamValues | undefined> {
  const { required, optional } = orderedParams(ep, opts.omit);
  const out: ParamValues = { path: {}, query: {} };
  const fill = async (params: ParamInfo[]): Promise<boolean> => {
    for (const p of params) {
      const v = await askOne(p, opts.title);
      if (v === undefined) return false;
      if (!p.required && (v === '' || (Array.isArray(v) && v.length === 0))) continue;
      if (p.in === 'path') {
        out.path[p.name] = String(v);
      } else if (p.in === 'body') {
        out.body = { ...(out.body ?? {}), [p.name]: v };
      } else {
        out.query[p.name] = v as QueryValue;
      }
    }
    return true;
  };
  if (!(await fill(required))) return undefined;
  if (optional.length > 0) {
    const picks = await vscode.window.showQuickPick(
      optional.map((p) => ({ label: p.name, description: describeType(p), detail: p.description, param: p })),
      {
        title: `${opts.title}: optional parameters`,
        placeHolder: 'Select the optional parameters to set (none: press Enter)',
        canPickMany: true,
        ignoreFocusOut: true,
      },
    );
    if (picks === undefined) return undefined;
    if (!(await fill(picks.map((p) => p.param)))) return undefined;
  }
  return out;
}

export function describeType(p: ParamInfo): string {
  const t = p.type === 'enum' ? 'enum' : p.type;
  return `${p.in} · ${p.repeated ? `${t}[]` : t}${p.required ? ' · required' : ''}`;
}

/** askOne asks for one value; undefined = cancelled. */
export async function askOne(p: ParamInfo, title: string): Promise<unknown> {
  const step = `${title}: ${p.name}${p.required ? '' : ' (optional)'}`;
  if ((p.type === 'enum' && p.enum && p.enum.length > 0) || p.type === 'bool') {
    const values = p.type === 'bool' ? ['true', 'false'] : p.enum!;
    if (p.repeated) {
      const picks = await vscode.window.showQuickPick(values, { title: step, placeHolder: p.description, canPickMany: true, ignoreFocusOut: true });
      if (picks === undefined) return undefined;
      return p.type === 'bool' ? picks.map((v) => v === 'true') : picks;
    }
    const pick = await vscode.window.showQuickPick(values, { title: step, placeHolder: p.description, ignoreFocusOut: true });
    if (pick === undefined) return undefined;
    return p.type === 'bool' ? pick === 'true' : pick;
  }
  const raw = await vscode.window.showInputBox({
    title: step,
    prompt: inputPrompt(p),
    ignoreFocusOut: true,
    validateInput: (v) => validateValue(p, v),
  });
  if (raw === undefined) return undefined;
  return parseValue(p, raw);
}

function inputPrompt(p: ParamInfo): string {
  const what = p.description ? `${p.description}. ` : '';
  if (p.type === 'object') return `${what}A JSON object, e.g. {"key": "value"}`;
  if (p.type === 'array') return `${what}A JSON array`;
  if (p.repeated) return `${what}Comma-separated values`;
  return `${what}(${p.type})`;
}

/** validateValue returns an error message for a bad typed value, or undefined. */
export function validateValue(p: ParamInfo, raw: string): string | undefined {
  const v = raw.trim();
  if (!v) return p.required ? `${p.name} is required.` : undefined;
  const items = p.repeated && p.type !== 'object' && p.type !== 'array' ? v.split(',').map((s) => s.trim()) : [v];
  for (const item of items) {
    switch (p.type) {
      case 'int64':
        if (!/^-?\d+$/.test(item)) return `${p.name} must be a whole number.`;
        break;
      case 'double':
        if (!Number.isFinite(Number(item))) return `${p.name} must be a number.`;
        break;
      case 'object': {
        let o: unknown;
        try {
          o = JSON.parse(item);
        } catch {
          return `${p.name} must be a JSON object.`;
        }
        if (!o || typeof o !== 'object' || Array.isArray(o)) return `${p.name} must be a JSON object.`;
        break;
      }
      case 'array': {
        let a: unknown;
        try {
          a = JSON.parse(item);
        } catch {
          return `${p.name} must be a JSON array.`;
        }
        if (!Array.isArray(a)) return `${p.name} must be a JSON array.`;
        break;
      }
    }
  }
  return undefined;
}

/** parseValue converts validated input to the value sent (int64 stays a string). */
export function parseValue(p: ParamInfo, raw: string): unknown {
  const v = raw.trim();
  if (p.type === 'object' || p.type === 'array') {
    if (!v) return p.type === 'object' ? {} : [];
    const parsed = JSON.parse(v);
    if (p.type === 'object' && p.in !== 'body') {
      const flat: Record<string, string> = {};
      for (const [k, val] of Object.entries(parsed as Record<string, unknown>)) flat[k] = String(val);
      return flat;
    }
    return parsed;
  }
  const one = (s: string): string | number => (p.type === 'double' ? Number(s) : s);
  if (p.repeated) {
    return v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map(one);
  }
  return one(v);
}

/** expandPath substitutes path parameters into an endpoint's template. */
export function expandPath(template: string, values: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (whole, name: string) =>
    values[name] !== undefined ? encodeURIComponent(values[name]) : whole,
  );
}

/** endpointPickItems are the quick pick rows for a list of endpoints. */
export function endpointPickItems(eps: EndpointInfo[]): Array<vscode.QuickPickItem & { endpoint: EndpointInfo }> {
  return eps.map((e) => ({
    label: `${e.method} ${e.path}`,
    description: e.name,
    detail: e.summary,
    endpoint: e,
  }));
}
