import '../fake/install';
import * as assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc';
import * as fake from '../fake/vscode';
import { addToken } from '../../src/commands/addToken';
import { clearCache } from '../../src/commands/clearCache';
import { copyCurl } from '../../src/commands/copyCurl';
import { copyRequestId } from '../../src/commands/copyRequestId';
import { forgetEndpoints } from '../../src/commands/endpoints';
import { exportHar } from '../../src/commands/exportHar';
import { fetchAllPages, progressReporter } from '../../src/commands/fetchAllPages';
import { findRequestId } from '../../src/commands/findRequestId';
import { toggleErrorsOnly, filterStatus, filterPath, clearFilters } from '../../src/commands/historyFilters';
import { openEntry } from '../../src/commands/openEntry';
import { rerun, rerunParams } from '../../src/commands/rerun';
import { sendRequest } from '../../src/commands/sendRequest';
import { showStatus } from '../../src/commands/showStatus';
import { useProfile } from '../../src/commands/useProfile';
import { verifyToken } from '../../src/commands/verifyToken';
import { EndpointInfo, Methods, PaginateParams, RequestResult } from '../../src/protocol';
import { entry, notFoundEntry } from '../fake/entries';
import { FakeRpc } from '../fake/rpc';
import { makeServices } from '../fake/services';

const ui = fake.ui;

beforeEach(() => {
  fake.reset();
  forgetEndpoints();
});

/** Every string the extension showed or logged, for secret scans. */
function everythingShown(s: ReturnType<typeof makeServices>): string {
  return JSON.stringify([ui.messages, ui.statusMessages, ui.shown.map((d) => d.text), ui.outputLines, s.logLines, ui.clipboard]);
}

const endpoints: EndpointInfo[] = [
  { method: 'GET', path: '/api/v1/test', name: 'Test', summary: 'Check that a token works', params: null, scope: 'test' },
  {
    method: 'GET',
    path: '/api/v1/catalog',
    name: 'SearchCatalog',
    summary: 'Search the catalog',
    scope: 'catalog',
    pagination: 'catalog',
    params: [
      { name: 'query', in: 'query', type: 'string', required: true },
      { name: 'limit', in: 'query', type: 'int64', required: false },
      { name: 'pagination_token', in: 'query', type: 'string', required: false },
    ],
  },
  {
    method: 'GET',
    path: '/api/v1/pricing_insights/availabilities/{catalog_id}',
    name: 'ListAvailabilities',
    summary: 'Market data for every variant',
    scope: 'pricing',
    params: [
      { name: 'region_id', in: 'query', type: 'string', required: false, description: 'region' },
      { name: 'consigned', in: 'query', type: 'bool', required: false },
      { name: 'catalog_id', in: 'path', type: 'string', required: true },
    ],
  },
  {
    method: 'GET',
    path: '/api/v1/pricing_insights/offer_histogram',
    name: 'GetOfferHistogram',
    summary: 'Offers per price',
    scope: 'pricing',
    params: [
      { name: 'region_id', in: 'query', type: 'string', required: false },
      { name: 'catalog_id', in: 'query', type: 'string', required: true },
      { name: 'size', in: 'query', type: 'double', required: true },
      {
        name: 'product_condition',
        in: 'query',
        type: 'enum',
        required: true,
        enum: ['PRODUCT_CONDITION_NEW', 'PRODUCT_CONDITION_USED', 'PRODUCT_CONDITION_NEW_WITH_DEFECTS'],
      },
      { name: 'packaging_condition', in: 'query', type: 'enum', required: true, enum: ['PACKAGING_CONDITION_GOOD_CONDITION', 'PACKAGING_CONDITION_MISSING_LID'] },
    ],
  },
];

function okResult(over: Partial<RequestResult> = {}): RequestResult {
  return { status: 200, requestId: 'rid-200', body: { ok: true }, durationMs: 7, cache: 'miss', historyId: 'h9', ...over };
}

