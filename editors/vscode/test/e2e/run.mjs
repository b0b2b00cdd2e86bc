// End-to-end test of the extension in a real VS Code: code-server 4.100.3
// (VS Code 1.100.3) on loopback, driven through headless Chromium with
// playwright-core, against the real `aliasd` and `aliasd mock`.
//
//   ALIASD_BIN=/path/to/aliasd node test/e2e/run.mjs [--vsix aliasd.vsix]
//
// Environment:
//   ALIASD_BIN         the aliasd binary (required)
//   ALIASD_E2E_CACHE   where code-server is installed once (default ~/.cache/aliasd-e2e)
//   ALIASD_E2E_ARTIFACTS  screenshots (default <repo>/artifacts/vscode)
//   CHROMIUM           browser executable (default /usr/bin/chromium)
//   ALIASD_E2E_KEEP=1  keep the temporary directory
//
// Steps that need daemon methods this aliasd build does not answer are
// skipped and named. Any failed step writes a screenshot and exits 1.
import { execFileSync, spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const extRoot = path.resolve(here, '..', '..');
const repoRoot = path.resolve(extRoot, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(extRoot, 'package.json'), 'utf8'));

const args = process.argv.slice(2);
const vsixArg = args.includes('--vsix') ? path.resolve(args[args.indexOf('--vsix') + 1]) : undefined;
const artifacts = path.resolve(process.env.ALIASD_E2E_ARTIFACTS || path.join(repoRoot, 'artifacts', 'vscode'));
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const started = Date.now();

function log(msg) {
  const t = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`[e2e ${t}s] ${msg}`);
}

function fail(msg) {
  console.error(`e2e: ${msg}`);
  process.exit(1);
}

// ------------------------------------------------------------------ setup

const bin = process.env.ALIASD_BIN ? path.resolve(process.env.ALIASD_BIN) : '';
if (!bin || !fs.existsSync(bin)) {
  fail(`ALIASD_BIN must name the aliasd binary (got "${process.env.ALIASD_BIN ?? ''}"); e.g. go build -o /tmp/aliasd ./cmd/aliasd`);
}
if (!fs.existsSync(chromiumPath)) fail(`no Chromium at ${chromiumPath}: apt-get install -y chromium (or set CHROMIUM)`);
if (!fs.existsSync(path.join(extRoot, 'dist', 'extension.js'))) fail('dist/extension.js missing: run npm run build first');

let playwright;
try {
  playwright = require('playwright-core');
} catch (err) {
  fail(`playwright-core is not installed (npm ci): ${err.message}`);
}

const codeServer = (() => {
  const script = path.join(here, 'install-code-server.sh');
  const out = execFileSync('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim().split('\n');
  return out[out.length - 1];
})();

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aliasd-vscode-e2e-'));
const dirs = {
  home: path.join(tmp, 'aliasd-home'),
  userData: path.join(tmp, 'user-data'),
  extensions: path.join(tmp, 'extensions'),
  workspace: path.join(tmp, 'workspace'),
  xdgConfig: path.join(tmp, 'xdg-config'),
  xdgData: path.join(tmp, 'xdg-data'),
  xdgCache: path.join(tmp, 'xdg-cache'),
};
for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
fs.mkdirSync(artifacts, { recursive: true });
for (const f of fs.readdirSync(artifacts)) {
  if (/^failed-/.test(f)) fs.rmSync(path.join(artifacts, f));
}
fs.writeFileSync(path.join(dirs.workspace, 'README.md'), '# aliasd e2e workspace\n');

const children = [];
function track(child, name) {
  children.push({ child, name });
  return child;
}

async function cleanup() {
  for (const { child } of children.reverse()) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        // code-server runs in its own process group: end it and its children.
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        try {
          child.kill('SIGTERM');
        } catch {
          // gone
        }
      }
    }
  }
  await new Promise((r) => setTimeout(r, 500));
  if (daemonPid > 0) {
    try {
      process.kill(daemonPid, 'SIGTERM');
    } catch {
      // already exited after its idle timeout
    }
  }
  if (!process.env.ALIASD_E2E_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  else log(`kept ${tmp}`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

const token = 'goatapi_' + crypto.randomBytes(18).toString('hex');
let daemonPid = 0;

async function startMock() {
  const mock = track(
    spawn(bin, ['mock', '--addr', '127.0.0.1:0'], {
      env: { ...process.env, ALIASD_HOME: dirs.home, ALIASD_MOCK_TOKENS: token },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    }),
    'mock',
  );
  let stderr = '';
  mock.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`aliasd mock printed no base URL in 30 s: ${stderr}`)), 30_000);
    readline.createInterface({ input: mock.stdout }).once('line', (line) => {
      clearTimeout(t);
      resolve(line.trim());
    });
    mock.once('exit', (code) => reject(new Error(`aliasd mock exited (${code}): ${stderr}`)));
  });
}

