/**
 * The e-service's listener never asks for a client certificate (a browser would prompt the
 * person to pick one), while the API's listener does: seen from the wire, by OpenSSL's client,
 * which prints the server's certificate request when there is one. The API's listener is the
 * control that shows the check can see a request.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';

let reg: TestRegister;
before(async () => {
  reg = await startTestRegister();
});
after(() => reg.close());

const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;

/** What OpenSSL's client says of the handshake with the listener at `url` (asynchronously: the listener is in this process). */
function handshake(url: string, version: '-tls1_2' | '-tls1_3'): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', version], { encoding: 'utf8', timeout: 30_000 }, (_err, stdout, stderr) => resolve(`${stdout}\n${stderr}`));
    child.stdin!.end('\n');
  });
}

const REQUESTED = /Acceptable client certificate CA names|Client Certificate Types|Requested Signature Algorithms/;

test('the e-service listener sends no certificate request, with TLS 1.2 or 1.3; the API listener does', { skip: !openssl && 'no openssl here' }, async () => {
  assert.ok(reg.server.web, 'the Test register serves the e-service');
  for (const version of ['-tls1_2', '-tls1_3'] as const) {
    const api = await handshake(reg.url, version);
    assert.match(api, /Acceptable client certificate CA names/, `the API listener asks for a certificate (${version})`);
    const web = await handshake(reg.server.web.url, version);
    assert.match(web, /BEGIN CERTIFICATE/, `the handshake with the e-service completed (${version})`);
    assert.match(web, /No client certificate CA names sent/, `the e-service listener asks for no certificate (${version})`);
    assert.doesNotMatch(web, REQUESTED, `the e-service listener asks for no certificate (${version})`);
  }
});
