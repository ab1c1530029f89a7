/**
 * The e-service's private_key_jwt key (PCR_OIDC_PRIVATE_KEY_FILE) becomes a WebCrypto signing
 * key for every key type a provider accepts (RS256, ES256/384/512, EdDSA), and any other is
 * refused with a message naming the setting. test/eservice/external-idp.test.ts logs in with one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, webcrypto, type KeyObject } from 'node:crypto';
import { signingAlgorithm } from '../../src/eservice/app.ts';

async function signs(key: KeyObject): Promise<void> {
  const algorithm = signingAlgorithm(key);
  const crypto = await webcrypto.subtle.importKey('pkcs8', key.export({ format: 'der', type: 'pkcs8' }), algorithm, false, ['sign']);
  const params = algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : algorithm;
  const signature = await webcrypto.subtle.sign(params, crypto, new TextEncoder().encode('header.payload'));
  assert.ok(signature.byteLength > 0);
}

test('RSA, EC P-256 / P-384 / P-521 and Ed25519 keys are imported for signing', async () => {
  await signs(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
  for (const namedCurve of ['P-256', 'P-384', 'P-521']) await signs(generateKeyPairSync('ec', { namedCurve }).privateKey);
  await signs(generateKeyPairSync('ed25519').privateKey);
  assert.deepEqual(signingAlgorithm(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey), { name: 'ECDSA', namedCurve: 'P-384' });
});

test('other keys are refused, naming the setting', () => {
  assert.throws(() => signingAlgorithm(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey), /PCR_OIDC_PRIVATE_KEY_FILE holds a key of type ec \(secp256k1\)/);
  assert.throws(() => signingAlgorithm(generateKeyPairSync('x25519').privateKey), /PCR_OIDC_PRIVATE_KEY_FILE holds a key of type x25519/);
});
