// Checks what a .vsix holds: the bundle and manifest, and no tests, test
// source maps, TypeScript sources or node_modules.
//
//   node test/check-vsix.mjs aliasd.vsix
import * as fs from 'node:fs';

/** zipEntries lists the file names in a zip's central directory. */
export function zipEntries(buf) {
  const min = Math.max(0, buf.length - 0xffff - 22);
  let eocd = -1;
  for (let i = buf.length - 22; i >= min; i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end-of-central-directory record)');
  const count = buf.readUInt16LE(eocd + 10);
  let off = buf.readUInt32LE(eocd + 16);
  const names = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(off) !== 0x02014b50) throw new Error(`bad central directory entry at ${off}`);
    const nameLen = buf.readUInt16LE(off + 28);
    const extraLen = buf.readUInt16LE(off + 30);
    const commentLen = buf.readUInt16LE(off + 32);
    names.push(buf.toString('utf8', off + 46, off + 46 + nameLen));
    off += 46 + nameLen + extraLen + commentLen;
  }
  return names;
}

const forbidden = [
  [/(^|\/)test\//, 'test directory'],
  [/\.test\.[cm]?[jt]s(\.map)?$/, 'test file'],
  [/\.map$/, 'source map'],
  [/(^|\/)node_modules\//, 'node_modules'],
  [/\.ts$/, 'TypeScript source'],
  [/^extension\/(src|out)\//, 'unbundled sources'],
  [/\.vsix$/, 'nested package'],
  [/(^|\/)(ci\.sh|esbuild\.mjs|tsconfig[^/]*\.json|package-lock\.json|\.npmrc)$/, 'build file'],
];
const required = ['extension/package.json', 'extension/dist/extension.js', 'extension/readme.md'];

const file = process.argv[2];
if (!file) {
  console.error('usage: node test/check-vsix.mjs FILE.vsix');
  process.exit(2);
}
const names = zipEntries(fs.readFileSync(file));
const problems = [];
for (const name of names) {
  for (const [re, what] of forbidden) {
    if (re.test(name)) problems.push(`${name}: ${what} must not be packaged`);
  }
}
for (const r of required) {
  if (!names.includes(r)) problems.push(`${r}: missing`);
}
console.log(`${file}: ${names.length} files`);
for (const n of names) console.log(`  ${n}`);
if (problems.length > 0) {
  console.error(`check-vsix: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('check-vsix: ok (no test files, source maps, sources or node_modules)');
