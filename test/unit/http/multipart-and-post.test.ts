// The multipart reader tldw-style uploads go through, and the SigV4 signing of presigned POST policies.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presignPost, signPolicy } from '../../../shared/aws/s3-presigned-post';
import { ValidationError } from '../../../shared/errors';
import { multipartBoundary, parseMultipart } from '../../../shared/http/multipart';

describe('multipart/form-data', () => {
  it('finds the boundary, quoted or not, and only for multipart', () => {
    assert.equal(multipartBoundary('multipart/form-data; boundary=abc123'), 'abc123');
    assert.equal(multipartBoundary('multipart/form-data; boundary="a b"'), 'a b');
    assert.equal(multipartBoundary('application/json'), undefined);
  });

  it('reads fields and a binary file byte for byte', async () => {
    const form = new FormData();
    form.append('source_format', 'chatbook');
    const bytes = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x0d, 0x0a, 0x2d, 0x2d, 0xff, 0x00]);
    form.append('file', new Blob([new Uint8Array(bytes)]), 'pack.chatbook');
    const request = new Request('http://x/', { method: 'POST', body: form });
    const body = Buffer.from(await request.arrayBuffer());
    const parts = parseMultipart(body, multipartBoundary(request.headers.get('content-type') ?? '') ?? '');
    assert.deepEqual(
      parts.map((part) => [part.name, part.fileName, part.data.toString('latin1')]),
      [
        ['source_format', undefined, 'chatbook'],
        ['file', 'pack.chatbook', bytes.toString('latin1')],
      ],
    );
  });

  it('refuses a body that is not the multipart it claims', () => {
    assert.throws(() => parseMultipart(Buffer.from('garbage'), 'xyz'), ValidationError);
    assert.throws(
      () =>
        parseMultipart(Buffer.from('--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nno end'), 'xyz'),
      ValidationError,
    );
  });
});

describe('presigned POST', () => {
  it('derives the SigV4 signing key and signs the policy (a published test vector)', () => {
    // Secret "bravo", date "charlie", region "delta", service "echo", signing base64("alpha").
    assert.equal(
      signPolicy('YWxwaGE=', 'bravo', 'charlie', 'delta', 'echo'),
      '7b9d11447e7bba48ef0d530f49d82de8adfd7b7ae064b144e6ac60d82166e4a6',
    );
  });

  it('puts every field into the signed policy, with the size range and expiry', () => {
    const post = presignPost({
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'token' },
      region: 'eu-west-1',
      url: 'https://bucket.s3.eu-west-1.amazonaws.com',
      bucket: 'bucket',
      key: 'users/u/chatbooks/imports/1.chatbook',
      contentLength: { min: 1, max: 1000 },
      fields: { tagging: '<Tagging/>' },
      expiresSeconds: 900,
      now: new Date('2026-11-22T10:00:00Z'),
    });
    const policy = JSON.parse(Buffer.from(post.fields.policy ?? '', 'base64').toString('utf8')) as {
      expiration: string;
      conditions: unknown[];
    };
    assert.equal(policy.expiration, '2026-11-22T10:15:00.000Z');
    assert.deepEqual(policy.conditions, [
      { bucket: 'bucket' },
      ['content-length-range', 1, 1000],
      { key: 'users/u/chatbooks/imports/1.chatbook' },
      { tagging: '<Tagging/>' },
      { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' },
      { 'x-amz-credential': 'AKID/20261122/eu-west-1/s3/aws4_request' },
      { 'x-amz-date': '20261122T100000Z' },
      { 'x-amz-security-token': 'token' },
    ]);
    assert.equal(
      post.fields['x-amz-signature'],
      signPolicy(post.fields.policy ?? '', 'secret', '20261122', 'eu-west-1', 's3'),
    );
  });
});
