// What every command gets: the daemon connection and the extension's views.
import { Logger, Rpc } from './client';
import { ResultDocuments } from './documents';
import { HistoryProvider } from './history/provider';
import { HistoryEntry, StatusResult } from './protocol';
import { Settings } from './settings';

export interface Services {
  rpc: Rpc;
  /** The "aliasd" output channel. */
  log: Logger;
  showOutput(): void;
  history: HistoryProvider;
  results: ResultDocuments;
  status: { refresh(): Promise<StatusResult | undefined>; last?: StatusResult };
  settings(): Settings;
  restart(): Promise<void>;
  /** The history row selected in the view, if any. */
  selectedEntry(): HistoryEntry | undefined;
}
