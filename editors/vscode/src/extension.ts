// Extension entry point: wires the daemon client, the history view, the
// documents, the status bar and the commands.
import * as vscode from 'vscode';
import { AliasdClient, Logger } from './client';
import { forgetEndpoints } from './commands/endpoints';
import { registerCommands } from './commands/index';
import { HISTORY_SCHEME, HistoryDocuments, RESULT_SCHEME, ResultDocuments } from './documents';
import { describeFilter, isEmpty } from './history/filter';
import { HistoryProvider, entryFrom } from './history/provider';
import { HistoryAppendedParams, Methods } from './protocol';
import { Services } from './services';
import { daemonEnv, readSettings, Settings } from './settings';
import { StatusBar } from './statusBar';

let client: AliasdClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const channel = vscode.window.createOutputChannel('aliasd', { log: true });
  context.subscriptions.push(channel);
  const log: Logger = {
    info: (m) => channel.info(m),
    warn: (m) => channel.warn(m),
    error: (m) => channel.error(m),
  };

  const settings = readSettings();
  const version = String(context.extension.packageJSON.version ?? '0.0.0');
  const c = new AliasdClient({
    ...clientOptions(settings),
    cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    clientInfo: { name: 'vscode', version: `${version} (VS Code ${vscode.version})` },
    logger: log,
  });
  client = c;

  const history = new HistoryProvider({ rpc: c, pageSize: () => readSettings().historyPageSize, log });
  const view = vscode.window.createTreeView('aliasd.history', { treeDataProvider: history });
  const results = new ResultDocuments();
  const status = new StatusBar(c);
  context.subscriptions.push(
    view,
    status,
    vscode.workspace.registerTextDocumentContentProvider(HISTORY_SCHEME, new HistoryDocuments(c)),
    vscode.workspace.registerTextDocumentContentProvider(RESULT_SCHEME, results),
  );

  const updateViewDescription = () => {
    view.description = isEmpty(history.filter) ? undefined : describeFilter(history.filter);
  };
  context.subscriptions.push(history.onDidChangeTreeData(updateViewDescription));

  const services: Services = {
    rpc: c,
    log,
    showOutput: () => channel.show(true),
    history,
    results,
    status,
    settings: readSettings,
    restart: async () => {
      await c.restart();
    },
    selectedEntry: () => entryFrom(view.selection[0]),
  };
  context.subscriptions.push(...registerCommands(services));

  context.subscriptions.push(
    c.onNotification(Methods.historyAppended, (p: HistoryAppendedParams) => {
      if (p?.entry) history.append(p.entry);
      if (p?.entry?.status === 429) void status.refresh();
    }),
    c.onStateChange((state, detail) => {
      status.setClientState(state, detail);
      if (state === 'failed') history.setProblem(`aliasd is not running: ${detail ?? ''}`);
    }),
    c.onDidStart(() => {
      forgetEndpoints();
      history.setProblem(undefined);
      void history.refresh();
      void status.refresh();
    }),
  );

  const tick = setInterval(() => history.tick(), 30_000);
  context.subscriptions.push({ dispose: () => clearInterval(tick) });
  status.schedule(settings.statusRefreshSeconds);

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('aliasd.status.refreshSeconds')) status.schedule(readSettings().statusRefreshSeconds);
      if (e.affectsConfiguration('aliasd.history.pageSize')) void history.refresh();
      if (
        e.affectsConfiguration('aliasd.path') ||
        e.affectsConfiguration('aliasd.home') ||
        e.affectsConfiguration('aliasd.env') ||
        e.affectsConfiguration('aliasd.trace') ||
        e.affectsConfiguration('aliasd.crashBudget')
      ) {
        const next = readSettings();
        c.updateOptions(clientOptions(next));
        log.info('daemon settings changed; restarting the connection');
        c.restart().catch((err) => log.error(`restart failed: ${err instanceof Error ? err.message : String(err)}`));
      }
    }),
  );

  // Start in the background: activation must not wait for the daemon.
  c.start().catch((err) => log.error(`aliasd did not start: ${err instanceof Error ? err.message : String(err)}`));
}

/** clientOptions maps the settings onto the daemon client's options. */
function clientOptions(s: Settings) {
  return {
    command: s.path || 'aliasd',
    env: daemonEnv(s),
    trace: s.trace,
    maxRestarts: s.maxRestarts,
    restartWindowMs: s.restartWindowSeconds * 1000,
  };
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) await c.stop();
}
