// Tree items for history entries: label, description, icon and tooltip.
import * as vscode from 'vscode';
import { entryLabel, entrySeverity, relativeTime, statusText } from '../format';
import { HistoryEntry } from '../protocol';
import { isError } from './filter';

/** Icon and colour per effective severity. */
export const severityIcons = {
  error: { icon: 'error', color: 'problemsErrorIcon.foreground' },
  warning: { icon: 'warning', color: 'problemsWarningIcon.foreground' },
  info: { icon: 'info', color: 'problemsInfoIcon.foreground' },
  ok: { icon: 'pass', color: 'testing.iconPassed' },
} as const;

/** The tree's element types. */
export type HistoryNode =
  | { kind: 'entry'; entry: HistoryEntry }
  | { kind: 'more' }
  | { kind: 'message'; text: string; icon?: string };

/** OPEN_COMMAND is run when a row is clicked. */
export const OPEN_COMMAND = 'aliasd.history.open';

/**
 * entryItem builds the row for one entry: "status · METHOD path" as the
 * label, "requestId · relative time" as the description, an icon coloured by
 * diagnostic severity and a tooltip with the diagnostic.
 */
export function entryItem(e: HistoryEntry, now: Date = new Date()): vscode.TreeItem {
  const label = entryLabel(e);
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
  const rel = relativeTime(e.time, now);
  item.id = e.id;
  item.description = e.requestId ? `${e.requestId} · ${rel}` : rel;
  const sev = severityIcons[entrySeverity(e)];
  item.iconPath = new vscode.ThemeIcon(sev.icon, new vscode.ThemeColor(sev.color));
  item.tooltip = entryTooltip(e, rel);
  item.contextValue = isError(e) ? 'aliasdEntry.error' : 'aliasdEntry';
  item.accessibilityInformation = {
    label: `${label}, request ID ${e.requestId || 'none'}, ${rel}${e.diagnostic ? `, ${e.diagnostic.title}` : ''}`,
  };
  const node: HistoryNode = { kind: 'entry', entry: e };
  item.command = { command: OPEN_COMMAND, title: 'Open History Entry', arguments: [node] };
  return item;
}

/** entryTooltip is the Markdown hover for a row. */
export function entryTooltip(e: HistoryEntry, rel: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${statusText(e.status)} · ${e.method.toUpperCase()}** `);
  md.appendText(e.path + (e.query ? `?${e.query}` : ''));
  md.appendMarkdown('\n\n');
  if (e.diagnostic) {
    md.appendMarkdown(`$(${severityIcons[e.diagnostic.severity]?.icon ?? 'info'}) **`);
    md.appendText(e.diagnostic.title);
    md.appendMarkdown('**\n\n');
    md.appendText(e.diagnostic.detail);
    md.appendMarkdown('\n\n');
    if (e.diagnostic.hint) {
      md.appendMarkdown('_Hint:_ ');
      md.appendText(e.diagnostic.hint);
      md.appendMarkdown('\n\n');
    }
  }
  if (e.error) {
    md.appendText(`API error ${e.error.code}${e.error.codeName ? ` ${e.error.codeName}` : ''}: ${e.error.message}`);
    md.appendMarkdown('\n\n');
  }
  md.appendText(`request ID: ${e.requestId || '(none)'}`);
  md.appendMarkdown('  \n');
  md.appendText(`${rel} · ${Math.round(e.durationMs)} ms · cache ${e.cache || '-'}${e.profile ? ` · profile ${e.profile}` : ''}`);
  return md;
}

/** moreItem is the "Load more…" row shown when the daemon has older entries. */
export function moreItem(): vscode.TreeItem {
  const item = new vscode.TreeItem('Load more…', vscode.TreeItemCollapsibleState.None);
  item.iconPath = new vscode.ThemeIcon('ellipsis');
  item.command = { command: 'aliasd.history.loadMore', title: 'Load More' };
  item.contextValue = 'aliasdMore';
  return item;
}

/** messageItem is a non-entry row (empty result, daemon down). */
export function messageItem(text: string, icon = 'info'): vscode.TreeItem {
  const item = new vscode.TreeItem(text, vscode.TreeItemCollapsibleState.None);
  item.iconPath = new vscode.ThemeIcon(icon);
  item.contextValue = 'aliasdMessage';
  return item;
}
