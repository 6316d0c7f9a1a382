'use strict';
// The envelope CLI and the binding read each other's envelopes.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const envelope = require('..');
const { key, cli, scratch, rejects } = require('./helpers.js');

const MSG = Buffer.from(Array.from({ length: 150000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff));

test('an envelope sealed by the CLI opens in Node', async (t) => {
  const dir = scratch(t);
  const src = path.join(dir, 'report.bin');
  const env = path.join(dir, 'report.env');
  fs.writeFileSync(src, MSG);
  cli(['seal', '--sign-key', key('signer.pem'), '--to', key('alice.pub'), '--to', key('bob.pub'),
       '-o', env, src]);
  const r = await envelope.open(fs.readFileSync(env), {
    decryptKeys: key('bob.pem'), verifyKeys: key('signer.pub'),
  });
  assert.ok(r.message.equals(MSG), 'the message differs');
  assert.equal(r.name, 'report.bin');
  assert.equal(r.recipients.length, 2);
  const out = path.join(dir, 'opened.bin');
  await envelope.openFile(env, out, { decryptKeys: key('alice.pem'), verifyKeys: key('signer.pub') });
  assert.ok(fs.readFileSync(out).equals(MSG));
  const info = await envelope.inspect(env);
  assert.equal(info.recipients.length, 2);
});

test('an envelope sealed in Node opens with the CLI', async (t) => {
  const dir = scratch(t);
  const env = path.join(dir, 'node.env');
  fs.writeFileSync(env, await envelope.seal(MSG, {
    signKey: key('signer.pem'), recipients: [key('alice.pub')], name: 'from-node.bin',
  }));
  const out = path.join(dir, 'out.bin');
  cli(['open', '--decrypt-key', key('alice.pem'), '--verify-key', key('signer.pub'), '-o', out, env]);
  assert.ok(fs.readFileSync(out).equals(MSG), 'the CLI opened other bytes');
  const sealedFile = path.join(dir, 'file.env');
  fs.writeFileSync(path.join(dir, 'in.bin'), MSG);
  await envelope.sealFile(path.join(dir, 'in.bin'), sealedFile, {
    signKey: key('signer.pem'), recipients: key('bob.pub'), hideRecipients: true,
  });
  const out2 = path.join(dir, 'out2.bin');
  cli(['open', '--decrypt-key', key('bob.pem'), '--verify-key', key('signer.pub'), '-o', out2,
       sealedFile]);
  assert.ok(fs.readFileSync(out2).equals(MSG));
});

test('a tampered Node envelope is refused by the CLI and by Node alike', async (t) => {
  const dir = scratch(t);
  const sealed = await envelope.seal(MSG, { signKey: key('signer.pem'), recipients: key('alice.pub') });
  sealed[sealed.length - 10] ^= 0xff;
  const env = path.join(dir, 'bad.env');
  fs.writeFileSync(env, sealed);
  const r = cli(['open', '--decrypt-key', key('alice.pem'), '--verify-key', key('signer.pub'),
                 '-o', path.join(dir, 'out'), env], { expect: 1 });
  assert.match(r.stderr, /tampered/i);
  assert.equal(fs.existsSync(path.join(dir, 'out')), false);
  await rejects(envelope.open(sealed, { decryptKeys: key('alice.pem'), verifyKeys: key('signer.pub') }),
                envelope.VerificationError, 'TAMPERED');
});

test('openExtract makes a directory the CLI verifies offline, and refuses an existing one',
     async (t) => {
  const dir = scratch(t);
  const env = path.join(dir, 'm.env');
  fs.writeFileSync(env, await envelope.seal(MSG, {
    signKey: key('signer.pem'), recipients: key('alice.pub'), name: 'figures.bin',
  }));
  const out = path.join(dir, 'extracted');
  const r = await envelope.openExtract(env, out, {
    decryptKeys: key('alice.pem'), verifyKeys: key('signer.pub'),
  });
  assert.equal(r.path, out);
  assert.equal(r.message, null);
  assert.deepEqual(fs.readdirSync(out).sort(), ['figures.bin', 'manifest.json', 'manifest.sig']);
  assert.ok(fs.readFileSync(path.join(out, 'figures.bin')).equals(MSG));
  cli(['verify', '--verify-key', key('signer.pub'), '--quiet', out]);
  await rejects(envelope.openExtract(env, out, {
    decryptKeys: key('alice.pem'), verifyKeys: key('signer.pub'),
  }), envelope.EnvelopeIOError, 'OUTPUT_EXISTS');
  // A tampered envelope leaves no directory.
  const bad = fs.readFileSync(env);
  bad[bad.length - 3] ^= 0xff;
  fs.writeFileSync(env, bad);
  await rejects(envelope.openExtract(env, path.join(dir, 'not-made'), {
    decryptKeys: key('alice.pem'), verifyKeys: key('signer.pub'),
  }), envelope.VerificationError, 'TAMPERED');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['extracted', 'm.env']);
});

test('inspect reports the same for an armored envelope as a Buffer and as a file', async (t) => {
  const dir = scratch(t);
  const src = path.join(dir, 'report.bin');
  const env = path.join(dir, 'report.env.asc');
  fs.writeFileSync(src, MSG);
  cli(['seal', '--armor', '--sign-key', key('signer.pem'), '--to', key('alice.pub'), '-o', env, src]);
  const fromFile = await envelope.inspect(env);
  // The armor's text says nothing exact of the bytes it holds.
  assert.equal(fromFile.payloadSize, 0, `payloadSize ${fromFile.payloadSize}`);
  assert.deepEqual(await envelope.inspect(fs.readFileSync(env)), fromFile);
});

test('a compat envelope is refused unless allowCompat, and then opens', async (t) => {
  const dir = scratch(t);
  const src = path.join(dir, 'small.bin');
  const env = path.join(dir, 'small.enc');
  const out = path.join(dir, 'small.out');
  const small = MSG.subarray(0, 100); // the compat format fits an RSA-4096 block
  fs.writeFileSync(src, small);
  cli(['seal', '--format', 'compat', '--sign-key', key('signer.pem'), '--to', key('dave.pub'),
       '-o', env, src]);
  const opts = { decryptKeys: key('dave.pem'), verifyKeys: key('signer.pub') };
  await rejects(envelope.open(fs.readFileSync(env), opts), envelope.FormatError, 'COMPAT_REFUSED');
  await rejects(envelope.openFile(env, out, opts), envelope.FormatError, 'COMPAT_REFUSED');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['small.bin', 'small.enc']);
  await assert.rejects(envelope.open(fs.readFileSync(env), { ...opts, allowCompat: 1 }),
                       { name: 'TypeError', message: 'allowCompat must be a boolean' });

  const r = await envelope.open(fs.readFileSync(env), { ...opts, allowCompat: true });
  assert.ok(r.message.equals(small), 'the compat message differs');
  assert.equal(r.format, 'compat');
  assert.equal(r.created, null);
  const f = await envelope.openFile(env, out, { ...opts, allowCompat: true });
  assert.equal(f.format, 'compat');
  assert.ok(fs.readFileSync(out).equals(small));
});