/** daemonMethods asks the daemon which alias/* methods it answers. */
async function daemonMethods(env) {
  const rpc = require('vscode-jsonrpc/node');
  const child = spawn(bin, ['stdio'], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.resume();
  const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(child.stdout), new rpc.StreamMessageWriter(child.stdin));
  conn.listen();
  try {
    const init = await conn.sendRequest('initialize', { processId: process.pid, clientInfo: { name: 'e2e-probe' }, capabilities: {} });
    await conn.sendNotification('initialized', {});
    const status = await conn.sendRequest('alias/status', {});
    daemonPid = status.pid || 0;
    await conn.sendRequest('shutdown', null);
    await conn.sendNotification('exit');
    return { methods: init.capabilities?.experimental?.methods ?? [], protocolVersion: init.capabilities?.experimental?.protocolVersion, status };
  } finally {
    conn.dispose();
    child.kill();
  }
}

function installExtension() {
  const id = `${pkg.publisher}.${pkg.name}-${pkg.version}`;
  if (vsixArg) {
    log(`installing ${path.relative(process.cwd(), vsixArg)} with --install-extension`);
    execFileSync(
      codeServer,
      ['--extensions-dir', dirs.extensions, '--user-data-dir', dirs.userData, '--install-extension', vsixArg],
      { env: codeServerEnv(), stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 },
    );
    if (!fs.readdirSync(dirs.extensions).some((d) => d.startsWith(`${pkg.publisher}.${pkg.name}-`))) {
      throw new Error(`--install-extension left no ${id} in ${dirs.extensions}`);
    }
    return;
  }
  const dest = path.join(dirs.extensions, id);
  fs.mkdirSync(dest, { recursive: true });
  for (const f of ['package.json', 'README.md', 'CHANGELOG.md', 'dist', 'media']) {
    fs.cpSync(path.join(extRoot, f), path.join(dest, f), { recursive: true });
  }
  log(`copied the built extension to ${dest}`);
}

function codeServerEnv() {
  return {
    ...process.env,
    XDG_CONFIG_HOME: dirs.xdgConfig,
    XDG_DATA_HOME: dirs.xdgData,
    XDG_CACHE_HOME: dirs.xdgCache,
    EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/gallery', itemUrl: 'http://127.0.0.1:9/item' }),
  };
}