describe('Add Token', () => {
  test('sends exactly alias/token/add with the typed token and shows the fingerprint', async () => {
    const token = 'goatapi_' + 'x'.repeat(30) + Date.now();
    const rpc = new FakeRpc().on(Methods.tokenAdd, (p: any) => ({ name: p.name, fingerprint: 'goatapi_…9f3e', storage: 'file', active: true }));
    const s = makeServices(rpc, { profile: 'default' });
    ui.inputAnswers.push('work', `  ${token}\n`);

    const r = await addToken(s);

    assert.deepEqual(rpc.calls.map((c) => [c.method, c.params]), [[Methods.tokenAdd, { name: 'work', token }]]);
    assert.equal(r?.fingerprint, 'goatapi_…9f3e');
    assert.equal(ui.inputCalls[0].options.value, 'default', 'profile prompt should default to the active profile');
    assert.equal(ui.inputCalls[1].options.password, true, 'token input must be password-masked');
    assert.equal(ui.inputCalls[0].options.password, undefined);
    assert.equal(ui.messages.length, 1);
    assert.equal(ui.messages[0].level, 'info');
    assert.match(ui.messages[0].text, /token "work" \(goatapi_…9f3e\) stored in the plain-file fallback/);
    assert.ok(!everythingShown(s).includes(token), 'the token appeared in a message or log');
    assert.ok(!everythingShown(s).includes('x'.repeat(30)), 'part of the token appeared in a message or log');
  });

  test('cancelling either prompt sends nothing', async () => {
    for (const answers of [[undefined], ['work', undefined]]) {
      fake.reset();
      const rpc = new FakeRpc();
      const s = makeServices(rpc);
      ui.inputAnswers.push(...(answers as Array<string | undefined>));
      assert.equal(await addToken(s), undefined);
      assert.deepEqual(rpc.calls, []);
    }
  });

  test('input validation rejects bad names and tokens', async () => {
    const rpc = new FakeRpc();
    const s = makeServices(rpc);
    let nameProblem: string | undefined;
    let tokenProblem: string | undefined;
    ui.inputAnswers.push(
      (o) => {
        nameProblem = o.validateInput('bad name/');
        return undefined;
      },
    );
    await addToken(s);
    fake.reset();
    ui.inputAnswers.push('ok', (o) => {
      tokenProblem = o.validateInput('two words');
      return undefined;
    });
    await addToken(makeServices(rpc));
    assert.match(nameProblem ?? '', /letters, digits/);
    assert.match(tokenProblem ?? '', /no spaces/);
  });
});

describe('Use Profile', () => {
  test('offers the tokens and uses the picked one', async () => {
    const rpc = new FakeRpc()
      .on(Methods.tokenList, {
        tokens: [
          { name: 'default', fingerprint: 'f1', storage: 'keyring', active: true },
          { name: 'ci', fingerprint: 'f2', storage: 'file', active: false },
        ],
      })
      .on(Methods.tokenUse, { tokens: [] });
    const s = makeServices(rpc);
    ui.pickAnswers.push('ci');
    assert.equal(await useProfile(s), 'ci');
    assert.deepEqual(rpc.calls[1], { method: Methods.tokenUse, params: { name: 'ci' }, token: undefined });
    assert.equal(ui.pickCalls[0].items[0].picked, true);
  });
  test('no tokens offers Add Token', async () => {
    const rpc = new FakeRpc().on(Methods.tokenList, { tokens: [] });
    const s = makeServices(rpc);
    ui.messageAnswers.push('Add Token');
    await useProfile(s);
    assert.deepEqual(ui.executed.map((e) => e.command), ['aliasd.addToken']);
  });
});

describe('Verify Token', () => {
  test('failure shows the diagnostic', async () => {
    const rpc = new FakeRpc().on(Methods.tokenVerify, {
      ok: false,
      name: 'default',
      status: 401,
      requestId: 'r401',
      diagnostic: { severity: 'error', title: 'Token rejected', detail: 'The API answered 401.' },
    });
    await verifyToken(makeServices(rpc));
    assert.equal(ui.messages[0].level, 'warning');
    assert.match(ui.messages[0].text, /Token rejected: The API answered 401\. \(request ID r401\)/);
  });
});

