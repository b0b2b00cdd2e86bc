// Export HAR: alias/history/export (already redacted by the daemon) into a
// file the user picks.
import * as vscode from 'vscode';
import { listParams } from '../history/filter';
import { HistoryExportResult, Methods } from '../protocol';
import { Services } from '../services';

export async function exportHar(s: Services): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = await vscode.window.showSaveDialog({
    title: 'aliasd: Export History as HAR',
    defaultUri: folder ? vscode.Uri.joinPath(folder, 'aliasd-history.har') : undefined,
    filters: { 'HTTP Archive': ['har'] },
    saveLabel: 'Export',
  });
  if (!target) return undefined;
  const { limit: _limit, cursor: _cursor, ...filter } = listParams(s.history.filter, 0);
  const r = await s.rpc.request<HistoryExportResult>(Methods.historyExport, { format: 'har', ...filter });
  await vscode.workspace.fs.writeFile(target, Buffer.from(r.data, 'utf8'));
  s.log.info(`exported ${r.entries} history entries as HAR to ${target.fsPath}`);
  vscode.window.setStatusBarMessage(`aliasd: exported ${r.entries} entries to ${target.fsPath}`, 5000);
  return target;
}
