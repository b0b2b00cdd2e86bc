// Command registration: one table from command id to its module's function.
import * as vscode from 'vscode';
import { describeError, isCancelled } from '../client';
import { Services } from '../services';
import { addToken } from './addToken';
import { clearCache } from './clearCache';
import { copyCurl } from './copyCurl';
import { copyRequestId } from './copyRequestId';
import { exportHar } from './exportHar';
import { fetchAllPages } from './fetchAllPages';
import { findRequestId } from './findRequestId';
import { clearFilters, filterPath, filterStatus, toggleErrorsOnly } from './historyFilters';
import { openEntry } from './openEntry';
import { rerun } from './rerun';
import { restart } from './restart';
import { sendRequest } from './sendRequest';
import { showStatus } from './showStatus';
import { useProfile } from './useProfile';
import { verifyToken } from './verifyToken';

type Handler = (s: Services, ...args: any[]) => Promise<unknown> | unknown;

export const commandTable: Record<string, Handler> = {
  'aliasd.addToken': addToken,
  'aliasd.useProfile': useProfile,
  'aliasd.verifyToken': verifyToken,
  'aliasd.sendRequest': sendRequest,
  'aliasd.fetchAllPages': fetchAllPages,
  'aliasd.clearCache': clearCache,
  'aliasd.showStatus': showStatus,
  'aliasd.restart': restart,
  'aliasd.showOutput': (s) => s.showOutput(),
  'aliasd.history.refresh': (s) => s.history.refresh(),
  'aliasd.history.loadMore': (s) => s.history.loadMore(),
  'aliasd.history.filterErrors': toggleErrorsOnly,
  'aliasd.history.filterStatus': filterStatus,
  'aliasd.history.filterPath': filterPath,
  'aliasd.history.clearFilters': clearFilters,
  'aliasd.history.findRequestId': findRequestId,
  'aliasd.history.open': openEntry,
  'aliasd.history.copyRequestId': copyRequestId,
  'aliasd.history.copyCurl': copyCurl,
  'aliasd.history.rerun': rerun,
  'aliasd.history.exportHar': exportHar,
};

/**
 * registerCommands registers every command. A failing command is logged and
 * reported once in an error message with a way to the output channel.
 */
export function registerCommands(s: Services): vscode.Disposable[] {
  return Object.entries(commandTable).map(([id, handler]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await handler(s, ...args);
      } catch (err) {
        if (isCancelled(err)) {
          s.log.info(`${id}: cancelled`);
          return undefined;
        }
        const msg = describeError(err);
        s.log.error(`${id} failed: ${msg}`);
        const choice = await vscode.window.showErrorMessage(`aliasd: ${msg}`, 'Show Output');
        if (choice === 'Show Output') s.showOutput();
        return undefined;
      }
    }),
  );
}