describe('Send Request', () => {
  test('walks required parameters first, offers enum values, sends and opens the response', async () => {
    const rpc = new FakeRpc()
      .on(Methods.endpoints, { apiVersion: '1.3.6', endpoints })
      .on(Methods.request, okResult({ status: 200, requestId: 'rid-hist', body: { offer_histogram: { bins: [] } } }));
    const s = makeServices(rpc);
    ui.pickAnswers.push(
      'GET /api/v1/pricing_insights/offer_histogram',
      'PRODUCT_CONDITION_USED', // product_condition (required enum)
      'PACKAGING_CONDITION_GOOD_CONDITION', // packaging_condition (required enum)
      ['region_id'], // optional parameters to set
    );
    ui.inputAnswers.push('dunk-low-black-white-dd1391-100', '10.5', '1');

    const sent = await sendRequest(s);

    // Prompt order: catalog_id, size (inputs) and the two enums (picks) before the optional region_id.
    const inputs = ui.inputCalls.map((c) => c.options.title);
    assert.deepEqual(inputs, [
      'GET /api/v1/pricing_insights/offer_histogram: catalog_id',
      'GET /api/v1/pricing_insights/offer_histogram: size',
      'GET /api/v1/pricing_insights/offer_histogram: region_id (optional)',
    ]);
    const enumPick = ui.pickCalls[1];
    assert.deepEqual(enumPick.items, ['PRODUCT_CONDITION_NEW', 'PRODUCT_CONDITION_USED', 'PRODUCT_CONDITION_NEW_WITH_DEFECTS']);
    assert.equal(ui.pickCalls[3].options.canPickMany, true);
    assert.deepEqual(ui.pickCalls[3].items.map((i: any) => i.label), ['region_id']);

    const req = rpc.calls.find((c) => c.method === Methods.request)!;
    assert.deepEqual(req.params, {
      method: 'GET',
      path: '/api/v1/pricing_insights/offer_histogram',
      query: {
        catalog_id: 'dunk-low-black-white-dd1391-100',
        size: 10.5,
        product_condition: 'PRODUCT_CONDITION_USED',
        packaging_condition: 'PACKAGING_CONDITION_GOOD_CONDITION',
        region_id: '1',
      },
    });
    assert.ok(req.token, 'the request should be cancellable');
    assert.equal(sent?.result.requestId, 'rid-hist');

    assert.equal(ui.shown.length, 1);
    const doc = ui.shown[0];
    assert.equal(doc.languageId, 'jsonc');
    assert.match(doc.uri.path, /200 GET offer_histogram\.jsonc$/);
    assert.match(doc.text, /^\/\/ 200 · GET \/api\/v1\/pricing_insights\/offer_histogram\?catalog_id=dunk-low/);
    assert.match(doc.text, /\/\/ request-id: rid-hist/);
    assert.match(doc.text, /\/\/ time: 7 ms/);
  });

  test('path parameters are substituted and bool values offered as a pick', async () => {
    const rpc = new FakeRpc().on(Methods.endpoints, { apiVersion: '1', endpoints }).on(Methods.request, okResult());
    const s = makeServices(rpc);
    ui.pickAnswers.push('GET /api/v1/pricing_insights/availabilities/{catalog_id}', ['consigned'], 'false');
    ui.inputAnswers.push('a b/c');
    await sendRequest(s);
    const req = rpc.calls.find((c) => c.method === Methods.request)!;
    assert.deepEqual(req.params, {
      method: 'GET',
      path: '/api/v1/pricing_insights/availabilities/a%20b%2Fc',
      query: { consigned: false },
    });
  });

  test('an API error opens with its diagnostic in the header', async () => {
    const rpc = new FakeRpc()
      .on(Methods.endpoints, { apiVersion: '1', endpoints })
      .on(Methods.request, okResult({ status: 404, requestId: 'rid-404', error: notFoundEntry().error, diagnostic: notFoundEntry().diagnostic }));
    const s = makeServices(rpc);
    ui.pickAnswers.push('GET /api/v1/pricing_insights/availabilities/{catalog_id}', []);
    ui.inputAnswers.push('nope');
    await sendRequest(s);
    assert.match(ui.shown[0].text, /\/\/ error: Catalog item not found/);
    assert.match(ui.shown[0].uri.path, /404 GET nope\.jsonc$/);
  });

  test('escape at any step sends nothing', async () => {
    const rpc = new FakeRpc().on(Methods.endpoints, { apiVersion: '1', endpoints });
    const s = makeServices(rpc);
    ui.pickAnswers.push('GET /api/v1/pricing_insights/offer_histogram', 'PRODUCT_CONDITION_NEW', undefined);
    ui.inputAnswers.push('id', '9');
    assert.equal(await sendRequest(s), undefined);
    assert.deepEqual(rpc.methods(), [Methods.endpoints]);
  });

  test('endpoints are fetched once', async () => {
    const rpc = new FakeRpc().on(Methods.endpoints, { apiVersion: '1', endpoints }).on(Methods.request, okResult());
    const s = makeServices(rpc);
    ui.pickAnswers.push('GET /api/v1/test', 'GET /api/v1/test');
    await sendRequest(s);
    await sendRequest(s);
    assert.deepEqual(rpc.methods(), [Methods.endpoints, Methods.request, Methods.request]);
  });
});

