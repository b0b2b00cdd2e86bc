// Find Request ID: look a request ID up in the history (shown rows first,
// then the daemon) and open its entry.
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-jsonrpc';
import { HistoryDetail, HistoryEntry, Methods } from '../protocol';
import { Services } from '../services';
import { openEntry } from './openEntry';

export async function findRequestId(s: Services, requestIdArg?: string): Promise<HistoryEntry | undefined> {
  const raw =
    requestIdArg ??
    (await vscode.window.showInputBox({
      title: 'aliasd: Find Request ID',
      prompt: 'The x-request-id of a call (e.g. from a log or a support ticket)',
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'Enter a request ID.'),
    }));
  if (raw === undefined) return undefined;
  const requestId = raw.trim();
  let entry: HistoryEntry | undefined = s.history.shown.find(
    (e) => e.requestId === requestId || (e.requestIds ?? []).includes(requestId),
  );
  if (!entry) {
    try {
      entry = await s.rpc.request<HistoryDetail>(Methods.historyGet, { requestId });
    } catch (err) {
      if (!(err instanceof ResponseError)) throw err;
      s.log.info(`find request ID ${requestId}: ${err.message}`);
      entry = undefined;
    }
  }
  if (!entry || !entry.id) {
    void vscode.window.showWarningMessage(`aliasd: no history entry has request ID ${requestId}.`);
    return undefined;
  }
  await openEntry(s, entry);
  return entry;
}
