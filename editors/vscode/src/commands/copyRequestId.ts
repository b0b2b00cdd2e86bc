// Copy Request ID (history context menu).
import * as vscode from 'vscode';
import { Services } from '../services';
import { targetEntry } from './openEntry';

export async function copyRequestId(s: Services, arg?: unknown): Promise<string> {
  const e = targetEntry(s, arg);
  if (!e.requestId) throw new Error('this entry has no request ID (no response was received)');
  await vscode.env.clipboard.writeText(e.requestId);
  vscode.window.setStatusBarMessage(`aliasd: copied request ID ${e.requestId}`, 4000);
  return e.requestId;
}
