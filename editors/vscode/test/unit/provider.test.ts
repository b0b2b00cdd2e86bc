import '../fake/install';
import * as assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc';
import { HistoryProvider } from '../../src/history/provider';
import { HistoryNode } from '../../src/history/items';
import { Methods } from '../../src/protocol';
import { entry, notFoundEntry } from '../fake/entries';
import { FakeRpc } from '../fake/rpc';
import * as fake from '../fake/vscode';

beforeEach(() => fake.reset());

function labels(p: HistoryProvider): string[] {
  return p.getChildren().map((n: HistoryNode) => String(p.getTreeItem(n).label));
}

describe('HistoryProvider', () => {
  test('refresh lists entries newest first with a load-more row', async () => {
    const rpc = new FakeRpc().on(Methods.historyList, { entries: [notFoundEntry(), entry()], next: 'c1' });
    const p = new HistoryProvider({ rpc, pageSize: () => 2 });
    let changes = 0;
    p.onDidChangeTreeData(() => changes++);
    await p.refresh();
    assert.deepEqual(rpc.calls[0].params, { limit: 2 });
    assert.deepEqual(labels(p), ['404 · GET /api/v1/catalog/nope', '200 · GET /api/v1/catalog', 'Load more…']);
    assert.equal(changes, 1);

    rpc.on(Methods.historyList, { entries: [entry({ id: 'old', path: '/api/v1/test' }), entry()] });
    await p.loadMore();
    assert.deepEqual(rpc.calls[1].params, { limit: 2, cursor: 'c1' });
    assert.deepEqual(labels(p), ['404 · GET /api/v1/catalog/nope', '200 · GET /api/v1/catalog', '200 · GET /api/v1/test']);
  });

  test('appended entries go on top, once, when they pass the filter', async () => {
    const rpc = new FakeRpc().on(Methods.historyList, { entries: [entry()] });
    const p = new HistoryProvider({ rpc });
    await p.refresh();
    p.append(notFoundEntry());
    p.append(notFoundEntry());
    assert.deepEqual(labels(p), ['404 · GET /api/v1/catalog/nope', '200 · GET /api/v1/catalog']);

    await p.setFilter({ errorsOnly: true });
    p.append(entry({ id: 'ok2' }));
    p.append(notFoundEntry({ id: 'err2', status: 500 }));
    assert.deepEqual(labels(p), ['500 · GET /api/v1/catalog/nope', '200 · GET /api/v1/catalog']);
  });

  const filterCases: Array<[string, Parameters<HistoryProvider['setFilter']>[0], string[]]> = [
    ['status class', { errorsOnly: false, statusClass: '4xx' }, ['h-0002']],
    ['path prefix without /api/v1', { errorsOnly: false, path: '/catalog/no' }, ['h-0002']],
    ['path prefix with /api/v1', { errorsOnly: false, path: '/api/v1/catalog' }, ['h-0001', 'h-0002', 'h-5xx']],
    ['path is a prefix, not a substring', { errorsOnly: false, path: '/nope' }, []],
    ['errors only counts error diagnostics', { errorsOnly: true, path: '/test' }, ['h-diag']],
    ['errors only', { errorsOnly: true }, ['h-0002', 'h-5xx', 'h-diag']],
  ];
  for (const [name, filter, wantIds] of filterCases) {
    test(`live filter: ${name}`, async () => {
      const rpc = new FakeRpc().on(Methods.historyList, { entries: [] });
      const p = new HistoryProvider({ rpc });
      await p.setFilter(filter);
      for (const e of [
        entry(),
        notFoundEntry(),
        entry({ id: 'h-5xx', status: 502 }),
        entry({ id: 'h-diag', path: '/api/v1/test', diagnostic: { severity: 'error', title: 'Body not JSON', detail: 'x' } }),
        entry({ id: 'h-warn', path: '/api/v1/test', diagnostic: { severity: 'warning', title: 'Stale', detail: 'x' } }),
      ]) p.append(e);
      assert.deepEqual(p.shown.map((e) => e.id).sort(), [...wantIds].sort());
    });
  }

  test('a failing list shows the problem in the view', async () => {
    const rpc = new FakeRpc().on(Methods.historyList, () => Promise.reject(new ResponseError(-32601, 'method not found')));
    const p = new HistoryProvider({ rpc });
    await p.refresh();
    assert.deepEqual(labels(p), ['Cannot load history: method not found (-32601)']);
  });

  test('empty history shows the welcome view; an empty filter result says so', async () => {
    const rpc = new FakeRpc().on(Methods.historyList, { entries: null });
    const p = new HistoryProvider({ rpc });
    await p.refresh();
    assert.deepEqual(labels(p), []);
    await p.setFilter({ errorsOnly: true });
    assert.deepEqual(labels(p), ['No entries match the filter.']);
  });

  test('a stale refresh does not overwrite a newer one', async () => {
    let release: (v: unknown) => void = () => undefined;
    const rpc = new FakeRpc().on(Methods.historyList, () => new Promise((r) => (release = r)));
    const p = new HistoryProvider({ rpc });
    const first = p.refresh();
    const releaseFirst = release;
    rpc.on(Methods.historyList, { entries: [notFoundEntry()] });
    await p.refresh();
    releaseFirst({ entries: [entry()] });
    await first;
    assert.deepEqual(p.shown.map((e) => e.id), ['h-0002']);
  });
});
