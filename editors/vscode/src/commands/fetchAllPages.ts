// aliasd: Fetch All Pages — alias/paginate with a work-done token; its
// $/progress drives a cancellable notification and cancelling it sends
// $/cancelRequest.
import * as vscode from 'vscode';
import { isCancelled } from '../client';
import { resultTitle } from '../documents';
import { pagesDocument } from '../format';
import { EndpointInfo, Methods, PaginateParams, PaginateResult, ProgressValue } from '../protocol';
import { Services } from '../services';
import { listEndpoints } from './endpoints';
import { askParams, endpointPickItems, expandPath } from './params';

let tokenCounter = 0;

/** newWorkDoneToken makes a token unique within this extension host. */
export function newWorkDoneToken(): string {
  return `aliasd-paginate-${process.pid}-${Date.now()}-${++tokenCounter}`;
}

/** Parameters the daemon manages while paging. */
const pagingParams = ['pagination_token'];

export async function fetchAllPages(s: Services): Promise<PaginateResult | undefined> {
  const endpoints = (await listEndpoints(s.rpc)).filter((e) => e.pagination && e.method === 'GET');
  const pick = await vscode.window.showQuickPick(endpointPickItems(endpoints), {
    title: 'aliasd: Fetch All Pages',
    placeHolder: 'List endpoint to walk',
    matchOnDescription: true,
    matchOnDetail: true,
    ignoreFocusOut: true,
  });
  if (!pick) return undefined;
  return fetchPagesOf(s, pick.endpoint);
}

export async function fetchPagesOf(s: Services, ep: EndpointInfo): Promise<PaginateResult | undefined> {
  const values = await askParams(ep, { title: `All pages of ${ep.path}`, omit: pagingParams });
  if (!values) return undefined;
  const path = expandPath(ep.path, values.path);
  const workDoneToken = newWorkDoneToken();
  const params: PaginateParams = { path, maxPages: s.settings().maxPages, workDoneToken };
  if (Object.keys(values.query).length > 0) params.query = values.query;

  let result: PaginateResult;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `aliasd: fetching all pages of ${path}`, cancellable: true },
      async (progress, token) => {
        const sub = s.rpc.onProgress(workDoneToken, progressReporter(progress));
        try {
          return await s.rpc.request<PaginateResult>(Methods.paginate, params, token);
        } finally {
          sub.dispose();
        }
      },
    );
  } catch (err) {
    if (isCancelled(err)) {
      s.log.info(`fetch all pages of ${path}: cancelled`);
      vscode.window.setStatusBarMessage('aliasd: Fetch All Pages cancelled', 5000);
      return undefined;
    }
    throw err;
  }
  s.log.info(
    `fetched ${result.items?.length ?? 0} items in ${result.pages} pages of ${path}` +
      `${result.truncated ? ' (truncated)' : ''}; request IDs ${(result.requestIds ?? []).join(', ')}`,
  );
  await s.results.open(resultTitle(result.status || 200, 'GET', path).replace('.jsonc', ' pages.jsonc'), pagesDocument(path, result));
  return result;
}

/**
 * progressReporter maps $/progress values onto a VS Code progress: the
 * message is shown as is and percentages become increments.
 */
export function progressReporter(progress: vscode.Progress<{ message?: string; increment?: number }>): (v: ProgressValue) => void {
  let last = 0;
  return (v) => {
    if (v.kind === 'end') {
      progress.report({ message: v.message ?? 'done' });
      return;
    }
    const report: { message?: string; increment?: number } = {};
    const msg = v.message ?? (v.kind === 'begin' ? v.title : undefined);
    if (msg) report.message = msg;
    if (typeof v.percentage === 'number') {
      const pct = Math.max(0, Math.min(100, v.percentage));
      if (pct > last) report.increment = pct - last;
      last = Math.max(last, pct);
    }
    if (report.message !== undefined || report.increment !== undefined) progress.report(report);
  };
}
