// A real aliasd environment for the integration test: a temporary
// ALIASD_HOME, `aliasd mock` on loopback with a fake token, and the binary
// the client starts. The mock's token reaches it through the environment,
// never a process argument.
import * as cp from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';

export interface DaemonEnv {
  bin: string;
  home: string;
  baseUrl: string;
  /** A token the mock accepts (made at runtime, never committed). */
  token: string;
  /** Everything the mock wrote to stderr. */
  mockStderr: () => string;
  env: Record<string, string>;
  close(): Promise<void>;
}

/** aliasdBin finds the binary: $ALIASD_BIN, else the repository's .build/aliasd. */
export function aliasdBin(): string {
  const candidates = [process.env.ALIASD_BIN, path.resolve(__dirname, '../../../../../.build/aliasd')].filter(Boolean) as string[];
  for (const c of candidates) {
    if (fs.existsSync(c)) return path.resolve(c);
  }
  throw new Error(
    'aliasd binary not found: set ALIASD_BIN (e.g. go build -o /tmp/aliasd ./cmd/aliasd && ALIASD_BIN=/tmp/aliasd npm run test:integration)',
  );
}

export function fakeToken(): string {
  return 'goatapi_' + crypto.randomBytes(18).toString('hex');
}

export async function startEnv(): Promise<DaemonEnv> {
  const bin = aliasdBin();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'aliasd-vscode-it-'));
  const token = fakeToken();
  const mock = cp.spawn(bin, ['mock', '--addr', '127.0.0.1:0'], {
    env: { ...process.env, ALIASD_HOME: home, ALIASD_MOCK_TOKENS: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  mock.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`aliasd mock printed no base URL in 30 s; stderr:\n${stderr}`)), 30_000);
    const rl = readline.createInterface({ input: mock.stdout! });
    rl.once('line', (line) => {
      clearTimeout(t);
      resolve(line.trim());
    });
    mock.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`aliasd mock exited with ${code}; stderr:\n${stderr}`));
    });
  });
  fs.writeFileSync(
    path.join(home, 'config.toml'),
    ['token_storage = "file"', `base_url = "${baseUrl}"`, '', '[daemon]', 'idle_timeout = "3s"', ''].join('\n'),
  );
  const env = { ALIASD_HOME: home, ALIASD_BASE_URL: baseUrl };
  return {
    bin,
    home,
    baseUrl,
    token,
    env,
    mockStderr: () => stderr,
    async close() {
      if (mock.exitCode === null) {
        const exited = new Promise((r) => mock.once('exit', r));
        mock.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** filesContaining lists the files under dir whose bytes contain needle. */
export function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const ent of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (ent.isFile() && fs.readFileSync(p).includes(needle)) hits.push(p);
    }
  };
  walk(dir);
  return hits;
}
