// The extension's client module against the real `aliasd stdio` (relaying to
// the shared daemon) and `aliasd mock`, in plain Node. Each step needs the
// daemon methods it uses; a step whose methods this daemon build does not
// list in capabilities.experimental.methods is skipped and says which.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test, TestContext } from 'node:test';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc';
import { AliasdClient, isCancelled } from '../../src/client';
import { buildCurl } from '../../src/curl';
import { entryDocument } from '../../src/format';
import {
  EndpointsResult,
  HistoryAppendedParams,
  HistoryDetail,
  HistoryEntry,
  HistoryExportResult,
  HistoryListResult,
  InitializeResult,
  Methods,
  PaginateResult,
  ProgressValue,
  RequestResult,
  StatusResult,
  TokenAddResult,
  TokenListResult,
  TokenVerifyResult,
} from '../../src/protocol';
import { parseQuery } from '../../src/query';
import { DaemonEnv, filesContaining, startEnv } from './env';

let env: DaemonEnv;
let client: AliasdClient;
let init: InitializeResult;
const logLines: string[] = [];
const appended: HistoryEntry[] = [];
let daemonPid = 0;

/** needs skips the test unless the daemon answers every method named. */
function needs(t: TestContext, ...methods: string[]): boolean {
  const have = init.capabilities.experimental?.methods ?? [];
  const missing = methods.filter((m) => !have.includes(m));
  if (missing.length > 0) {
    t.skip(`daemon lacks ${missing.join(', ')}`);
    return false;
  }
  return true;
}

async function waitFor<T>(what: string, get: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

before(async () => {
  env = await startEnv();
  client = new AliasdClient({
    command: env.bin,
    args: ['stdio'],
    env: env.env,
    clientInfo: { name: 'vscode', version: 'integration-test' },
    logger: {
      info: (m) => logLines.push(`info ${m}`),
      warn: (m) => logLines.push(`warn ${m}`),
      error: (m) => logLines.push(`error ${m}`),
    },
    trace: 'verbose',
  });
  client.onNotification(Methods.historyAppended, (p: HistoryAppendedParams) => appended.push(p.entry));
  init = await client.start();
});

after(async () => {
  await client?.stop();
  await env?.close();
  // The shared daemon exits after its idle timeout (3 s in this config);
  // stop it now if it is still there.
  if (daemonPid > 0) {
    try {
      process.kill(daemonPid, 'SIGTERM');
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        process.kill(daemonPid, 0);
        await new Promise((r) => setTimeout(r, 50));
      }
    } catch {
      // gone
    }
  }
  if (env) fs.rmSync(env.home, { recursive: true, force: true });
});

