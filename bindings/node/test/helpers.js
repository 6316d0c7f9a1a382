'use strict';
// Shared by the tests: the fixed keys of tests/keys, the envelope CLI, a
// scratch directory per test file, and a second, minimal implementation of
// the v1 format (docs/FORMAT.md) with node:crypto, to make envelopes the
// library must refuse.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const REPO = path.resolve(__dirname, '..', '..', '..');
const KEYS = path.join(REPO, 'tests', 'keys');
const CLI = process.env.ENVELOPE_CLI || path.join(REPO, 'build', 'envelope');

const key = (name) => path.join(KEYS, name);

function scratch(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'envelope-node-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// Runs the CLI; a failure shows what it saw.
function cli(args, { expect = 0, input } = {}) {
  const r = spawnSync(CLI, args, { input, encoding: 'utf8' });
  assert.equal(r.status, expect,
               `envelope ${args.join(' ')}: exit ${r.status} (signal ${r.signal}), ` +
               `expected ${expect}; stderr: ${String(r.stderr).slice(-600)}`);
  return r;
}

// Awaits a rejection of class cls with code code; returns the error.
async function rejects(promise, cls, code) {
  let err = null;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err !== null, `expected ${cls.name} ${code}, but it succeeded`);
  assert.ok(err instanceof cls,
            `expected ${cls.name} ${code}, got ${err && err.name}: ${err && err.message}`);
  assert.equal(err.code, code, `code of ${err.message}`);
  return err;
}

// ------------------------------------------------------ the format, again

const CHUNK = 65536;
const INFO = Buffer.from('libenvelope/1 payload');
const OAEP = { padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };

function payloadKey(dataKey, header) {
  const salt = crypto.createHash('sha256').update(header).digest();
  return Buffer.from(crypto.hkdfSync('sha256', dataKey, salt, INFO, 32));
}

function nonce(i, final) {
  const n = Buffer.alloc(12);
  n.writeUIntBE(i, 5, 6);
  n[11] = final ? 1 : 0;
  return n;
}

function parseHeader(env) {
  const len = env.readUInt32BE(12);
  const header = env.subarray(0, len);
  const stanzas = [];
  let pos = 37;
  for (let i = 0; i < header[36]; i++) {
    const labelLen = header.readUInt16BE(pos);
    pos += 2 + labelLen;
    const wrappedLen = header.readUInt16BE(pos);
    stanzas.push(header.subarray(pos + 2, pos + 2 + wrappedLen));
    pos += 2 + wrappedLen;
  }
  return { header, stanzas };
}

/** The inner archive of env, for the holder of the private key privatePem. */
function decryptArchive(env, privatePem) {
  const { header, stanzas } = parseHeader(env);
  let dataKey = null;
  for (const wrapped of stanzas) {
    try {
      dataKey = crypto.privateDecrypt({ key: privatePem, ...OAEP }, wrapped);
      break;
    } catch {
      // another recipient's stanza
    }
  }
  assert.ok(dataKey && dataKey.length === 32, 'no stanza unwraps with that key');
  const k = payloadKey(dataKey, header);
  const out = [];
  let rest = env.subarray(header.length);
  for (let i = 0; rest.length > 0; i++) {
    const piece = rest.subarray(0, CHUNK + 16);
    rest = rest.subarray(CHUNK + 16);
    const d = crypto.createDecipheriv('aes-256-gcm', k, nonce(i, rest.length === 0));
    d.setAuthTag(piece.subarray(piece.length - 16));
    out.push(d.update(piece.subarray(0, piece.length - 16)), d.final());
  }
  return Buffer.concat(out);
}

function fingerprint(publicPem) {
  const der = crypto.createPublicKey(publicPem).export({ type: 'spki', format: 'der' });
  return 'sha256:' + crypto.createHash('sha256').update(der).digest('hex');
}

/** An envelope whose payload is archive, addressed to publicPem. */
function encryptArchive(archive, publicPem) {
  const dataKey = crypto.randomBytes(32);
  const wrapped = crypto.publicEncrypt({ key: publicPem, ...OAEP }, dataKey);
  const label = Buffer.from(fingerprint(publicPem));
  const u16 = (n) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
  const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
  const stanza = Buffer.concat([u16(label.length), label, u16(wrapped.length), wrapped]);
  const header = Buffer.concat([
    Buffer.from('\x89ENV\r\n\x1a\n', 'latin1'), Buffer.from([1, 1, 0, 0]),
    u32(37 + stanza.length), crypto.randomBytes(16), u32(CHUNK), Buffer.from([1]), stanza,
  ]);
  const k = payloadKey(dataKey, header);
  const chunks = [];
  for (let i = 0; i < archive.length; i += CHUNK) chunks.push(archive.subarray(i, i + CHUNK));
  if (chunks.length === 0) chunks.push(Buffer.alloc(0));
  const body = chunks.map((c, i) => {
    const e = crypto.createCipheriv('aes-256-gcm', k, nonce(i, i === chunks.length - 1));
    return Buffer.concat([e.update(c), e.final(), e.getAuthTag()]);
  });
  return Buffer.concat([header, ...body]);
}

/** What a recipient of env (holding fromPem) sends on to toPub, signature kept. */
function forward(env, fromPem, toPub) {
  return encryptArchive(decryptArchive(env, fs.readFileSync(fromPem)), fs.readFileSync(toPub));
}

module.exports = { REPO, KEYS, CLI, key, scratch, cli, rejects, forward, parseHeader };
