// Re-run (history context menu): the entry's method, path, query and body
// through alias/request again.
import * as vscode from 'vscode';
import { HistoryDetail, Methods, RequestParams, RequestResult } from '../protocol';
import { parseQuery } from '../query';
import { Services } from '../services';
import { targetEntry } from './openEntry';
import { execute } from './sendRequest';

/** rerunParams rebuilds alias/request parameters from a recorded entry. */
export function rerunParams(d: Pick<HistoryDetail, 'method' | 'path' | 'query'> & { request?: { body?: string } }): RequestParams {
  const params: RequestParams = { method: d.method.toUpperCase(), path: d.path };
  const query = parseQuery(d.query);
  if (Object.keys(query).length > 0) params.query = query;
  const body = d.request?.body;
  if (body) {
    try {
      params.body = JSON.parse(body);
    } catch {
      throw new Error('the recorded request body is not JSON (it may have been truncated); cannot re-run');
    }
  }
  return params;
}

export async function rerun(s: Services, arg?: unknown): Promise<RequestResult | undefined> {
  const e = targetEntry(s, arg);
  const method = e.method.toUpperCase();
  let detail: Pick<HistoryDetail, 'method' | 'path' | 'query'> & { request?: { body?: string } } = e;
  if (method !== 'GET') {
    const ok = await vscode.window.showWarningMessage(
      `Re-run ${method} ${e.path}? It changes data on the alias API again.`,
      { modal: true },
      'Re-run',
    );
    if (ok !== 'Re-run') return undefined;
    detail = await s.rpc.request<HistoryDetail>(Methods.historyGet, { id: e.id });
  }
  return execute(s, rerunParams(detail));
}