describe('client against aliasd', () => {
  test('initialize reports protocol version 1 and the methods', () => {
    assert.equal(init.serverInfo?.name, 'aliasd');
    assert.equal(init.capabilities.experimental?.protocolVersion, 1);
    assert.ok((init.capabilities.experimental?.methods ?? []).includes(Methods.status));
    assert.ok(!logLines.some((l) => l.includes('speaks protocol version')), 'unexpected protocol warning');
    logLines.push(`info methods: ${(init.capabilities.experimental?.methods ?? []).join(' ')}`);
  });

  test('alias/status reports the mock, file storage and the protocol', async () => {
    const s = await client.request<StatusResult>(Methods.status, {});
    assert.equal(s.protocolVersion, 1);
    assert.equal(s.baseUrl, env.baseUrl);
    assert.equal(s.tokenStorage, 'file');
    assert.ok(s.pid && s.pid > 0);
    daemonPid = s.pid!;
  });

  test('an unknown method is -32601 and the session goes on', async () => {
    await assert.rejects(client.request('alias/nope', {}), (e: unknown) => e instanceof ResponseError && e.code === -32601);
    const s = await client.request<StatusResult>(Methods.status, {});
    assert.equal(s.protocolVersion, 1);
  });

  test('token add, list and verify (the token never comes back)', async (t) => {
    if (!needs(t, Methods.tokenAdd, Methods.tokenList)) return;
    const r = await client.request<TokenAddResult>(Methods.tokenAdd, { name: 'default', token: env.token });
    assert.equal(r.name, 'default');
    assert.ok(r.fingerprint && !env.token.includes(r.fingerprint.replace(/[.…]+/g, '')), `fingerprint ${r.fingerprint} reveals the token`);
    const list = await client.request<TokenListResult>(Methods.tokenList, {});
    assert.ok(list.tokens.some((x) => x.name === 'default' && x.active), JSON.stringify(list));
    assert.ok(!JSON.stringify(list).includes(env.token));
    if (needs(t, Methods.tokenVerify)) {
      const v = await client.request<TokenVerifyResult>(Methods.tokenVerify, {});
      assert.equal(v.ok, true, JSON.stringify(v));
      assert.ok(v.requestId);
    }
  });

  test('a request is answered and appended to the history live', async (t) => {
    if (!needs(t, Methods.request, Methods.tokenAdd)) return;
    const before = appended.length;
    const r = await client.request<RequestResult>(Methods.request, { method: 'GET', path: '/api/v1/test' });
    assert.equal(r.status, 200, JSON.stringify(r));
    assert.ok(r.requestId, 'no request ID');
    if (!needs(t, Methods.historyList)) return;
    const e = await waitFor('alias/history/appended', () => appended.slice(before).find((x) => x.requestId === r.requestId));
    assert.equal(e.status, 200);
    assert.equal(e.path, '/api/v1/test');
    const list = await client.request<HistoryListResult>(Methods.historyList, { limit: 10 });
    assert.equal(list.entries?.[0]?.requestId, r.requestId, 'newest entry first');
  });

  test('an API error carries the diagnostic into the history entry', async (t) => {
    if (!needs(t, Methods.request, Methods.historyGet, Methods.tokenAdd)) return;
    const r = await client.request<RequestResult>(Methods.request, { method: 'GET', path: '/api/v1/catalog/no-such-item' });
    assert.equal(r.status, 404, JSON.stringify(r));
    assert.ok(r.error && r.diagnostic, 'error and diagnostic expected');
    const d = await client.request<HistoryDetail>(Methods.historyGet, { requestId: r.requestId });
    assert.equal(d.id, r.historyId);
    assert.equal(d.diagnostic?.title, r.diagnostic!.title);
    const doc = entryDocument(d);
    assert.ok(doc.includes(r.diagnostic!.title) && doc.includes(r.requestId), doc);
    const errors = await client.request<HistoryListResult>(Methods.historyList, { errorsOnly: true, limit: 50 });
    assert.ok((errors.entries ?? []).length > 0);
    assert.ok((errors.entries ?? []).every((x) => x.status === 0 || x.status >= 400), 'errorsOnly returned a success');
  });

  test('re-running a recorded query and copying it as cURL', async (t) => {
    if (!needs(t, Methods.request, Methods.historyGet, Methods.tokenAdd)) return;
    const first = await client.request<RequestResult>(Methods.request, {
      method: 'GET',
      path: '/api/v1/catalog',
      query: { query: "dunk low 'black'", limit: 2 },
    });
    assert.equal(first.status, 200, JSON.stringify(first));
    const d = await client.request<HistoryDetail>(Methods.historyGet, { id: first.historyId });
    const again = await client.request<RequestResult>(Methods.request, { method: d.method, path: d.path, query: parseQuery(d.query) });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, first.body, 're-run with the recorded query should get the same page');
    const curl = buildCurl({ baseUrl: env.baseUrl, method: d.method, path: d.path, query: d.query });
    assert.ok(curl.includes('$ALIAS_TOKEN') && !curl.includes(env.token), curl);
    assert.ok(curl.includes(`'${env.baseUrl}/catalog?`) || curl.includes(`/api/v1/catalog?`), curl);
  });

  test('alias/endpoints lists the catalog with parameters', async (t) => {
    if (!needs(t, Methods.endpoints)) return;
    const r = await client.request<EndpointsResult>(Methods.endpoints, {});
    const search = r.endpoints.find((e) => e.method === 'GET' && e.path.endsWith('/catalog'));
    assert.ok(search, 'GET /catalog missing');
    assert.ok(search!.pagination, 'catalog search should be paginated');
    assert.ok((search!.params ?? []).some((p) => p.name === 'query' && p.required));
    assert.ok(r.endpoints.some((e) => (e.params ?? []).some((p) => p.type === 'enum' && (p.enum ?? []).length > 0)));
  });

  test('alias/paginate reports $/progress and can be cancelled', async (t) => {
    if (!needs(t, Methods.paginate, Methods.tokenAdd)) return;
    const progress: ProgressValue[] = [];
    const sub = client.onProgress('it-pages-1', (v) => progress.push(v));
    const r = await client.request<PaginateResult>(Methods.paginate, {
      path: '/api/v1/catalog',
      query: { query: 'nike', limit: 2 },
      maxPages: 3,
      workDoneToken: 'it-pages-1',
    });
    sub.dispose();
    assert.ok(r.pages >= 1 && r.items.length > 0, JSON.stringify({ pages: r.pages, n: r.items.length }));
    assert.equal(r.requestIds.length, r.pages);
    assert.ok(progress.length > 0, 'no $/progress for the work-done token');

    // Cancel a slow walk after its first progress report: every catalog page
    // takes 300 ms at the mock, so the cancel arrives while pages remain.
    const origin = new URL(env.baseUrl).origin;
    const slow = await fetch(`${origin}/_mock/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ method: 'GET', path_prefix: '/catalog', latency: '300ms' }),
    });
    assert.equal(slow.status, 200, await slow.text());
    const cts = new CancellationTokenSource();
    const reports: ProgressValue[] = [];
    const sub2 = client.onProgress('it-pages-2', (v) => {
      reports.push(v);
      if (v.kind !== 'begin') cts.cancel();
    });
    try {
      await assert.rejects(
        client.request<PaginateResult>(
          Methods.paginate,
          { path: '/api/v1/catalog', query: { query: 'a', limit: 1 }, maxPages: 1000, workDoneToken: 'it-pages-2' },
          cts.token,
        ),
        (err: unknown) => isCancelled(err),
        'paginate should answer -32800 after $/cancelRequest',
      );
      assert.ok(reports.length > 0, 'no progress before the cancel');
    } finally {
      await fetch(`${origin}/_mock/faults`, { method: 'DELETE' });
    }
    sub2.dispose();
  });

  test('history export as HAR is JSON and holds no token', async (t) => {
    if (!needs(t, Methods.historyExport)) return;
    const r = await client.request<HistoryExportResult>(Methods.historyExport, { format: 'har' });
    const har = JSON.parse(r.data);
    assert.ok(Array.isArray(har.log?.entries), 'HAR without log.entries');
    assert.ok(!r.data.includes(env.token), 'the HAR export contains the token');
  });

  test('a killed relay is restarted and the session works again', async () => {
    const pid = client.pid!;
    process.kill(pid, 'SIGKILL');
    await waitFor('restart', () => (client.state === 'running' && client.pid !== pid ? true : undefined));
    const s = await client.request<StatusResult>(Methods.status, {});
    assert.equal(s.protocolVersion, 1);
    assert.ok(logLines.some((l) => l.includes('aliasd exited unexpectedly (signal SIGKILL)')), logLines.join('\n'));
  });

  test('the token is in no log line, and only in the token store on disk', () => {
    const all = logLines.join('\n') + env.mockStderr();
    assert.ok(!all.includes(env.token), 'the token reached a log');
    const all2 = filesContaining(env.home, env.token);
    const files = all2.filter((f) => !/token/i.test(f.slice(env.home.length)));
    assert.deepEqual(files, [], `files outside the token store contain the token: ${files.join(', ')}`);
    logLines.push(`info token store files: ${all2.map((f) => f.slice(env.home.length)).join(', ')}`);
  });
});
