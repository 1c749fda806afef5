// The SDK's byte handling and error decoding, without a service: the streamed presigned POST body (exact length,
// form framing), download metering, Content-Disposition names, and errors from API Gateway and S3.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { INLINE_UPLOAD_MAX_BYTES } from '../../../shared/imports/upload-service';
import { apiErrorOf, INLINE_UPLOAD_LIMIT } from '../../../sdk/src/client';
import { fileNameOf, meterDownload, openSource, presignedPostBody } from '../../../sdk/src/transfer';

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('the presigned POST body', () => {
  it('is a multipart form with every field, then the file last, of exactly the declared length', async () => {
    const file = Buffer.from('PK\u0003\u0004 not really a zip');
    const source = await openSource(file, { fileName: 'my "pack".chatbook' });
    const progress: number[] = [];
    const form = presignedPostBody({ key: 'users/u/x.chatbook', policy: 'cG9saWN5' }, source, (p) =>
      progress.push(p.transferredBytes),
    );
    const body = await readAll(form.body);
    assert.equal(body.length, form.contentLength);
    const boundary = /boundary=(.+)$/.exec(form.contentType)?.[1] ?? '';
    const parts = body.toString('latin1').split(`--${boundary}`);
    assert.equal(parts.length, 5, 'preamble, two fields, the file, the end');
    assert.equal(parts[1], '\r\nContent-Disposition: form-data; name="key"\r\n\r\nusers/u/x.chatbook\r\n');
    assert.equal(parts[2], '\r\nContent-Disposition: form-data; name="policy"\r\n\r\ncG9saWN5\r\n');
    assert.equal(
      parts[3],
      `\r\nContent-Disposition: form-data; name="file"; filename="my %22pack%22.chatbook"\r\nContent-Type: application/zip\r\n\r\n${file.toString('latin1')}\r\n`,
    );
    assert.equal(parts[4], '--\r\n');
    assert.equal(progress.at(-1), file.length);
  });

  it('needs a size for a stream source, and the inline limit is the server one', async () => {
    await assert.rejects(openSource(new Blob(['x']).stream(), {}), /sizeBytes/);
    assert.equal(INLINE_UPLOAD_LIMIT, INLINE_UPLOAD_MAX_BYTES);
  });
});

describe('downloads', () => {
  it('meters and hashes what passes through', async () => {
    const bytes = Buffer.alloc(300_000, 7);
    const seen: number[] = [];
    const metered = meterDownload(new Blob([bytes]).stream(), bytes.length, (p) =>
      seen.push(p.transferredBytes),
    );
    assert.deepEqual(await readAll(metered.stream), bytes);
    assert.deepEqual(metered.result(), {
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    assert.equal(seen.at(-1), bytes.length);
  });

  it('reads the file name from Content-Disposition, both forms', () => {
    assert.equal(fileNameOf('attachment; filename="Pack (1).chatbook"'), 'Pack (1).chatbook');
    assert.equal(fileNameOf("attachment; filename*=UTF-8''R%C3%A9sum%C3%A9.chatbook"), 'Résumé.chatbook');
    assert.equal(fileNameOf(null), undefined);
  });
});

describe('errors', () => {
  it('decodes the error model, API Gateway answers and S3 XML', async () => {
    const model = await apiErrorOf(
      new Response(
        JSON.stringify({ error: { code: 'job_not_found', message: 'No job', details: { a: 1 } } }),
        {
          status: 404,
          headers: { 'x-request-id': 'req-1' },
        },
      ),
    );
    assert.deepEqual(
      [model.status, model.code, model.message, model.details, model.requestId, model.retryable],
      [404, 'job_not_found', 'No job', { a: 1 }, 'req-1', false],
    );
    const gateway = await apiErrorOf(
      new Response('{"message":"Unauthorized"}', { status: 401, headers: { 'apigw-requestid': 'gw-1' } }),
    );
    assert.deepEqual(
      [gateway.code, gateway.message, gateway.requestId],
      ['unauthorized', 'Unauthorized', 'gw-1'],
    );
    const storage = await apiErrorOf(
      new Response(
        '<Error><Code>EntityTooLarge</Code><Message>Your proposed upload exceeds the maximum allowed size</Message></Error>',
        {
          status: 400,
        },
      ),
    );
    assert.deepEqual(
      [storage.code, storage.message],
      [
        'EntityTooLarge',
        'The storage service refused: Your proposed upload exceeds the maximum allowed size',
      ],
    );
    const unavailable = await apiErrorOf(
      new Response('', { status: 503, statusText: 'Service Unavailable' }),
    );
    assert.deepEqual(
      [unavailable.code, unavailable.message, unavailable.retryable],
      ['http_503', 'HTTP 503 Service Unavailable', true],
    );
  });
});
