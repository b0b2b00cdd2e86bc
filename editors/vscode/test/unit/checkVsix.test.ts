import '../fake/install';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import * as zlib from 'node:zlib';

const script = path.join(__dirname, '..', '..', '..', 'test', 'check-vsix.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aliasd-check-vsix-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** storedZip writes a zip (no compression) holding the named files. */
function storedZip(file: string, names: string[]): string {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const name of names) {
    const data = Buffer.from(`content of ${name}\n`);
    const n = Buffer.from(name);
    const crc = (zlib as unknown as { crc32(b: Buffer): number }).crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(n.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, n, data);
    centrals.push(central, n);
    offset += local.length + n.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(names.length, 8);
  eocd.writeUInt16LE(names.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  const p = path.join(tmp, file);
  fs.writeFileSync(p, Buffer.concat([...locals, cd, eocd]));
  return p;
}

function check(file: string) {
  const r = spawnSync(process.execPath, [script, file], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

const good = ['extension.vsixmanifest', 'extension/package.json', 'extension/readme.md', 'extension/dist/extension.js'];

describe('check-vsix', () => {
  test('a bundle-only package passes', () => {
    const r = check(storedZip('good.vsix', [...good, 'extension/media/aliasd.svg']));
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /check-vsix: ok/);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['unit test', 'extension/out/test/unit/items.test.js', /test directory must not be packaged/],
    ['test source map', 'extension/dist/items.test.js.map', /test file must not be packaged/],
    ['bundle source map', 'extension/dist/extension.js.map', /source map must not be packaged/],
    ['node_modules', 'extension/node_modules/vscode-jsonrpc/package.json', /node_modules must not be packaged/],
    ['TypeScript source', 'extension/src/client.ts', /TypeScript source must not be packaged/],
    ['build script', 'extension/ci.sh', /build file must not be packaged/],
  ];
  for (const [name, extra, want] of bad) {
    test(`rejects: ${name}`, () => {
      const r = check(storedZip(`${name.replace(/\W+/g, '-')}.vsix`, [...good, extra]));
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, want);
      assert.ok(r.out.includes(extra), `the problem should name ${extra}:\n${r.out}`);
    });
  }

  test('rejects a package without the bundle', () => {
    const r = check(storedZip('nobundle.vsix', good.filter((n) => !n.endsWith('extension.js'))));
    assert.equal(r.code, 1);
    assert.match(r.out, /extension\/dist\/extension\.js: missing/);
  });

  test('rejects a file that is not a zip', () => {
    const p = path.join(tmp, 'notzip.vsix');
    fs.writeFileSync(p, 'hello');
    const r = check(p);
    assert.notEqual(r.code, 0);
    assert.match(r.out, /not a zip file/);
  });
});
