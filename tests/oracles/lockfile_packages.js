// What a pnpm or Yarn lockfile holds, read by the JavaScript ecosystem's own parsers: Yarn's
// `@yarnpkg/lockfile` for Yarn classic (v1) and `js-yaml` for pnpm-lock.yaml and Yarn Berry.
// Prints JSON: {"packages": [[name, version], ...], "hashes": [hex, ...], "checksums": [hex]}
// for registry packages (local workspaces, links, directories and git sources left out),
// where `hashes` are the SRI integrities as hex and `checksums` Berry's cache checksums.
//
//   node lockfile_packages.js pnpm|yarn LOCKFILE
'use strict';

const fs = require('fs');
const yaml = require('js-yaml');
const yarnLockfile = require('@yarnpkg/lockfile');

const [kind, path] = process.argv.slice(2);
const text = fs.readFileSync(path, 'utf8');
const packages = new Set();
const hashes = new Set();
const checksums = new Set();

function sriHex(sri) {
  for (const token of String(sri).split(/\s+/).filter(Boolean)) {
    const dash = token.indexOf('-');
    hashes.add(Buffer.from(token.slice(dash + 1), 'base64').toString('hex'));
  }
}

// `name@version` or `@scope/name@version`, the '@' that separates them is not the first char.
function splitAt(spec) {
  const at = spec.indexOf('@', 1);
  return at < 0 ? [spec, ''] : [spec.slice(0, at), spec.slice(at + 1)];
}

function pnpm() {
  const lock = yaml.load(text);
  for (const [rawKey, entry] of Object.entries(lock.packages || {})) {
    const key = rawKey.replace(/^\//, '').replace(/\(.*$/, '');
    const resolution = entry.resolution || {};
    if (resolution.directory || resolution.type === 'git' || resolution.repo) continue;
    const [name, version] = splitAt(key);
    // A tarball dependency's key holds its URL; its version is in the entry.
    packages.add(JSON.stringify([entry.name || name, entry.version || version]));
    if (resolution.integrity) sriHex(resolution.integrity);
  }
}

function yarnClassic() {
  const parsed = yarnLockfile.parse(text);
  if (parsed.type !== 'success') throw new Error(`yarn lockfile: ${parsed.type}`);
  for (const [descriptor, entry] of Object.entries(parsed.object)) {
    let [name, range] = splitAt(descriptor);
    if (/^(file|link|portal|workspace):/.test(range)) continue;
    if (/^(git|github:|ssh:)/.test(entry.resolved || '')) continue;
    if (range.startsWith('npm:')) name = splitAt(range.slice(4))[0];
    packages.add(JSON.stringify([name, entry.version]));
    if (entry.integrity) sriHex(entry.integrity);
  }
}

function yarnBerry() {
  const lock = yaml.load(text);
  for (const [descriptor, entry] of Object.entries(lock)) {
    if (descriptor === '__metadata') continue;
    const [name, reference] = splitAt(entry.resolution);
    if (!reference.startsWith('npm:') && !reference.startsWith('patch:')) continue;
    if (reference.startsWith('patch:') && !reference.includes('npm%3A')) continue;
    packages.add(JSON.stringify([name, entry.version]));
    if (entry.checksum) checksums.add(String(entry.checksum).split('/').pop());
  }
}

if (kind === 'pnpm') pnpm();
else if (kind === 'yarn' && /^__metadata:/m.test(text)) yarnBerry();
else if (kind === 'yarn') yarnClassic();
else throw new Error(`unknown kind ${kind}`);

process.stdout.write(JSON.stringify({
  packages: [...packages].sort().map((p) => JSON.parse(p)),
  hashes: [...hashes].sort(),
  checksums: [...checksums].sort(),
}));