describe('Fetch All Pages', () => {
  test('offers only paginated endpoints, maps $/progress and opens the items', async () => {
    const rpc = new FakeRpc().on(Methods.endpoints, { apiVersion: '1', endpoints });
    rpc.on(Methods.paginate, async (p: PaginateParams) => {
      rpc.emitProgress(p.workDoneToken!, { kind: 'begin', title: 'Fetching pages', percentage: 0 });
      rpc.emitProgress(p.workDoneToken!, { kind: 'report', message: 'page 1: 2 items', percentage: 40 });
      rpc.emitProgress(p.workDoneToken!, { kind: 'report', message: 'page 2: 4 items', percentage: 100 });
      rpc.emitProgress(p.workDoneToken!, { kind: 'end', message: 'done' });
      return { items: [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }], pages: 2, requestIds: ['r1', 'r2'], truncated: false, status: 200 };
    });
    const s = makeServices(rpc);
    ui.pickAnswers.push((items: any[]) => {
      assert.deepEqual(items.map((i) => i.label), ['GET /api/v1/catalog']);
      return items[0];
    }, []);
    ui.inputAnswers.push('dunk');

    const r = await fetchAllPages(s);

    assert.equal(r?.items.length, 4);
    const call = rpc.calls.find((c) => c.method === Methods.paginate)!;
    assert.equal(call.params.path, '/api/v1/catalog');
    assert.deepEqual(call.params.query, { query: 'dunk' });
    assert.equal(call.params.maxPages, 50);
    assert.equal(typeof call.params.workDoneToken, 'string');
    assert.ok(call.token, 'paginate must get the progress cancellation token');
    // pagination_token is managed by the daemon and never asked for.
    assert.deepEqual(ui.pickCalls[1].items.map((i: any) => i.label), ['limit']);
    assert.equal(ui.progress[0].options.cancellable, true);
    assert.deepEqual(ui.progress[0].reports, [
      { message: 'Fetching pages' },
      { message: 'page 1: 2 items', increment: 40 },
      { message: 'page 2: 4 items', increment: 60 },
      { message: 'done' },
    ]);
    assert.equal(rpc.progress.size, 0, 'the progress handler should be disposed');
    assert.match(ui.shown[0].text, /^\/\/ 4 items in 2 pages · GET \/api\/v1\/catalog\n\/\/ request-ids: r1, r2\n/);
  });

  test('cancelling the notification cancels the request', async () => {
    const rpc = new FakeRpc().on(Methods.endpoints, { apiVersion: '1', endpoints });
    let sawCancel = false;
    rpc.on(Methods.paginate, (p: PaginateParams, token) =>
      new Promise((_, reject) => {
        rpc.emitProgress(p.workDoneToken!, { kind: 'report', message: 'page 1', percentage: 10 });
        token!.onCancellationRequested(() => {
          sawCancel = true;
          // What the daemon answers to $/cancelRequest.
          reject(new ResponseError(-32800, 'request cancelled'));
        });
      }),
    );
    const s = makeServices(rpc);
    ui.onProgress = (rec) => setTimeout(() => rec.source.cancel(), 10);
    ui.pickAnswers.push('GET /api/v1/catalog', []);
    ui.inputAnswers.push('dunk');

    const r = await fetchAllPages(s);

    assert.equal(r, undefined);
    assert.ok(sawCancel, 'the paginate request never saw the cancellation');
    assert.deepEqual(ui.statusMessages, ['aliasd: Fetch All Pages cancelled']);
    assert.equal(ui.shown.length, 0);
    assert.equal(ui.messages.length, 0, 'a cancel is not an error');
  });

  test('other errors propagate', async () => {
    const rpc = new FakeRpc()
      .on(Methods.endpoints, { apiVersion: '1', endpoints })
      .on(Methods.paginate, () => Promise.reject(new ResponseError(-32602, 'invalid params: path')));
    const s = makeServices(rpc);
    ui.pickAnswers.push('GET /api/v1/catalog', []);
    ui.inputAnswers.push('dunk');
    await assert.rejects(fetchAllPages(s), /invalid params: path/);
  });

  test('progressReporter never goes backwards', () => {
    const reports: any[] = [];
    const r = progressReporter({ report: (v) => reports.push(v) });
    r({ kind: 'report', percentage: 50 });
    r({ kind: 'report', percentage: 30, message: 'retry' });
    r({ kind: 'report', percentage: 150 });
    assert.deepEqual(reports, [{ increment: 50 }, { message: 'retry' }, { increment: 50 }]);
  });
});