async function waitHealthy(url, child, logFile) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}); log:\n${tail(logFile)}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server not healthy after 120 s; log:\n${tail(logFile)}`);
}

function tail(file, n = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}

/** extensionLog is the tail of the "aliasd" output channel's log file. */
function extensionLog() {
  const hits = [];
  const walk = (d) => {
    for (const ent of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (/aliasd\.log$/.test(ent.name)) hits.push(p);
    }
  };
  try {
    walk(path.join(dirs.userData, 'logs'));
  } catch {
    // no logs yet
  }
  return hits.map((f) => `--- ${path.relative(dirs.userData, f)}\n${tail(f, 60)}`).join('\n') || '(no aliasd output channel log found)';
}

// ------------------------------------------------------------------ UI helpers

const results = { passed: 0, failed: 0, skipped: 0 };
let page;

async function shot(name) {
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file });
  log(`screenshot ${path.relative(repoRoot, file)}`);
  return file;
}

async function step(name, fn) {
  log(`step: ${name}`);
  try {
    await fn();
    results.passed++;
    log(`ok: ${name}`);
  } catch (err) {
    results.failed++;
    const slug = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
    let file = '';
    try {
      file = await shot(`failed-${slug}`);
    } catch (e) {
      file = `(screenshot failed: ${e.message})`;
    }
    const toasts = await notificationTexts().catch(() => []);
    console.error(`\ne2e: step "${name}" failed: ${err.message}`);
    console.error(`e2e: screenshot: ${file}`);
    if (toasts.length) console.error(`e2e: notifications on screen:\n  ${toasts.join('\n  ')}`);
    const report = `step "${name}" failed: ${err.stack || err.message}\n\nnotifications:\n${toasts.join('\n')}\n\nextension output:\n${extensionLog()}\n`;
    fs.writeFileSync(path.join(artifacts, `failed-${slug}.txt`), report);
    console.error(`e2e: extension output:\n${extensionLog()}\n`);
    throw new StepFailed(name);
  }
}

function skip(name, why) {
  results.skipped++;
  log(`skip: ${name} (${why})`);
}

class StepFailed extends Error {}

const text = (s) => (s ?? '').replace(/\u00a0/g, ' ');

async function notificationTexts() {
  const sel = '.notifications-toasts .notification-list-item-message, .notifications-center .notification-list-item-message';
  return (await page.locator(sel).allInnerTexts()).map(text);
}

/**
 * waitForNotification finds a notification by its text. Toasts hide after a
 * while on a slow machine, so halfway through it opens the notification center.
 */
async function waitForNotification(re, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  let openedCenter = false;
  for (;;) {
    const all = await notificationTexts();
    const hit = all.find((t) => re.test(t));
    if (hit) {
      if (openedCenter) await page.keyboard.press('Escape');
      return hit;
    }
    if (Date.now() > deadline) throw new Error(`no notification matching ${re} in ${timeout / 1000} s; shown: ${JSON.stringify(all)}`);
    if (!openedCenter && deadline - Date.now() < timeout / 2) {
      openedCenter = true;
      await runCommand('Notifications: Show Notifications').catch(() => undefined);
    }
    await page.waitForTimeout(200);
  }
}

async function clearNotifications() {
  await runCommand('Notifications: Clear All Notifications').catch(() => undefined);
}

const quickInput = () => page.locator('.quick-input-widget');

/** runCommand opens the command palette and runs a command by its title. */
async function runCommand(title) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const input = quickInput().locator('.quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(`>${title}`);
  const row = quickInput().locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  await page.keyboard.press('Enter');
}

/** waitForTitle waits for the quick input to show a step whose title contains s. */
async function waitForTitle(s, timeout = 30_000) {
  await quickInput().locator('.quick-input-title', { hasText: s }).waitFor({ state: 'visible', timeout });
}

/** answerInput types into the open input box and accepts it. */
async function answerInput(title, value) {
  await waitForTitle(title);
  const input = quickInput().locator('.quick-input-box input');
  await input.fill(value);
  await page.keyboard.press('Enter');
}

/** pick filters the open quick pick to `label` and accepts the first match. */
async function pick(title, label) {
  await waitForTitle(title);
  const input = quickInput().locator('.quick-input-box input');
  await input.fill(label);
  await quickInput().locator('.quick-input-list .monaco-list-row', { hasText: label }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await page.keyboard.press('Enter');
}

/** pickMany ticks the named rows of an open multi-select quick pick and accepts it. */
async function pickMany(title, labels) {
  await waitForTitle(title);
  for (const label of labels) {
    const row = quickInput().locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    // A click on a row of a multi-select quick pick toggles its check box.
    await row.click();
    await row.locator('[aria-checked="true"], .monaco-custom-toggle.checked, input:checked').first().waitFor({ state: 'attached', timeout: 5_000 })
      .catch(async () => {
        const checked = await row.getAttribute('aria-checked');
        if (checked !== 'true') throw new Error(`could not tick "${label}" in the quick pick`);
      });
  }
  const ok = quickInput().locator('.quick-input-action a, .quick-input-action .monaco-button', { hasText: 'OK' });
  if (await ok.count()) await ok.first().click();
  else await page.keyboard.press('Enter');
}

/** activeEditorText is the visible text of the active editor. */
async function activeEditorText() {
  const lines = page.locator('.editor-group-container.active .monaco-editor .view-lines');
  return text(await lines.first().innerText());
}

async function waitForEditor(tabRe, contentRe, timeout = 30_000) {
  const tab = page.locator('.tabs-container .tab.active');
  const deadline = Date.now() + timeout;
  let lastTab = '';
  let content = '';
  for (;;) {
    lastTab = text(await tab.innerText().catch(() => ''));
    if (tabRe.test(lastTab)) {
      content = await activeEditorText().catch(() => '');
      if (contentRe.test(content)) return content;
    }
    if (Date.now() > deadline) {
      throw new Error(`no editor ${tabRe} with ${contentRe} in ${timeout / 1000} s; active tab "${lastTab}", text:\n${content.slice(0, 800)}`);
    }
    await page.waitForTimeout(250);
  }
}

async function openHistoryView() {
  const title = page.locator('.part.sidebar .composite.title', { hasText: /Request History/i });
  if (await title.isVisible().catch(() => false)) return;
  const item = page.locator('.activitybar .action-item a[aria-label^="aliasd"], .activitybar .action-item[aria-label^="aliasd"]').first();
  await item.waitFor({ state: 'visible', timeout: 30_000 });
  await item.click();
  await title.waitFor({ state: 'visible', timeout: 15_000 });
  await widenSidebar();
}

/** widenSidebar drags the sidebar's edge so rows show their request IDs in full. */
async function widenSidebar() {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box || box.width >= 600) return;
  const edge = box.x + box.width;
  await page.mouse.move(edge + 1, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + 680, box.y + box.height / 2, { steps: 8 });
  await page.mouse.up();
}

const historyRows = () => page.locator('.pane-body .monaco-list-row[role="treeitem"]');

async function waitForHistoryRow(re, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  let seen = [];
  for (;;) {
    seen = (await historyRows().evaluateAll((els) => els.map((e) => `${e.getAttribute('aria-label')} | ${e.innerText}`))).map(text);
    const idx = seen.findIndex((s) => re.test(s));
    if (idx >= 0) return historyRows().nth(idx);
    if (Date.now() > deadline) throw new Error(`no history row matching ${re} in ${timeout / 1000} s; rows: ${JSON.stringify(seen)}`);
    await page.waitForTimeout(250);
  }
}

async function historyPaneShot(name) {
  const pane = page.locator('.part.sidebar');
  await page.mouse.move(700, 600); // no hover tooltip over the rows
  await page.waitForTimeout(300);
  const file = path.join(artifacts, `${name}.png`);
  await pane.screenshot({ path: file });
  log(`screenshot ${path.relative(repoRoot, file)}`);
}

// ------------------------------------------------------------------ main

let browser;
let exitCode = 0;
try {
  const baseUrl = await startMock();
  log(`mock at ${baseUrl}`);
  fs.writeFileSync(
    path.join(dirs.home, 'config.toml'),
    ['token_storage = "file"', `base_url = "${baseUrl}"`, '', '[daemon]', 'idle_timeout = "5s"', ''].join('\n'),
  );
  const daemonEnv = { ALIASD_HOME: dirs.home, ALIASD_BASE_URL: baseUrl };
  const probe = await daemonMethods(daemonEnv);
  const has = (...ms) => ms.every((m) => probe.methods.includes(m));
  const lacks = (...ms) => ms.filter((m) => !probe.methods.includes(m)).join(', ');
  log(`daemon protocol ${probe.protocolVersion}, methods: ${probe.methods.join(' ') || '(none listed)'}`);

  installExtension();
  const settingsDir = path.join(dirs.userData, 'User');
  fs.mkdirSync(settingsDir, { recursive: true });
  fs.writeFileSync(
    path.join(settingsDir, 'settings.json'),
    JSON.stringify(
      {
        'aliasd.path': bin,
        'aliasd.env': daemonEnv,
        'aliasd.trace': 'messages',
        'aliasd.status.refreshSeconds': 5,
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.enableExperiments': false,
        'security.workspace.trust.enabled': false,
        'telemetry.telemetryLevel': 'off',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'update.mode': 'none',
        'chat.disableAIFeatures': true,
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
      },
      null,
      2,
    ),
  );

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const csLog = path.join(tmp, 'code-server.log');
  const csOut = fs.openSync(csLog, 'a');
  const cs = track(
    spawn(
      codeServer,
      [
        '--auth', 'none',
        '--bind-addr', `127.0.0.1:${port}`,
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--ignore-last-opened',
        '--user-data-dir', dirs.userData,
        '--extensions-dir', dirs.extensions,
        dirs.workspace,
      ],
      { env: codeServerEnv(), stdio: ['ignore', csOut, csOut], detached: true },
    ),
    'code-server',
  );
  await waitHealthy(url, cs, csLog);
  log(`code-server ${url} healthy`);

  browser = await playwright.chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
  await page.goto(`${url}/?folder=${encodeURIComponent(dirs.workspace)}`);

  await step('workbench loads and the extension starts the daemon', async () => {
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 90_000 });
    const item = page.locator('.statusbar-item', { hasText: /no token|default/ }).first();
    await item.waitFor({ state: 'visible', timeout: 90_000 });
    await page.waitForTimeout(500);
  });

  await step('Show Status opens alias/status', async () => {
    await runCommand('aliasd: Show Status');
    const content = await waitForEditor(/aliasd status/, /"protocolVersion": 1/);
    if (!content.includes(baseUrl)) throw new Error(`status document lacks the mock base URL ${baseUrl}:\n${content}`);
    if (!/plain file/.test(content)) throw new Error('status document does not warn about the file fallback');
    await shot('status');
  });

  let fingerprint = '';
  if (has('alias/token/add')) {
    await step('Add Token through the masked input box', async () => {
      await clearNotifications();
      await runCommand('aliasd: Add Token');
      await answerInput('Add Token (1/2)', 'default');
      await waitForTitle('Add Token (2/2)');
      const type = await quickInput().locator('.quick-input-box input').getAttribute('type');
      if (type !== 'password') throw new Error(`token input type is "${type}", want password`);
      await answerInput('Add Token (2/2)', token);
      const note = await waitForNotification(/token "default" \(.+\) stored/);
      fingerprint = /\(([^)]+)\)/.exec(note)?.[1] ?? '';
      if (note.includes(token)) throw new Error('the notification shows the token');
      log(`token stored, fingerprint ${fingerprint}`);
      await page.locator('.statusbar-item', { hasText: 'default' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    });
  } else {
    skip('Add Token through the masked input box', `daemon lacks ${lacks('alias/token/add')}`);
  }

  let requestId = '';
  const canRequest = has('alias/request', 'alias/endpoints', 'alias/token/add');
  if (canRequest) {
    await step('Send Request GET /api/v1/test shows status and request ID', async () => {
      await runCommand('aliasd: Send Request');
      await pick('aliasd: Send Request', 'GET /api/v1/test');
      const content = await waitForEditor(/200 GET test/, /request-id: \S+/);
      requestId = /request-id: (\S+)/.exec(content)[1];
      if (!/^\/\/ 200 · GET \/api\/v1\/test/m.test(content)) throw new Error(`response header missing:\n${content}`);
      log(`request ID ${requestId}`);
    });
  } else {
    skip('Send Request GET /api/v1/test shows status and request ID', `daemon lacks ${lacks('alias/request', 'alias/endpoints', 'alias/token/add')}`);
  }

  if (canRequest && has('alias/history/list')) {
    await step('the request appears in the history view with its request ID', async () => {
      await openHistoryView();
      await waitForHistoryRow(new RegExp(`200 · GET /api/v1/test.*${requestId}`));
      await historyPaneShot('history');
    });
  } else {
    await step('the history view opens in its activity-bar container', async () => {
      await openHistoryView();
      await historyPaneShot('history');
      const rows = await historyRows().allInnerTexts();
      log(`history view rows: ${JSON.stringify(rows.map(text))}`);
    });
    skip('the request appears in the history view with its request ID', `daemon lacks ${lacks('alias/request', 'alias/history/list')}`);
  }

  if (canRequest && has('alias/history/list', 'alias/history/get')) {
    await step('an error entry opens with its diagnostic', async () => {
      await runCommand('aliasd: Send Request');
      await pick('aliasd: Send Request', 'GET /api/v1/catalog/{id}');
      await answerInput('catalog/{id}: id', 'no-such-item');
      const resp = await waitForEditor(/404 GET no-such-item/, /request-id: \S+/);
      const errId = /request-id: (\S+)/.exec(resp)[1];
      const diagTitle = /^\/\/ (?:error|warning|info): (.+)$/m.exec(resp)?.[1];
      if (!diagTitle) throw new Error(`the 404 response has no diagnostic line:\n${resp}`);
      await openHistoryView();
      const row = await waitForHistoryRow(new RegExp(`404 · GET /api/v1/catalog/no-such-item.*${errId}`));
      await row.click();
      const doc = await waitForEditor(/404 GET no-such-item\.md/, /## Diagnostic/);
      if (!doc.includes(diagTitle)) throw new Error(`entry document lacks the diagnostic "${diagTitle}":\n${doc}`);
      if (!doc.includes(errId)) throw new Error(`entry document lacks the request ID ${errId}`);
      log(`diagnostic: ${diagTitle}`);
      await shot('error-entry');
      await historyPaneShot('history-error');
      // The row's tooltip carries the diagnostic too.
      await row.hover();
      const hover = page.locator('.monaco-hover, .workbench-hover', { hasText: diagTitle }).first();
      await hover.waitFor({ state: 'visible', timeout: 15_000 });
      await shot('history-tooltip');
    });
  } else {
    skip('an error entry opens with its diagnostic', `daemon lacks ${lacks('alias/request', 'alias/history/list', 'alias/history/get')}`);
  }

  if (has('alias/paginate', 'alias/endpoints', 'alias/token/add')) {
    await step('Fetch All Pages walks the catalog search', async () => {
      await runCommand('aliasd: Fetch All Pages');
      await pick('aliasd: Fetch All Pages', 'GET /api/v1/catalog');
      await answerInput('catalog: query', 'nike');
      await pickMany('optional parameters', ['limit']);
      await answerInput('catalog: limit', '4');
      const content = await waitForEditor(/pages\.jsonc/, /^\/\/ \d+ items? in \d+ pages?/m, 60_000);
      const m = /^\/\/ (\d+) items? in (\d+) pages?/m.exec(content);
      log(content.split('\n')[0]);
      if (Number(m[2]) < 2) throw new Error(`with limit=4 the walk should take several pages: ${m[0]}`);
      const ids = /^\/\/ request-ids: (.+)$/m.exec(content)?.[1].split(', ') ?? [];
      if (ids.length !== Number(m[2])) throw new Error(`want one request ID per page, got ${ids.length} for ${m[2]} pages`);
      await shot('fetch-all-pages');
    });
  } else {
    skip('Fetch All Pages walks the catalog search', `daemon lacks ${lacks('alias/paginate', 'alias/endpoints', 'alias/token/add')}`);
  }

  await step('final history view', async () => {
    await openHistoryView();
    // Clear the selection so every row shows its severity colour.
    await page.locator('.part.sidebar .monaco-list').first().focus();
    await page.keyboard.press('Escape');
    await historyPaneShot('history-final');
    const all = await page.content();
    if (all.includes(token)) throw new Error('the token appears in the workbench DOM');
  });
} catch (err) {
  exitCode = 1;
  if (!(err instanceof StepFailed)) console.error(`e2e: ${err.stack || err.message}`);
} finally {
  await browser?.close().catch(() => undefined);
  await cleanup();
}

if (results.failed > 0) exitCode = 1;
log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${artifacts}`);
console.log(`e2e: ${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`);
process.exit(exitCode);
