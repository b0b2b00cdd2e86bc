// Opening a history row: a read-only aliasd-history: document built from
// alias/history/get.
import * as vscode from 'vscode';
import { historyUri } from '../documents';
import { entryFrom } from '../history/provider';
import { HistoryEntry } from '../protocol';
import { Services } from '../services';

/** targetEntry is the entry a history command acts on: its argument, else the selection. */
export function targetEntry(s: Services, arg: unknown): HistoryEntry {
  const e = entryFrom(arg) ?? s.selectedEntry();
  if (!e) throw new Error('select a history entry first');
  return e;
}

export async function openEntry(s: Services, arg?: unknown): Promise<vscode.TextEditor> {
  const e = targetEntry(s, arg);
  const doc = await vscode.workspace.openTextDocument(historyUri(e));
  return vscode.window.showTextDocument(doc, { preview: true });
}
