import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
test('zlib.crc32 is native here', () => {
  assert.equal(crc32('hello'), 0x3610a686);
});
