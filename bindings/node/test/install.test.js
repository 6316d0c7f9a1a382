'use strict';
// `make install install-node` into a scratch PREFIX: the installed package
// loads its own addon, which finds the installed library, and `make
// uninstall` removes it.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { REPO, key, scratch } = require('./helpers.js');

// The build directory the addon under test came from (make's B).
function buildDir() {
  const addon = process.env.ENVELOPE_NODE_ADDON;
  const b = addon ? path.dirname(path.dirname(path.resolve(addon))) : path.join(REPO, 'build');
  return path.relative(REPO, b) || '.';
}

function make(args) {
  const r = spawnSync('make', ['--no-print-directory', '-C', REPO, `B=${buildDir()}`, ...args],
                      { encoding: 'utf8' });
  assert.equal(r.status, 0, `make ${args.join(' ')}: exit ${r.status}; ` +
                            `stderr: ${String(r.stderr).slice(-800)}`);
}

test('the installed package loads the installed addon and library', (t) => {
  const prefix = path.join(scratch(t), 'prefix');
  make([`PREFIX=${prefix}`, 'install', 'install-node']);
  const pkg = path.join(prefix, 'lib', 'node_modules', 'envelope');
  for (const f of ['package.json', 'index.js', 'index.d.ts', 'lib/errors.js', 'lib/addon.js',
                   'build/envelope.node']) {
    assert.ok(fs.existsSync(path.join(pkg, f)), `${f} not installed`);
  }
  const env = { ...process.env };
  delete env.ENVELOPE_NODE_ADDON;
  const r = spawnSync(process.execPath, ['-e', `
const fs = require('node:fs');
const e = require('envelope');
e.seal(Buffer.from('installed'), { signKey: ${JSON.stringify(key('signer.pem'))},
                                    recipients: ${JSON.stringify(key('alice.pub'))} })
  .then((env) => e.open(env, { decryptKeys: ${JSON.stringify(key('alice.pem'))},
                               verifyKeys: ${JSON.stringify(key('signer.pub'))} }))
  .then((r) => {
    const lib = fs.readFileSync('/proc/self/maps', 'utf8').split('\\n')
      .filter((l) => l.includes('libenvelope.so')).map((l) => l.split(/\\s+/).pop());
    console.log(JSON.stringify([r.message.toString(), e.addonPath, [...new Set(lib)]]));
  });`], { encoding: 'utf8', cwd: prefix, env: { ...env, NODE_PATH: path.join(prefix, 'lib', 'node_modules') } });
  assert.equal(r.status, 0, `exit ${r.status}; stderr: ${r.stderr}`);
  assert.deepEqual(JSON.parse(r.stdout), [
    'installed', path.join(pkg, 'build', 'envelope.node'),
    [path.join(prefix, 'lib', 'libenvelope.so.1')],
  ]);
  make([`PREFIX=${prefix}`, 'uninstall']);
  assert.equal(fs.existsSync(pkg), false, 'make uninstall left the package');
});
