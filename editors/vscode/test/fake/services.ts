// Services for command tests: the fake RPC, a real HistoryProvider and
// ResultDocuments registered on the fake workspace, a recording logger.
import * as vscode from 'vscode';
import { Logger } from '../../src/client';
import { HISTORY_SCHEME, HistoryDocuments, RESULT_SCHEME, ResultDocuments } from '../../src/documents';
import { HistoryProvider } from '../../src/history/provider';
import { HistoryEntry, StatusResult } from '../../src/protocol';
import { Services } from '../../src/services';
import { Settings } from '../../src/settings';
import { FakeRpc } from './rpc';

export interface TestServices extends Services {
  logLines: string[];
  restarts: number;
  selected: HistoryEntry | undefined;
}

export const defaultSettings: Settings = {
  path: '',
  home: '',
  env: {},
  trace: 'off',
  historyPageSize: 100,
  maxPages: 50,
  maxRestarts: 5,
  restartWindowSeconds: 180,
  statusRefreshSeconds: 0,
};

export function makeServices(rpc: FakeRpc, status?: Partial<StatusResult>): TestServices {
  const logLines: string[] = [];
  const log: Logger = {
    info: (m) => logLines.push(`info ${m}`),
    warn: (m) => logLines.push(`warn ${m}`),
    error: (m) => logLines.push(`error ${m}`),
  };
  const results = new ResultDocuments();
  vscode.workspace.registerTextDocumentContentProvider(RESULT_SCHEME, results);
  vscode.workspace.registerTextDocumentContentProvider(HISTORY_SCHEME, new HistoryDocuments(rpc));
  const last: StatusResult | undefined = status
    ? {
        version: 'test',
        protocolVersion: 1,
        apiVersion: '1.3.6',
        baseUrl: 'http://127.0.0.1:1',
        profile: 'default',
        tokenStorage: 'file',
        dataDir: '/tmp/x',
        ...status,
      }
    : undefined;
  const s: TestServices = {
    rpc,
    log,
    logLines,
    restarts: 0,
    selected: undefined,
    showOutput: () => undefined,
    history: new HistoryProvider({ rpc, log }),
    results,
    status: {
      last,
      refresh: async () => last,
    },
    settings: () => defaultSettings,
    restart: async () => {
      s.restarts++;
    },
    selectedEntry: () => s.selected,
  };
  return s;
}
