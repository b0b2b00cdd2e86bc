// aliasd: Add Token — a masked input box straight into alias/token/add. The
// token is held only for that call: it never reaches settings or logs.
import * as vscode from 'vscode';
import { Methods, TokenAddResult } from '../protocol';
import { Services } from '../services';

/** validateProfileName returns an error message for a bad profile name. */
export function validateProfileName(name: string): string | undefined {
  const n = name.trim();
  if (!n) return 'Enter a profile name.';
  if (n.length > 64) return 'At most 64 characters.';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(n)) return 'Use letters, digits, ".", "_" and "-" (starting with a letter or digit).';
  return undefined;
}

/** validateToken returns an error message for an obviously bad token. */
export function validateToken(token: string): string | undefined {
  const t = token.trim();
  if (!t) return 'Paste the personal access token.';
  if (/\s/.test(t)) return 'A token has no spaces or line breaks.';
  return undefined;
}

export async function addToken(s: Services): Promise<TokenAddResult | undefined> {
  const name = await vscode.window.showInputBox({
    title: 'aliasd: Add Token (1/2)',
    prompt: 'Profile name for this token',
    value: s.status.last?.profile || 'default',
    ignoreFocusOut: true,
    validateInput: validateProfileName,
  });
  if (name === undefined) return undefined;
  const token = await vscode.window.showInputBox({
    title: 'aliasd: Add Token (2/2)',
    prompt: `Personal access token for profile "${name.trim()}" (stored by aliasd, never in settings)`,
    password: true,
    ignoreFocusOut: true,
    validateInput: validateToken,
  });
  if (token === undefined) return undefined;
  const r = await s.rpc.request<TokenAddResult>(Methods.tokenAdd, { name: name.trim(), token: token.trim() });
  s.log.info(`token "${r.name}" stored in ${r.storage} storage, fingerprint ${r.fingerprint}`);
  for (const w of r.warnings ?? []) s.log.warn(w);
  const where = r.storage === 'file' ? 'in the plain-file fallback (no keyring)' : `in the ${r.storage}`;
  void vscode.window.showInformationMessage(`aliasd: token "${r.name}" (${r.fingerprint}) stored ${where}.`);
  await s.status.refresh();
  return r;
}
