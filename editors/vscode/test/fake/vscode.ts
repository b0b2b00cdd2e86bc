// A small hand-written fake of the `vscode` module: enough of the API for
// the extension's views and commands, with scripted answers for prompts and
// a record of everything shown. test/fake/install.ts makes `require('vscode')`
// return this module.

/* eslint-disable @typescript-eslint/no-explicit-any */

export const version = '1.100.3-fake';

// ---------------------------------------------------------------- basics

export class Disposable {
  constructor(private readonly fn: () => void = () => undefined) {}
  static from(...ds: Array<{ dispose(): unknown }>): Disposable {
    return new Disposable(() => ds.forEach((d) => d.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

export type Event<T> = (listener: (e: T) => unknown) => Disposable;

export class EventEmitter<T> {
  private listeners = new Set<(e: T) => unknown>();
  event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return new Disposable(() => this.listeners.delete(listener));
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export interface CancellationToken {
  readonly isCancellationRequested: boolean;
  onCancellationRequested: Event<void>;
}

export class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  private cancelled = false;
  readonly token: CancellationToken;
  constructor() {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.token = {
      get isCancellationRequested(): boolean {
        return self.cancelled;
      },
      onCancellationRequested: this.emitter.event,
    };
  }
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emitter.fire();
  }
  dispose(): void {
    this.emitter.dispose();
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
    readonly query: string,
    readonly fragment: string,
  ) {}
  static from(c: { scheme: string; authority?: string; path?: string; query?: string; fragment?: string }): Uri {
    return new Uri(c.scheme, c.authority ?? '', c.path ?? '', c.query ?? '', c.fragment ?? '');
  }
  static file(p: string): Uri {
    return new Uri('file', '', p, '', '');
  }
  static parse(s: string): Uri {
    const m = /^([a-z][a-z0-9+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/i.exec(s);
    if (!m) throw new Error(`bad uri ${s}`);
    return new Uri(m[1], m[2] ?? '', decodeURIComponent(m[3] ?? ''), m[4] ?? '', m[5] ?? '');
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri(base.scheme, base.authority, [base.path.replace(/\/+$/, ''), ...parts].join('/'), '', '');
  }
  get fsPath(): string {
    return this.path;
  }
  with(c: Partial<{ scheme: string; path: string; query: string }>): Uri {
    return new Uri(c.scheme ?? this.scheme, this.authority, c.path ?? this.path, c.query ?? this.query, this.fragment);
  }
  toString(): string {
    const auth = this.authority || this.scheme === 'file' ? `//${this.authority}` : '';
    return `${this.scheme}:${auth}${encodeURI(this.path)}${this.query ? `?${this.query}` : ''}${this.fragment ? `#${this.fragment}` : ''}`;
  }
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export class ThemeIcon {
  static readonly File = new ThemeIcon('file');
  constructor(
    readonly id: string,
    readonly color?: ThemeColor,
  ) {}
}

export class MarkdownString {
  value: string;
  supportThemeIcons: boolean;
  isTrusted = false;
  constructor(value = '', supportThemeIcons = false) {
    this.value = value;
    this.supportThemeIcons = supportThemeIcons;
  }
  appendText(v: string): this {
    this.value += v.replace(/[\\`*_{}[\]()#+\-.!|<>$]/g, '\\$&');
    return this;
  }
  appendMarkdown(v: string): this {
    this.value += v;
    return this;
  }
}

export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}

export class TreeItem {
  id?: string;
  description?: string | boolean;
  tooltip?: string | MarkdownString;
  iconPath?: ThemeIcon;
  contextValue?: string;
  command?: { command: string; title: string; arguments?: unknown[] };
  accessibilityInformation?: { label: string; role?: string };
  constructor(
    public label: string,
    public collapsibleState: TreeItemCollapsibleState = TreeItemCollapsibleState.None,
  ) {}
}

export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

// ---------------------------------------------------------------- scripted UI

export type PickAnswer = undefined | string | string[] | ((items: any[], opts: any) => any);
export type InputAnswer = undefined | string | ((opts: any) => string | undefined);

export interface ProgressRecord {
  options: any;
  reports: Array<{ message?: string; increment?: number }>;
  source: CancellationTokenSource;
}

export interface ShownMessage {
  level: 'info' | 'warning' | 'error';
  text: string;
  items: unknown[];
}

/** Everything a test scripts and inspects. Reset with reset(). */
export const ui = {
  pickAnswers: [] as PickAnswer[],
  inputAnswers: [] as InputAnswer[],
  messageAnswers: [] as Array<string | undefined>,
  saveAnswers: [] as Array<Uri | undefined>,
  pickCalls: [] as Array<{ items: any[]; options: any }>,
  inputCalls: [] as Array<{ options: any; answer: string | undefined }>,
  messages: [] as ShownMessage[],
  statusMessages: [] as string[],
  progress: [] as ProgressRecord[],
  /** Called when a progress starts; a test can cancel from here. */
  onProgress: undefined as undefined | ((p: ProgressRecord) => void),
  shown: [] as Array<{ uri: Uri; text: string; languageId: string }>,
  clipboard: '',
  written: [] as Array<{ uri: Uri; data: Uint8Array }>,
  executed: [] as Array<{ command: string; args: unknown[] }>,
  settings: {} as Record<string, unknown>,
  outputLines: [] as string[],
};

export function reset(): void {
  ui.pickAnswers = [];
  ui.inputAnswers = [];
  ui.messageAnswers = [];
  ui.saveAnswers = [];
  ui.pickCalls = [];
  ui.inputCalls = [];
  ui.messages = [];
  ui.statusMessages = [];
  ui.progress = [];
  ui.onProgress = undefined;
  ui.shown = [];
  ui.clipboard = '';
  ui.written = [];
  ui.executed = [];
  ui.settings = {};
  ui.outputLines = [];
  providers.clear();
  commandsRegistry.clear();
}

function labelOf(item: any): string {
  return typeof item === 'string' ? item : item.label;
}

async function showQuickPick(itemsOrPromise: any, options: any = {}): Promise<any> {
  const items = await itemsOrPromise;
  ui.pickCalls.push({ items, options });
  if (ui.pickAnswers.length === 0) throw new Error(`unexpected showQuickPick: ${options.title ?? ''}`);
  const answer = ui.pickAnswers.shift();
  if (answer === undefined) return undefined;
  if (typeof answer === 'function') return answer(items, options);
  const find = (label: string) => {
    const it = items.find((i: any) => labelOf(i) === label);
    if (!it) throw new Error(`quick pick "${options.title ?? ''}" has no item "${label}"; items: ${items.map(labelOf).join(', ')}`);
    return it;
  };
  if (Array.isArray(answer)) {
    if (!options.canPickMany) throw new Error(`multi-answer for single quick pick "${options.title ?? ''}"`);
    return answer.map(find);
  }
  const it = find(answer);
  return options.canPickMany ? [it] : it;
}

async function showInputBox(options: any = {}): Promise<string | undefined> {
  if (ui.inputAnswers.length === 0) throw new Error(`unexpected showInputBox: ${options.title ?? options.prompt ?? ''}`);
  const a = ui.inputAnswers.shift();
  const answer = typeof a === 'function' ? a(options) : a;
  ui.inputCalls.push({ options, answer });
  if (answer !== undefined && options.validateInput) {
    const problem = await options.validateInput(answer);
    if (problem) throw new Error(`input "${options.title ?? ''}" rejected a scripted answer: ${problem}`);
  }
  return answer;
}

function message(level: ShownMessage['level']) {
  return async (text: string, ...rest: unknown[]): Promise<string | undefined> => {
    const items = rest.filter((r) => typeof r === 'string');
    ui.messages.push({ level, text, items });
    return ui.messageAnswers.length > 0 ? ui.messageAnswers.shift() : undefined;
  };
}

class FakeOutputChannel {
  constructor(readonly name: string) {}
  private line(level: string, m: string) {
    ui.outputLines.push(`[${level}] ${m}`);
  }
  info(m: string) {
    this.line('info', m);
  }
  warn(m: string) {
    this.line('warn', m);
  }
  error(m: string) {
    this.line('error', m);
  }
  trace(m: string) {
    this.line('trace', m);
  }
  debug(m: string) {
    this.line('debug', m);
  }
  appendLine(m: string) {
    this.line('line', m);
  }
  append(m: string) {
    this.line('line', m);
  }
  show() {}
  clear() {}
  dispose() {}
}

class FakeStatusBarItem {
  text = '';
  tooltip: unknown;
  command: unknown;
  name = '';
  backgroundColor: ThemeColor | undefined;
  visible = false;
  constructor(
    readonly id: string,
    readonly alignment: StatusBarAlignment,
    readonly priority: number,
  ) {}
  show() {
    this.visible = true;
  }
  hide() {
    this.visible = false;
  }
  dispose() {}
}

export const window = {
  showQuickPick,
  showInputBox,
  showInformationMessage: message('info'),
  showWarningMessage: message('warning'),
  showErrorMessage: message('error'),
  async showSaveDialog(_options: any): Promise<Uri | undefined> {
    return ui.saveAnswers.shift();
  },
  setStatusBarMessage(text: string, _timeout?: number): Disposable {
    ui.statusMessages.push(text);
    return new Disposable();
  },
  async withProgress<R>(options: any, task: (progress: any, token: any) => Promise<R>): Promise<R> {
    const source = new CancellationTokenSource();
    const rec: ProgressRecord = { options, reports: [], source };
    ui.progress.push(rec);
    ui.onProgress?.(rec);
    return task({ report: (v: any) => rec.reports.push(v) }, source.token);
  },
  createOutputChannel(name: string, _opts?: unknown) {
    return new FakeOutputChannel(name);
  },
  createStatusBarItem(id: string, alignment: StatusBarAlignment, priority: number) {
    return new FakeStatusBarItem(id, alignment, priority);
  },
  async showTextDocument(doc: any, _opts?: unknown) {
    ui.shown.push({ uri: doc.uri, text: doc.getText(), languageId: doc.languageId });
    return { document: doc };
  },
  createTreeView(_id: string, _opts: unknown) {
    return { selection: [], description: undefined, dispose() {} };
  },
};

// ---------------------------------------------------------------- workspace

const providers = new Map<string, { provideTextDocumentContent(uri: Uri): string | Promise<string> }>();

function makeDoc(uri: Uri, text: string, languageId: string) {
  return { uri, languageId, getText: () => text, lineCount: text.split('\n').length };
}

export const workspace = {
  workspaceFolders: [{ uri: Uri.file('/fake/workspace'), name: 'workspace', index: 0 }] as any[],
  getConfiguration(section?: string) {
    return {
      get<T>(key: string, def?: T): T | undefined {
        const full = section ? `${section}.${key}` : key;
        return (full in ui.settings ? ui.settings[full] : def) as T | undefined;
      },
      async update(key: string, _value: unknown): Promise<void> {
        throw new Error(`the extension must not write settings (tried ${key})`);
      },
    };
  },
  registerTextDocumentContentProvider(scheme: string, provider: any): Disposable {
    providers.set(scheme, provider);
    return new Disposable(() => providers.delete(scheme));
  },
  async openTextDocument(uri: Uri) {
    const p = providers.get(uri.scheme);
    if (!p) throw new Error(`no content provider for ${uri.scheme}`);
    const text = await p.provideTextDocumentContent(uri);
    return makeDoc(uri, text, 'plaintext');
  },
  onDidChangeConfiguration: new EventEmitter<unknown>().event,
  fs: {
    async writeFile(uri: Uri, data: Uint8Array): Promise<void> {
      ui.written.push({ uri, data });
    },
  },
};

export const languages = {
  async setTextDocumentLanguage(doc: any, languageId: string) {
    return makeDoc(doc.uri, doc.getText(), languageId);
  },
};

export const env = {
  clipboard: {
    async readText(): Promise<string> {
      return ui.clipboard;
    },
    async writeText(v: string): Promise<void> {
      ui.clipboard = v;
    },
  },
};

const commandsRegistry = new Map<string, (...args: any[]) => unknown>();

export const commands = {
  registerCommand(id: string, fn: (...args: any[]) => unknown): Disposable {
    commandsRegistry.set(id, fn);
    return new Disposable(() => commandsRegistry.delete(id));
  },
  async executeCommand(id: string, ...args: unknown[]): Promise<unknown> {
    ui.executed.push({ command: id, args });
    const fn = commandsRegistry.get(id);
    return fn ? fn(...args) : undefined;
  },
};
