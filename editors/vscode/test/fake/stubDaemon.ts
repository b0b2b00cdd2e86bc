// A stand-in for `aliasd stdio` used by the client supervisor tests: a real
// child process speaking LSP-framed JSON-RPC on stdio, whose failures the
// tests control. The integration test uses the real daemon instead.
//
//   STUB_PROTOCOL_VERSION  protocolVersion to announce (default 1)
//   STUB_EXIT_ON_INIT      exit with code 4 when initialize arrives
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';

const conn = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
let initialized = false;

conn.onRequest('initialize', (params: any) => {
  if (process.env.STUB_EXIT_ON_INIT) process.exit(4);
  initialized = true;
  process.stderr.write(`stub: initialize from ${params?.clientInfo?.name} ${params?.clientInfo?.version}\n`);
  return {
    capabilities: { experimental: { protocolVersion: Number(process.env.STUB_PROTOCOL_VERSION ?? 1), methods: [], notifications: [] } },
    serverInfo: { name: 'aliasd', version: 'stub' },
  };
});
conn.onNotification('initialized', () => process.stderr.write('stub: initialized\n'));
conn.onRequest('shutdown', () => null);
conn.onNotification('exit', () => process.exit(0));
conn.onRequest('test/pid', () => process.pid);
conn.onRequest('test/echo', (p: unknown) => p);
conn.onRequest('test/crash', () => process.exit(3));
conn.onRequest('alias/token/add', (p: any) => ({ name: p.name, fingerprint: 'fp-' + String(p.token).length, storage: 'memory' }));
conn.onRequest('test/notify', async () => {
  await conn.sendNotification('alias/history/appended', { entry: { id: 'n1' } });
  await conn.sendNotification('window/logMessage', { type: 2, message: 'stub warning' });
  return true;
});
conn.onRequest('test/progress', async (p: any) => {
  for (let i = 1; i <= 3; i++) {
    await conn.sendProgress({ __brand: 'ProgressType' } as any, p.workDoneToken, { kind: 'report', message: `page ${i}`, percentage: i * 33 });
  }
  return 'done';
});
conn.onRequest((method: string) => {
  if (!initialized) return { code: -32002 };
  throw new Error(`unknown ${method}`);
});
conn.listen();
