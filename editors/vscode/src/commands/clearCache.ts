// aliasd: Clear Cache — drop every cached response.
import * as vscode from 'vscode';
import { Methods, RemovedResult } from '../protocol';
import { Services } from '../services';

export async function clearCache(s: Services): Promise<number> {
  const r = await s.rpc.request<RemovedResult>(Methods.cacheClear, {});
  s.log.info(`cache cleared: ${r.removed} responses removed`);
  void vscode.window.showInformationMessage(`aliasd: removed ${r.removed} cached response${r.removed === 1 ? '' : 's'}.`);
  return r.removed;
}
