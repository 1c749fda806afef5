/**
 * A small multipart/form-data reader for request bodies already in memory (API Gateway hands the Lambda the
 * whole body, at most a few MB): enough for tldw clients that send a chatbook as the `file` field.
 */
import { ValidationError } from '../errors';

export interface FormPart {
  name: string;
  fileName?: string;
  contentType?: string;
  data: Buffer;
}

/** The boundary of a multipart/form-data content type, or undefined for any other type. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) return undefined;
  const match = /boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

function malformed(): ValidationError {
  return new ValidationError(
    'malformed_multipart',
    'The multipart/form-data body could not be read. Send the chatbook as a "file" field, or as the raw body with content-type application/zip.',
  );
}

export function parseMultipart(body: Buffer, boundary: string): FormPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) throw malformed();
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === '--') return parts;
    if (body.subarray(at, at + 2).toString() !== '\r\n') throw malformed();
    at += 2;
    const headerEnd = body.indexOf('\r\n\r\n', at);
    if (headerEnd < 0) throw malformed();
    const headers = body.subarray(at, headerEnd).toString('utf8').split('\r\n');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw malformed();
    const part: FormPart = { name: '', data: body.subarray(headerEnd + 4, next) };
    for (const header of headers) {
      const [rawName = '', ...rest] = header.split(':');
      const value = rest.join(':').trim();
      if (rawName.trim().toLowerCase() === 'content-disposition') {
        part.name = /\bname="([^"]*)"/i.exec(value)?.[1] ?? '';
        const fileName = /\bfilename="([^"]*)"/i.exec(value)?.[1];
        if (fileName !== undefined) part.fileName = fileName;
      } else if (rawName.trim().toLowerCase() === 'content-type') {
        part.contentType = value;
      }
    }
    parts.push(part);
    at = next + 2;
  }
}
