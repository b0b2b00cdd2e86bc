import '../fake/install';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { AliasdClient, AliasdClientOptions, ClientState, NotRunningError } from '../../src/client';
import { ProgressValue } from '../../src/protocol';

const stub = path.join(__dirname, '..', 'fake', 'stubDaemon.js');

interface Harness {
  client: AliasdClient;
  lines: string[];
  states: ClientState[];
}

const clients: AliasdClient[] = [];
afterEach(async () => {
  while (clients.length) await clients.pop()!.stop();
});

function harness(over: Partial<AliasdClientOptions> = {}, env: Record<string, string> = {}): Harness {
  const lines: string[] = [];
  const states: ClientState[] = [];
  const client = new AliasdClient({
    command: process.execPath,
    args: [stub],
    env,
    clientInfo: { name: 'vscode', version: 'test' },
    logger: {
      info: (m) => lines.push(`info ${m}`),
      warn: (m) => lines.push(`warn ${m}`),
      error: (m) => lines.push(`error ${m}`),
    },
    restartDelayMs: 20,
    ...over,
  });
  client.onStateChange((s) => states.push(s));
  clients.push(client);
  return { client, lines, states };
}

/** waitFor polls cond for up to 20 s (generous for a loaded 2-core machine). */
async function waitFor(what: string, cond: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('AliasdClient', () => {
  test('initializes with clientInfo and relays stderr to the log', async () => {
    const h = harness();
    const r = await h.client.start();
    assert.equal(r.capabilities.experimental?.protocolVersion, 1);
    assert.equal(h.client.state, 'running');
    await waitFor('stderr lines', () => h.lines.some((l) => l.includes('stub: initialized')));
    assert.ok(h.lines.some((l) => l.includes('[stderr] stub: initialize from vscode test')), h.lines.join('\n'));
    assert.ok(!h.lines.some((l) => l.startsWith('warn')), `unexpected warning:\n${h.lines.join('\n')}`);
  });

  test('a protocol version mismatch warns once, across restarts', async () => {
    const h = harness({}, { STUB_PROTOCOL_VERSION: '2' });
    await h.client.start();
    await h.client.request('test/crash').catch(() => undefined);
    await waitFor('restart', () => h.states.filter((s) => s === 'running').length === 2);
    const warnings = h.lines.filter((l) => l.includes('protocol version 2'));
    assert.equal(warnings.length, 1, h.lines.join('\n'));
    assert.match(warnings[0], /^warn aliasd speaks protocol version 2, this extension expects 1/);
  });

  test('restarts after a crash and keeps notification handlers', async () => {
    const h = harness();
    const got: unknown[] = [];
    h.client.onNotification('alias/history/appended', (p) => got.push(p));
    await h.client.start();
    const pid1 = await h.client.request<number>('test/pid');
    await assert.rejects(h.client.request('test/crash'));
    await waitFor('restart', () => h.client.state === 'running' && h.client.pid !== pid1);
    const pid2 = await h.client.request<number>('test/pid');
    assert.notEqual(pid2, pid1);
    await h.client.request('test/notify');
    await waitFor('notification', () => got.length === 1);
    assert.deepEqual(got, [{ entry: { id: 'n1' } }]);
    assert.ok(h.lines.some((l) => l.startsWith('error aliasd exited unexpectedly (code 3)')), h.lines.join('\n'));
    assert.ok(h.lines.some((l) => l === 'warn [daemon] stub warning'), 'window/logMessage should reach the log');
  });

  test('stops restarting when the crash budget is spent', async () => {
    const h = harness({ maxRestarts: 2, restartWindowMs: 60_000 });
    await h.client.start();
    for (let i = 0; i < 3; i++) {
      await waitFor(`running before crash ${i + 1}`, () => h.client.state === 'running');
      await h.client.request('test/crash').catch(() => undefined);
      await waitFor(`crash ${i + 1} noticed`, () => h.client.state !== 'running');
    }
    await waitFor('failed', () => h.client.state === 'failed');
    assert.match(h.client.failureReason ?? '', /crashed 3 times within 60s; not restarting/);
    await assert.rejects(h.client.request('test/pid'), (err: Error) => err instanceof NotRunningError && /not restarting/.test(err.message));
    // A manual restart gets a fresh budget.
    await h.client.restart();
    assert.equal(typeof (await h.client.request('test/pid')), 'number');
  });

  test('crashes outside the window do not count', async () => {
    let now = 0;
    const h = harness({ maxRestarts: 1, restartWindowMs: 1000, now: () => now });
    await h.client.start();
    for (let i = 0; i < 3; i++) {
      now += 5000;
      await h.client.request('test/crash').catch(() => undefined);
      await waitFor(`restart ${i + 1}`, () => h.states.filter((s) => s === 'running').length === i + 2);
    }
    assert.equal(h.client.state, 'running');
  });

  test('a daemon that dies during initialize is retried, then given up', async () => {
    const h = harness({ maxRestarts: 1 }, { STUB_EXIT_ON_INIT: '1' });
    await assert.rejects(h.client.start(), /initialize failed/);
    await waitFor('failed', () => h.client.state === 'failed');
    assert.match(h.client.failureReason ?? '', /crashed 2 times/);
  });

  test('a missing binary fails at once, naming the setting', async () => {
    const h = harness({ command: '/nonexistent/aliasd' });
    await assert.rejects(h.client.start(), /Set aliasd.path/);
    assert.equal(h.client.state, 'failed');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(h.states, ['starting', 'failed'], 'no restart for a missing binary');
  });

  test('verbose tracing never logs the token', async () => {
    const token = 'goatapi_' + Math.random().toString(36).slice(2) + 'y'.repeat(20);
    const h = harness({ trace: 'verbose' });
    const r = await h.client.request<{ fingerprint: string }>('alias/token/add', { name: 'default', token });
    assert.equal(r.fingerprint, `fp-${token.length}`, 'the daemon must receive the token unchanged');
    assert.ok(h.lines.some((l) => l.includes('-> #1 alias/token/add {"name":"default","token":"[redacted]"}')), h.lines.join('\n'));
    assert.ok(!h.lines.join('\n').includes(token), 'the token reached the log');
  });

  test('progress handlers receive $/progress for their token only', async () => {
    const h = harness();
    const mine: ProgressValue[] = [];
    const other: ProgressValue[] = [];
    h.client.onProgress('tok-1', (v) => mine.push(v));
    h.client.onProgress('tok-2', (v) => other.push(v));
    assert.equal(await h.client.request('test/progress', { workDoneToken: 'tok-1' }), 'done');
    assert.deepEqual(mine.map((v) => v.message), ['page 1', 'page 2', 'page 3']);
    assert.deepEqual(other, []);
  });

  test('stop shuts the daemon down cleanly', async () => {
    const h = harness();
    await h.client.start();
    await h.client.stop();
    assert.equal(h.client.state, 'stopped');
    assert.ok(h.lines.some((l) => l === 'info aliasd exited (code 0)'), h.lines.join('\n'));
    // A request after stop starts a new session.
    assert.equal(typeof (await h.client.request('test/pid')), 'number');
  });

  test('required options are checked', () => {
    assert.throws(() => new AliasdClient({ command: '', clientInfo: { name: 'x' } }), /command is required/);
    assert.throws(() => new AliasdClient({ command: 'aliasd', clientInfo: { name: '' } }), /clientInfo.name is required/);
  });
});

describe('AliasdClient.updateOptions', () => {
  test('the next start uses the new environment', async () => {
    const h = harness({}, { STUB_PROTOCOL_VERSION: '1' });
    await h.client.start();
    h.client.updateOptions({ env: { STUB_PROTOCOL_VERSION: '7' } });
    const r = await h.client.restart();
    assert.equal(r.capabilities.experimental?.protocolVersion, 7);
  });
});
