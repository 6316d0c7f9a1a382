'use strict';
// awskms:// keys through the binding, against the project's KMS test
// server (tests/kms-server). Skipped, saying why, where the library has no
// KMS support or the server's packages are missing; a server that has its
// packages but does not start is a failure.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const envelope = require('..');
const { REPO, key, cli, scratch, rejects } = require('./helpers.js');

const { Key } = envelope;
const KMSCTL = path.join(REPO, 'tests', 'kms-server', 'kmsctl.sh');
const SIGN_REF = 'awskms:///alias/sample-sign-verify-key';
const ENCRYPT_REF = 'awskms:///alias/sample-encrypt-decrypt-key';
const ADMIN = ['AKIAKMSTESTADMIN0001', 'kms-test/admin/SECRET/00000000000000000000'];

// Starts the server and points this process's AWS settings at it. Runs
// before the first KMS call: the library reads them when a context first
// uses KMS.
function startServer(t) {
  const root = scratch(t);
  const state = path.join(root, 'state');
  fs.writeFileSync(path.join(root, 'seed.json'), JSON.stringify({ keys: [
    { key_spec: 'RSA_2048', key_usage: 'ENCRYPT_DECRYPT',
      aliases: ['alias/sample-encrypt-decrypt-key'] },
    { key_spec: 'ECC_NIST_P521', aliases: ['alias/sample-sign-verify-key'] },
  ] }));
  const start = spawnSync('bash', [KMSCTL, 'start', state, '--seed', path.join(root, 'seed.json')],
                          { encoding: 'utf8',
                            env: { PATH: '/usr/bin:/bin', KMS_SERVER_MAX_LIFETIME: '900' } });
  if (start.status !== 0) {
    const deps = spawnSync('/usr/bin/python3', ['-c', 'import cryptography, botocore'],
                           { encoding: 'utf8' });
    if (deps.status !== 0) return { skip: `the KMS test server cannot run here: ${deps.stderr}` };
    assert.fail(`the KMS test server did not start (exit ${start.status}): ${start.stderr}`);
  }
  t.after(() => spawnSync('bash', [KMSCTL, 'stop', state]));
  for (const v of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_DEFAULT_REGION', 'AWS_ENDPOINT_URL']) {
    delete process.env[v];
  }
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_KMS: start.stdout.trim(),
    AWS_CA_BUNDLE: path.join(state, 'ca.pem'),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: ADMIN[0],
    AWS_SECRET_ACCESS_KEY: ADMIN[1],
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: path.join(root, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(root, 'no-credentials'),
  });
  return { skip: null };
}

test('KMS keys', async (t) => {
  const { skip } = startServer(t);
  if (skip) return t.skip(skip);
  try {
    await Key.load(SIGN_REF);
  } catch (e) {
    if (e.code === 'UNSUPPORTED') return t.skip(`this libenvelope has no KMS support: ${e.detail}`);
    throw e;
  }

  await t.test('seal and open with KMS keys, as Key objects and as references', async () => {
    const sign = await Key.load(SIGN_REF);
    const box = await Key.load(ENCRYPT_REF);
    assert.equal(sign.isKms, true);
    assert.equal(sign.isPrivate, true);
    assert.equal(sign.kind, null, 'the kind of a KMS key is known only once it is used');
    const msg = Buffer.from('through KMS'.repeat(1000));
    const sealed = await envelope.seal(msg, { signKey: sign, recipients: [ENCRYPT_REF] });
    const r = await envelope.open(sealed, { decryptKeys: box, verifyKeys: SIGN_REF });
    assert.ok(r.message.equals(msg));
    assert.match(r.recipients[0], /^arn:aws:kms:us-east-1:111122223333:key\//);
    assert.ok(r.signer.length > 0);
    assert.equal(sign.kind, 'signing');
  });

  await t.test('a partner without AWS access uses the exported public keys, with the CLI',
               async (tt) => {
    const dir = scratch(tt);
    const box = await Key.load(ENCRYPT_REF);
    const sign = await Key.load(SIGN_REF);
    const boxPub = path.join(dir, 'box.pub');
    const signPub = path.join(dir, 'sign.pub');
    fs.writeFileSync(boxPub, await box.publicPem());
    fs.writeFileSync(signPub, await sign.publicPem());
    assert.equal(await (await Key.load(boxPub)).fingerprint(), await box.fingerprint());
    // The partner seals with the CLI and a local key; the receiver opens in KMS.
    fs.writeFileSync(path.join(dir, 'm.txt'), 'from the partner');
    cli(['seal', '--sign-key', key('signer.pem'), '--to', boxPub, '-o', path.join(dir, 'm.env'),
         path.join(dir, 'm.txt')]);
    const r = await envelope.open(fs.readFileSync(path.join(dir, 'm.env')), {
      decryptKeys: ENCRYPT_REF, verifyKeys: key('signer.pub'),
    });
    assert.equal(r.message.toString(), 'from the partner');
    // The receiver signs in KMS; the partner verifies with the exported key.
    await envelope.sealFile(path.join(dir, 'm.txt'), path.join(dir, 'back.env'), {
      signKey: SIGN_REF, recipients: key('alice.pub'),
    });
    cli(['open', '--decrypt-key', key('alice.pem'), '--verify-key', signPub,
         '-o', path.join(dir, 'back.txt'), path.join(dir, 'back.env')]);
    assert.equal(fs.readFileSync(path.join(dir, 'back.txt'), 'utf8'), 'from the partner');
  });

  await t.test('KMS failures are KMSErrors carrying the service error', async () => {
    const missing = await Key.load('awskms:///alias/does-not-exist');
    const e = await rejects(missing.fingerprint(), envelope.KMSError, 'KMS_NOT_FOUND');
    assert.equal(e.kmsType, 'NotFoundException');
    await rejects(envelope.seal(Buffer.from('x'), {
      signKey: 'awskms:///alias/does-not-exist', recipients: key('alice.pub'),
    }), envelope.KMSError, 'KMS_NOT_FOUND');
  });

  await t.test('8 concurrent KMS seals and opens', async () => {
    const jobs = [];
    for (let i = 0; i < 8; i++) {
      const msg = Buffer.from(`message ${i} `.repeat(100 + i));
      jobs.push(envelope.seal(msg, { signKey: SIGN_REF, recipients: ENCRYPT_REF })
        .then((env) => envelope.open(env, { decryptKeys: ENCRYPT_REF, verifyKeys: SIGN_REF }))
        .then((r) => assert.ok(r.message.equals(msg), `message ${i} differs`)));
    }
    await Promise.all(jobs);
  });
});