describe('history entry commands', () => {
  test('open shows the history/get document', async () => {
    const e = notFoundEntry();
    const rpc = new FakeRpc().on(Methods.historyGet, (p: any) => {
      assert.deepEqual(p, { id: e.id });
      return { ...e, request: { size: 0 }, response: { body: '{"code":5}', size: 10 } };
    });
    const s = makeServices(rpc);
    await openEntry(s, { kind: 'entry', entry: e });
    assert.equal(ui.shown[0].uri.scheme, 'aliasd-history');
    assert.match(ui.shown[0].text, /Catalog item not found/);
    assert.match(ui.shown[0].text, /Request ID: {2}0a9b8c7d-1111-2222-3333-444455556666/);
  });

  test('open without an argument uses the selection, else says what to do', async () => {
    const s = makeServices(new FakeRpc());
    await assert.rejects(openEntry(s), /select a history entry first/);
  });

  test('copy request ID', async () => {
    const s = makeServices(new FakeRpc());
    s.selected = entry();
    assert.equal(await copyRequestId(s), entry().requestId);
    assert.equal(ui.clipboard, entry().requestId);
  });

  test('copy as cURL uses the daemon base URL and $ALIAS_TOKEN', async () => {
    const s = makeServices(new FakeRpc(), { baseUrl: 'http://127.0.0.1:4567' });
    const text = await copyCurl(s, { kind: 'entry', entry: entry() });
    assert.equal(text, `curl -sS 'http://127.0.0.1:4567/api/v1/catalog?query=dunk+low' -H "Authorization: Bearer $ALIAS_TOKEN"`);
    assert.equal(ui.clipboard, text);
  });

  test('copy as cURL of a POST fetches the recorded body', async () => {
    const e = entry({ method: 'POST', path: '/api/v1/listings/batch_create', query: undefined });
    const rpc = new FakeRpc().on(Methods.historyGet, {
      ...e,
      request: { headers: { 'Content-Type': 'application/json', Authorization: '[redacted]' }, body: '{"items":[]}', size: 12 },
      response: { size: 0 },
    });
    const text = await copyCurl(makeServices(rpc, {}), e);
    assert.match(text, /-X 'POST' 'http:\/\/127\.0\.0\.1:1\/api\/v1\/listings\/batch_create'/);
    assert.match(text, /--data-binary '\{"items":\[\]\}'$/);
    assert.ok(!text.includes('[redacted]'));
  });

  test('re-run sends the same method, path and query', async () => {
    const rpc = new FakeRpc().on(Methods.request, okResult());
    const s = makeServices(rpc);
    await rerun(s, { kind: 'entry', entry: entry({ query: 'query=dunk+low&ids=a&ids=b' }) });
    assert.deepEqual(rpc.calls[0].params, { method: 'GET', path: '/api/v1/catalog', query: { query: 'dunk low', ids: ['a', 'b'] } });
    assert.equal(ui.shown.length, 1);
  });

  test('re-run of a write asks first and sends the recorded body', async () => {
    const e = entry({ method: 'POST', path: '/api/v1/listings/batch_create', query: undefined });
    const rpc = new FakeRpc()
      .on(Methods.historyGet, { ...e, request: { body: '{"items":[{"catalog_id":"c"}]}', size: 1 }, response: { size: 0 } })
      .on(Methods.request, okResult());
    ui.messageAnswers.push(undefined);
    assert.equal(await rerun(makeServices(rpc), e), undefined, 'declining must not send');
    assert.deepEqual(rpc.methods(), []);
    ui.messageAnswers.push('Re-run');
    await rerun(makeServices(rpc), e);
    assert.deepEqual(rpc.calls.at(-1)!.params, { method: 'POST', path: '/api/v1/listings/batch_create', body: { items: [{ catalog_id: 'c' }] } });
  });

  test('rerunParams refuses a truncated body', () => {
    assert.throws(() => rerunParams({ method: 'POST', path: '/p', request: { body: '{"a":' } }), /not JSON/);
  });

  test('export HAR writes the daemon export to the chosen file with the view filter', async () => {
    const rpc = new FakeRpc().on(Methods.historyExport, { format: 'har', entries: 2, data: '{"log":{}}' });
    const s = makeServices(rpc);
    s.history.filter = { errorsOnly: true, statusClass: '4xx' };
    const target = fake.Uri.file('/tmp/out.har');
    ui.saveAnswers.push(target);
    await exportHar(s);
    assert.deepEqual(rpc.calls[0].params, { format: 'har', errorsOnly: true, status: '4xx' });
    assert.equal(ui.written[0].uri, target);
    assert.equal(Buffer.from(ui.written[0].data).toString(), '{"log":{}}');
  });

  test('export HAR cancelled in the dialog asks the daemon nothing', async () => {
    const rpc = new FakeRpc();
    ui.saveAnswers.push(undefined);
    await exportHar(makeServices(rpc));
    assert.deepEqual(rpc.calls, []);
  });
});

