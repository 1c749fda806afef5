import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  issueToken,
  loadIssuer,
  LOCAL_AUDIENCE,
  LOCAL_ISSUER,
  TokenRejected,
  verifyToken,
} from '../../../infra/local/jwt';

const dataDir = mkdtempSync(join(tmpdir(), 'jwt-'));
const issuer = loadIssuer(dataDir);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function forge(header: object, claims: object, key = issuer.privateKey): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), key).toString('base64url')}`;
}

const now = Math.floor(Date.now() / 1000);
const good = { iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, sub: 'alice', exp: now + 60 };

describe('the local issuer', () => {
  it('issues tokens it accepts, with the subject and tier', () => {
    const claims = verifyToken(issuer, issueToken(issuer, { userId: 'alice', tier: 'premium' }));
    assert.equal(claims.sub, 'alice');
    assert.equal(claims['custom:tier'], 'premium');
  });

  it('keeps its key across restarts, so tokens outlive the process', () => {
    const token = issueToken(issuer, { userId: 'bob' });
    assert.equal(verifyToken(loadIssuer(dataDir), token).sub, 'bob');
  });

  const refusals: [string, () => string, RegExp][] = [
    ['alg none', () => `${b64({ alg: 'none' })}.${b64(good)}.`, /RS256/],
    ['HS256', () => `${b64({ alg: 'HS256' })}.${b64(good)}.c2ln`, /RS256/],
    [
      'a tampered payload',
      () => {
        const [h, , s] = forge({ alg: 'RS256' }, good).split('.');
        return `${h}.${b64({ ...good, sub: 'mallory' })}.${s}`;
      },
      /signature/,
    ],
    [
      'another key',
      () => forge({ alg: 'RS256' }, good, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey),
      /signature/,
    ],
    ['another issuer', () => forge({ alg: 'RS256' }, { ...good, iss: 'https://evil' }), /issuer/],
    ['another audience', () => forge({ alg: 'RS256' }, { ...good, aud: 'other' }), /audience/],
    ['expired', () => forge({ alg: 'RS256' }, { ...good, exp: now - 3600 }), /expired/],
    ['not yet valid', () => forge({ alg: 'RS256' }, { ...good, nbf: now + 3600 }), /not valid yet/],
    ['no subject', () => forge({ alg: 'RS256' }, { ...good, sub: '' }), /subject/],
    ['garbage', () => 'a.b', /not a JWT/],
  ];
  for (const [label, token, reason] of refusals) {
    it(`refuses ${label}`, () => {
      assert.throws(
        () => verifyToken(issuer, token()),
        (e: unknown) => e instanceof TokenRejected && reason.test(e.message),
      );
    });
  }

  it('accepts a token whose client_id is the audience (Cognito access tokens)', () => {
    const { aud: _aud, ...rest } = good;
    assert.equal(
      verifyToken(issuer, forge({ alg: 'RS256' }, { ...rest, client_id: LOCAL_AUDIENCE })).sub,
      'alice',
    );
  });
});
