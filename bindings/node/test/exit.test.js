'use strict';
// The process ends by itself: an idle pool holds no handle, a pending call
// keeps the process alive until its promise settles, and exiting (or ending
// a worker thread) while calls run is clean. Each case runs in a child node
// process that never calls process.exit unless the case says so.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { key } = require('./helpers.js');

const PKG = path.resolve(__dirname, '..');

// Runs script in a child node. The timeout only turns a hang (a handle left
// open) into a failure instead of a stuck test run: it is minutes, far above
// what these few operations take on a loaded machine.
function child(script, env = {}) {
  const r = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8', timeout: 300000, killSignal: 'SIGKILL',
    env: { ...process.env, ...env, ENVELOPE_TEST_PKG: PKG, ENVELOPE_TEST_SIGNER: key('signer.pem'),
           ENVELOPE_TEST_ALICE: key('alice.pub'), ENVELOPE_TEST_ALICE_KEY: key('alice.pem') },
  });
  return { ...r, where: `exit ${r.status}, signal ${r.signal}; stdout: ${r.stdout}; ` +
                        `stderr: ${String(r.stderr).slice(-800)}` };
}

const PRELUDE = `
const e = require(process.env.ENVELOPE_TEST_PKG);
const seal = (m) => e.seal(Buffer.from(m), { signKey: process.env.ENVELOPE_TEST_SIGNER,
                                             recipients: process.env.ENVELOPE_TEST_ALICE });
`;

test('a process that only loads the module exits by itself', () => {
  const r = child(`${PRELUDE} console.log('loaded', e.threads);`, { ENVELOPE_NODE_THREADS: '' });
  assert.equal(r.status, 0, r.where);
  assert.equal(r.signal, null, r.where);
  assert.match(r.stdout, /^loaded 4\n$/, r.where);
});

test('a pending seal keeps the process alive until it settles, then it exits by itself', () => {
  const r = child(`${PRELUDE}
seal('hello').then((env) => console.log('sealed', env.length > 0));`);
  assert.equal(r.status, 0, r.where);
  assert.equal(r.stdout, 'sealed true\n', r.where);
});

test('after 8 operations no handle is left', () => {
  const r = child(`${PRELUDE}
Promise.all(Array.from({ length: 8 }, (_, i) => seal('m' + i).then((env) =>
  e.open(env, { decryptKeys: process.env.ENVELOPE_TEST_ALICE_KEY,
                verifyKeys: process.env.ENVELOPE_TEST_SIGNER }))))
  .then((rs) => setImmediate(() =>
    console.log(rs.length, JSON.stringify(process.getActiveResourcesInfo()))));`);
  assert.equal(r.status, 0, r.where);
  assert.equal(r.stdout.trim(), '8 []', r.where);
});

test('process.exit while calls run ends cleanly', () => {
  const r = child(`${PRELUDE}
for (let i = 0; i < 8; i++) seal('x'.repeat(4 << 20)).catch(() => {});
setImmediate(() => process.exit(7));`);
  assert.equal(r.signal, null, r.where);
  assert.equal(r.status, 7, r.where);
});

// A FIFO the child seals from: once the child's own open for writing
// returns, the pool's thread has the FIFO open and waits in read() for
// bytes that never come.
function fifo(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'envelope-node-exit-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const made = spawnSync('mkfifo', [path.join(dir, 'in')], { encoding: 'utf8' });
  assert.equal(made.status, 0, `mkfifo: ${made.stderr}`);
  return { ENVELOPE_TEST_FIFO: path.join(dir, 'in'), ENVELOPE_TEST_OUT: path.join(dir, 'out.env') };
}

const SEAL_FIFO = `
const fs = require('node:fs');
const sealing = e.sealFile(process.env.ENVELOPE_TEST_FIFO, process.env.ENVELOPE_TEST_OUT, {
  signKey: process.env.ENVELOPE_TEST_SIGNER, recipients: process.env.ENVELOPE_TEST_ALICE });
`;

