// The aliasd JSON-RPC contract as seen from TypeScript. The Go declaration in
// rpc/protocol.go is the source of truth; field names here are its JSON tags.

/** The protocol version this extension was written against. */
export const PROTOCOL_VERSION = 1;

export const Methods = {
  initialize: 'initialize',
  initialized: 'initialized',
  shutdown: 'shutdown',
  exit: 'exit',
  progress: '$/progress',
  logMessage: 'window/logMessage',
  showMessage: 'window/showMessage',
  workDoneProgressCreate: 'window/workDoneProgress/create',

  status: 'alias/status',
  request: 'alias/request',
  paginate: 'alias/paginate',
  endpoints: 'alias/endpoints',
  tokenAdd: 'alias/token/add',
  tokenList: 'alias/token/list',
  tokenUse: 'alias/token/use',
  tokenRemove: 'alias/token/remove',
  tokenVerify: 'alias/token/verify',
  historyList: 'alias/history/list',
  historyGet: 'alias/history/get',
  historyExport: 'alias/history/export',
  historyClear: 'alias/history/clear',
  cacheStats: 'alias/cache/stats',
  cacheClear: 'alias/cache/clear',
  historyAppended: 'alias/history/appended',
} as const;

/** JSON-RPC error codes the daemon uses. */
export const ErrorCodes = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  serverNotInitialized: -32002,
  requestCancelled: -32800,
} as const;

export interface ClientInfo {
  name: string;
  version?: string;
}

export interface InitializeResult {
  capabilities: {
    experimental?: {
      protocolVersion?: number;
      methods?: string[];
      notifications?: string[];
    };
  };
  serverInfo?: { name: string; version: string };
}

export interface ProgressValue {
  kind: 'begin' | 'report' | 'end';
  title?: string;
  message?: string;
  percentage?: number;
  cancellable?: boolean;
}

export interface GovernorState {
  fingerprint: string;
  rate: number;
  burst: number;
  limited: boolean;
  queued: number;
  last429?: string;
  reason?: string;
}

export interface StatusResult {
  version: string;
  protocolVersion: number;
  apiVersion: string;
  baseUrl: string;
  profile: string;
  fingerprint?: string;
  tokenStorage: string;
  dataDir: string;
  configFile?: string;
  pid?: number;
  mode?: string;
  sessions?: number;
  governors?: GovernorState[];
  warnings?: string[];
}

export type CacheMode = 'default' | 'no-cache' | 'only-if-cached';

/** A query value: scalar, repeated (array) or map (object, sent as key[sub]=v). */
export type QueryValue = string | number | boolean | Array<string | number | boolean> | Record<string, string>;
export type Query = Record<string, QueryValue>;

export interface RequestParams {
  method: string;
  path: string;
  query?: Query;
  body?: unknown;
  profile?: string;
  cache?: CacheMode;
}

export interface APIError {
  code: number;
  codeName?: string;
  message: string;
  details?: unknown[];
}

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  severity: Severity;
  title: string;
  detail: string;
  hint?: string;
}

export interface RequestResult {
  status: number;
  requestId: string;
  requestIds?: string[];
  body: unknown;
  headers?: Record<string, string>;
  durationMs: number;
  attempts?: number;
  cache: string;
  ageSeconds?: number;
  historyId: string;
  error?: APIError;
  diagnostic?: Diagnostic;
}

export interface PaginateParams {
  path: string;
  query?: Query;
  maxPages?: number;
  maxItems?: number;
  profile?: string;
  workDoneToken?: string | number;
}

export interface PaginateResult {
  items: unknown[];
  pages: number;
  requestIds: string[];
  historyIds?: string[];
  truncated: boolean;
  status?: number;
  error?: APIError;
  diagnostic?: Diagnostic;
}

export interface ParamInfo {
  name: string;
  in: 'path' | 'query' | 'body';
  type: string;
  required: boolean;
  repeated?: boolean;
  enum?: string[];
  description?: string;
}

export interface EndpointInfo {
  method: string;
  path: string;
  name?: string;
  summary: string;
  params: ParamInfo[] | null;
  scope: string;
  pagination?: string;
  idempotent?: boolean;
}

export interface EndpointsResult {
  apiVersion: string;
  endpoints: EndpointInfo[];
}

export interface TokenAddResult {
  name: string;
  fingerprint: string;
  storage: string;
  active?: boolean;
  warnings?: string[];
}

export interface TokenInfo {
  name: string;
  fingerprint: string;
  storage: string;
  active: boolean;
}

export interface TokenListResult {
  tokens: TokenInfo[];
  warnings?: string[];
}

export interface TokenVerifyResult {
  ok: boolean;
  name: string;
  status: number;
  requestId: string;
  historyId?: string;
  diagnostic?: Diagnostic;
}

export interface HistoryListParams {
  limit?: number;
  cursor?: string;
  status?: string;
  errorsOnly?: boolean;
  path?: string;
  requestId?: string;
  text?: string;
  since?: string;
  until?: string;
}

export interface HistoryEntry {
  id: string;
  time: string;
  method: string;
  path: string;
  query?: string;
  status: number;
  requestId: string;
  requestIds?: string[];
  durationMs: number;
  attempts?: number;
  cache: string;
  profile?: string;
  fingerprint?: string;
  apiVersion?: string;
  client?: string;
  responseSize?: number;
  error?: APIError;
  diagnostic?: Diagnostic;
}

export interface HTTPMessage {
  headers?: Record<string, string>;
  body?: string;
  size: number;
  truncated?: boolean;
}

export interface HistoryDetail extends HistoryEntry {
  request: HTTPMessage;
  response: HTTPMessage;
}

export interface HistoryListResult {
  entries: HistoryEntry[] | null;
  next?: string;
}

export interface HistoryExportResult {
  format: string;
  entries: number;
  data: string;
}

export interface RemovedResult {
  removed: number;
}

export interface HistoryAppendedParams {
  entry: HistoryEntry;
}

export interface CacheStatsResult {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
}
