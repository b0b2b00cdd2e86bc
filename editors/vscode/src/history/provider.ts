// The history view's data: a page of entries from alias/history/list, kept
// live by alias/history/appended.
import * as vscode from 'vscode';
import { describeError, Logger, Rpc } from '../client';
import { HistoryEntry, HistoryListResult, Methods } from '../protocol';
import { emptyFilter, HistoryFilter, listParams, matches } from './filter';
import { entryItem, HistoryNode, messageItem, moreItem } from './items';

export interface HistoryProviderConfig {
  /** Required: the daemon connection. */
  rpc: Rpc;
  /** Entries per page; read on every load. Default 100. */
  pageSize?: () => number;
  log?: Logger;
  /** Clock, for tests. */
  now?: () => Date;
}

export class HistoryProvider implements vscode.TreeDataProvider<HistoryNode> {
  private readonly changed = new vscode.EventEmitter<HistoryNode | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;

  private entries: HistoryEntry[] = [];
  private next: string | undefined;
  private problem: string | undefined;
  private loaded = false;
  private generation = 0;
  filter: HistoryFilter = { ...emptyFilter };

  constructor(private readonly cfg: HistoryProviderConfig) {}

  /** The entries currently shown, newest first. */
  get shown(): readonly HistoryEntry[] {
    return this.entries;
  }

  /** Reloads the first page with the current filter. */
  async refresh(): Promise<void> {
    const gen = ++this.generation;
    try {
      const r = await this.cfg.rpc.request<HistoryListResult>(Methods.historyList, listParams(this.filter, this.pageSize()));
      if (gen !== this.generation) return;
      this.entries = [...(r.entries ?? [])];
      this.next = r.next || undefined;
      this.problem = undefined;
    } catch (err) {
      if (gen !== this.generation) return;
      this.problem = `Cannot load history: ${describeError(err)}`;
      this.cfg.log?.warn(this.problem);
    }
    this.loaded = true;
    this.changed.fire();
  }

  /** Appends the next page of older entries. */
  async loadMore(): Promise<void> {
    if (!this.next) return;
    const gen = this.generation;
    const r = await this.cfg.rpc.request<HistoryListResult>(
      Methods.historyList,
      listParams(this.filter, this.pageSize(), this.next),
    );
    if (gen !== this.generation) return;
    const seen = new Set(this.entries.map((e) => e.id));
    this.entries.push(...(r.entries ?? []).filter((e) => !seen.has(e.id)));
    this.next = r.next || undefined;
    this.changed.fire();
  }

  /** Handles alias/history/appended: the new entry goes on top if it passes the filter. */
  append(entry: HistoryEntry): void {
    if (!entry || !entry.id || !matches(this.filter, entry)) return;
    if (this.entries.some((e) => e.id === entry.id)) return;
    this.entries.unshift(entry);
    this.loaded = true;
    this.changed.fire();
  }

  setFilter(f: HistoryFilter): Promise<void> {
    this.filter = { ...f };
    return this.refresh();
  }

  /** Shows a problem (e.g. the daemon is down) instead of the entries. */
  setProblem(text: string | undefined): void {
    this.problem = text;
    this.changed.fire();
  }

  /** Re-renders rows so relative times stay current. */
  tick(): void {
    this.changed.fire();
  }

  find(id: string): HistoryEntry | undefined {
    return this.entries.find((e) => e.id === id || e.requestId === id);
  }

  getTreeItem(node: HistoryNode): vscode.TreeItem {
    switch (node.kind) {
      case 'entry':
        return entryItem(node.entry, this.cfg.now?.() ?? new Date());
      case 'more':
        return moreItem();
      default:
        return messageItem(node.text, node.icon);
    }
  }

  getChildren(node?: HistoryNode): HistoryNode[] {
    if (node) return [];
    if (this.problem) return [{ kind: 'message', text: this.problem, icon: 'warning' }];
    if (!this.loaded) return [];
    if (this.entries.length === 0) {
      // An empty list without a filter shows the view's welcome content.
      return this.filter.errorsOnly || this.filter.statusClass || this.filter.path
        ? [{ kind: 'message', text: 'No entries match the filter.' }]
        : [];
    }
    const nodes: HistoryNode[] = this.entries.map((entry) => ({ kind: 'entry', entry }));
    if (this.next) nodes.push({ kind: 'more' });
    return nodes;
  }

  private pageSize(): number {
    return this.cfg.pageSize?.() ?? 100;
  }
}

/** entryFrom accepts what a command receives (tree node, entry or nothing). */
export function entryFrom(arg: unknown): HistoryEntry | undefined {
  if (!arg || typeof arg !== 'object') return undefined;
  const a = arg as { kind?: string; entry?: HistoryEntry; id?: string };
  if (a.kind === 'entry' && a.entry) return a.entry;
  if (typeof a.id === 'string' && 'requestId' in a) return a as HistoryEntry;
  return undefined;
}