test('process.exit while a call waits on a silent pipe ends cleanly, leaving no output',
     (t) => {
  const env = fifo(t);
  const r = child(`${PRELUDE}${SEAL_FIFO}
sealing.then(() => console.log('sealed'), (err) => console.log(err.code));
fs.open(process.env.ENVELOPE_TEST_FIFO, 'w', (err) => {
  if (err) throw err;
  process.exit(7);
});`, env);
  assert.equal(r.signal, null, r.where);
  assert.equal(r.status, 7, r.where);
  assert.equal(r.stdout, '', r.where);
  assert.deepEqual(fs.readdirSync(path.dirname(env.ENVELOPE_TEST_FIFO)), ['in'], r.where);
});

test('a worker thread ends while its call waits on a silent pipe', (t) => {
  const env = fifo(t);
  const r = child(`
const fs = require('node:fs');
const { Worker } = require('node:worker_threads');
const body = \`${PRELUDE.replace(/`/g, '\\`')}${SEAL_FIFO.replace(/`/g, '\\`')}\`;
const w = new Worker(body, { eval: true });
w.on('exit', (code) => console.log('worker ended', code));
w.on('online', () => fs.open(process.env.ENVELOPE_TEST_FIFO, 'w', (err, fd) => {
  if (err) throw err;
  w.terminate().then(() => fs.closeSync(fd));
}));`, env);
  assert.equal(r.status, 0, r.where);
  assert.equal(r.stdout, 'worker ended 1\n', r.where);
});

test('loaded only by a worker thread that has ended, the addon leaves nothing dangling', () => {
  // Node unloads an addon with the last environment that loaded it; the
  // wake signal's handler (SIGURG) must not then point at unmapped code.
  const r = child(`
const { Worker } = require('node:worker_threads');
const body = \`${PRELUDE.replace(/`/g, '\\`')}
const { parentPort } = require('node:worker_threads');
seal('from a worker').then(() => parentPort.postMessage('sealed'));\`;
const w = new Worker(body, { eval: true });
w.on('message', (m) => console.log(m));
w.on('exit', () => setImmediate(() => {
  process.kill(process.pid, 'SIGURG');
  setImmediate(() => console.log('alive'));
}));`);
  assert.equal(r.signal, null, r.where);
  assert.equal(r.status, 0, r.where);
  assert.equal(r.stdout, 'sealed\nalive\n', r.where);
});

test('worker threads each get their own pool, and end while calls run', () => {
  const r = child(`
const { Worker } = require('node:worker_threads');
const body = \`${PRELUDE.replace(/`/g, '\\`')}
const { parentPort } = require('node:worker_threads');
seal('from a worker').then((env) => parentPort.postMessage(env.length));
for (let i = 0; i < 4; i++) seal('y'.repeat(4 << 20)).catch(() => {});\`;
const w = new Worker(body, { eval: true });
w.on('message', (n) => { console.log('worker sealed', n > 0); w.terminate(); });
w.on('exit', (code) => console.log('worker ended', code));`);
  assert.equal(r.status, 0, r.where);
  assert.equal(r.stdout, 'worker sealed true\nworker ended 1\n', r.where);
});

test('ENVELOPE_NODE_THREADS sets the pool size; a bad value is refused at load', () => {
  let r = child(`${PRELUDE} console.log(e.threads);`, { ENVELOPE_NODE_THREADS: '2' });
  assert.equal(r.stdout, '2\n', r.where);
  for (const bad of ['0', '65', 'four', '-1', '2x']) {
    r = child(`${PRELUDE}`, { ENVELOPE_NODE_THREADS: bad });
    assert.equal(r.status, 1, r.where);
    assert.match(r.stderr, /ENVELOPE_NODE_THREADS must be a whole number from 1 to 64/, r.where);
  }
});