describe('Find Request ID', () => {
  test('asks the daemon when the row is not shown and opens the entry', async () => {
    const e = notFoundEntry();
    const rpc = new FakeRpc().on(Methods.historyGet, (p: any) =>
      p.requestId ? { ...e, request: { size: 0 }, response: { size: 0 } } : { ...e, request: { size: 0 }, response: { size: 0 } },
    );
    const s = makeServices(rpc);
    ui.inputAnswers.push(`  ${e.requestId} `);
    const got = await findRequestId(s);
    assert.equal(got?.id, e.id);
    assert.deepEqual(rpc.calls[0].params, { requestId: e.requestId });
    assert.equal(ui.shown[0].uri.scheme, 'aliasd-history');
  });

  test('unknown request ID says so', async () => {
    const rpc = new FakeRpc().on(Methods.historyGet, () => Promise.reject(new ResponseError(-32602, 'no history entry with request ID x')));
    const s = makeServices(rpc);
    ui.inputAnswers.push('x');
    assert.equal(await findRequestId(s), undefined);
    assert.match(ui.messages[0].text, /no history entry has request ID x/);
  });
});

describe('filters, cache, status', () => {
  test('filter commands reload the view with list parameters', async () => {
    const rpc = new FakeRpc().on(Methods.historyList, { entries: [] });
    const s = makeServices(rpc);
    await toggleErrorsOnly(s);
    ui.pickAnswers.push('5xx');
    await filterStatus(s);
    ui.inputAnswers.push(' /api/v1/catalog ');
    await filterPath(s);
    await clearFilters(s);
    assert.deepEqual(
      rpc.calls.map((c) => c.params),
      [
        { limit: 100, errorsOnly: true },
        { limit: 100, errorsOnly: true, status: '5xx' },
        { limit: 100, errorsOnly: true, status: '5xx', path: '/api/v1/catalog' },
        { limit: 100 },
      ],
    );
  });

  test('clear cache reports the count', async () => {
    const rpc = new FakeRpc().on(Methods.cacheClear, { removed: 3 });
    assert.equal(await clearCache(makeServices(rpc)), 3);
    assert.match(ui.messages[0].text, /removed 3 cached responses/);
  });

  test('show status opens the status as JSON', async () => {
    const st = { version: 'v', protocolVersion: 1, apiVersion: 'a', baseUrl: 'http://b', profile: 'p', tokenStorage: 'file', dataDir: '/d' };
    const rpc = new FakeRpc().on(Methods.status, st);
    await showStatus(makeServices(rpc));
    assert.match(ui.shown[0].text, /\/\/ tokens are stored in a plain file/);
    assert.match(ui.shown[0].text, /"baseUrl": "http:\/\/b"/);
  });
});
