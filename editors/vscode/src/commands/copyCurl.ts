// Copy as cURL (history context menu). The token is written as $ALIAS_TOKEN:
// the extension never has it.
import * as vscode from 'vscode';
import { buildCurl } from '../curl';
import { HistoryDetail, Methods } from '../protocol';
import { Services } from '../services';
import { targetEntry } from './openEntry';

/** The API base URL when the daemon does not say. */
export const DEFAULT_BASE_URL = 'https://api.alias.org/api/v1';

export async function copyCurl(s: Services, arg?: unknown): Promise<string> {
  const e = targetEntry(s, arg);
  const baseUrl = s.status.last?.baseUrl || (await s.status.refresh())?.baseUrl || DEFAULT_BASE_URL;
  let body: string | undefined;
  const headers: Record<string, string> = {};
  if (e.method.toUpperCase() !== 'GET') {
    const d = await s.rpc.request<HistoryDetail>(Methods.historyGet, { id: e.id });
    body = d.request?.body || undefined;
    const ct = Object.entries(d.request?.headers ?? {}).find(([k]) => k.toLowerCase() === 'content-type');
    if (ct && body) headers['Content-Type'] = ct[1];
  }
  const text = buildCurl({ baseUrl, method: e.method, path: e.path, query: e.query, body }, headers);
  await vscode.env.clipboard.writeText(text);
  vscode.window.setStatusBarMessage('aliasd: copied cURL command (set ALIAS_TOKEN before running it)', 4000);
  return text;
}
