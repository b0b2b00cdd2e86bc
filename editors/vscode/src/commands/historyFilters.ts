// The history view's filter commands: errors only, status class, path, clear.
import * as vscode from 'vscode';
import { emptyFilter, StatusClass } from '../history/filter';
import { Services } from '../services';

export async function toggleErrorsOnly(s: Services): Promise<boolean> {
  const errorsOnly = !s.history.filter.errorsOnly;
  await s.history.setFilter({ ...s.history.filter, errorsOnly });
  return errorsOnly;
}

export async function filterStatus(s: Services): Promise<StatusClass | undefined | null> {
  const items: Array<vscode.QuickPickItem & { value?: StatusClass }> = [
    { label: 'All statuses' },
    { label: '2xx', description: 'success', value: '2xx' },
    { label: '3xx', description: 'redirect', value: '3xx' },
    { label: '4xx', description: 'client error', value: '4xx' },
    { label: '5xx', description: 'server error', value: '5xx' },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'aliasd: Filter History by Status Class' });
  if (!pick) return null;
  await s.history.setFilter({ ...s.history.filter, statusClass: pick.value });
  return pick.value;
}

export async function filterPath(s: Services): Promise<string | undefined | null> {
  const v = await vscode.window.showInputBox({
    title: 'aliasd: Filter History by Path',
    prompt: 'Path prefix, e.g. /catalog or /api/v1/listings (empty: no path filter)',
    value: s.history.filter.path ?? '',
  });
  if (v === undefined) return null;
  const path = v.trim() || undefined;
  await s.history.setFilter({ ...s.history.filter, path });
  return path;
}

export async function clearFilters(s: Services): Promise<void> {
  await s.history.setFilter({ ...emptyFilter });
}
