// Read-only virtual documents: history entries (aliasd-history:) fetched
// from the daemon on demand, and results (aliasd-result:) kept in memory.
import * as vscode from 'vscode';
import { describeError, Rpc } from './client';
import { entryDocument, statusText } from './format';
import { HistoryDetail, HistoryEntry, Methods } from './protocol';

export const HISTORY_SCHEME = 'aliasd-history';
export const RESULT_SCHEME = 'aliasd-result';

/** A file-name-safe, short form of an API path's last segment. */
function lastSegment(path: string): string {
  const segs = path.split('/').filter(Boolean);
  return (segs[segs.length - 1] ?? 'root').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60);
}

/** historyUri names the document for one entry; its first path segment is the history id. */
export function historyUri(e: Pick<HistoryEntry, 'id' | 'status' | 'method' | 'path'>): vscode.Uri {
  const name = `${statusText(e.status)} ${e.method.toUpperCase()} ${lastSegment(e.path)}.md`;
  return vscode.Uri.from({ scheme: HISTORY_SCHEME, path: `/${encodeURIComponent(e.id)}/${name}` });
}

/** historyIdOf reads the history id back from a historyUri. */
export function historyIdOf(uri: vscode.Uri): string {
  const first = uri.path.split('/').filter(Boolean)[0] ?? '';
  return decodeURIComponent(first);
}

export class HistoryDocuments implements vscode.TextDocumentContentProvider {
  constructor(private readonly rpc: Rpc) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const id = historyIdOf(uri);
    try {
      const d = await this.rpc.request<HistoryDetail>(Methods.historyGet, { id });
      return entryDocument(d);
    } catch (err) {
      return `# History entry ${id}\n\nCannot load it from aliasd: ${describeError(err)}\n`;
    }
  }
}

/** ResultDocuments holds the text of responses and fetched pages. */
export class ResultDocuments implements vscode.TextDocumentContentProvider {
  private readonly docs = new Map<string, string>();
  private counter = 0;
  /** Results kept; older ones are dropped (their tabs then show a note). */
  private readonly limit = 50;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.docs.get(uri.toString()) ?? '// This result is no longer kept; send the request again.\n';
  }

  /** add stores text under a new URI whose file name is `title`. */
  add(title: string, text: string): vscode.Uri {
    const n = ++this.counter;
    const safe = title.replace(/[\\/]+/g, '_');
    const uri = vscode.Uri.from({ scheme: RESULT_SCHEME, path: `/${n}/${safe}` });
    this.docs.set(uri.toString(), text);
    while (this.docs.size > this.limit) {
      const oldest = this.docs.keys().next().value as string;
      this.docs.delete(oldest);
    }
    return uri;
  }

  /** open stores text and shows it in an editor as JSON with comments. */
  async open(title: string, text: string): Promise<vscode.TextDocument> {
    const uri = this.add(title, text);
    const doc = await vscode.workspace.openTextDocument(uri);
    const shown = await vscode.languages.setTextDocumentLanguage(doc, 'jsonc');
    await vscode.window.showTextDocument(shown, { preview: false });
    return shown;
  }
}

/** resultTitle is the tab name of a response: "200 GET catalog.jsonc". */
export function resultTitle(status: number, method: string, path: string): string {
  return `${statusText(status)} ${method.toUpperCase()} ${lastSegment(path)}.jsonc`;
}
