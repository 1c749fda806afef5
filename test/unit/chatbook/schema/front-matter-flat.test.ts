// The flat front-matter reader must give exactly what the YAML parser gives, or step aside.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { readFlatFrontMatter } from '../../../../shared/chatbook/codec/front-matter';

const parsed = (text: string): unknown => parse(text, { schema: 'core', intAsBigInt: false }) as unknown;

describe('flat front matter', () => {
  it('reads plain strings, small integers and single-quoted strings as the YAML parser does', () => {
    const samples = [
      'id: n1\ntitle: Note 1\n',
      'id: 42\ntitle: A note, with (parens) and a/slash - dash\n',
      "title: 'It''s: quoted # not a comment'\nid: 0\n",
      'title: Infinity\nother: NaN\nthird: e1\n',
      'created_at: 2026-01-01\n',
      '',
    ];
    for (const text of samples) {
      const flat = readFlatFrontMatter(text);
      if (flat === undefined) {
        assert.ok(text.includes('2026-01-01'), `${JSON.stringify(text)} should be read flat`);
        continue;
      }
      assert.deepEqual(flat, parsed(text) ?? {}, JSON.stringify(text));
    }
  });

  it('steps aside for anything the parser reads differently', () => {
    for (const text of [
      'flag: true\n',
      'nothing: null\n',
      'count: 007\n',
      'big: 1234567890123456789\n',
      'title: trailing space \n',
      'title: a: b\n',
      'title: a # comment\n',
      'tags:\n  - a\n',
      'title: "double"\n',
      'id: n1\nid: n2\n',
      '# comment\nid: n1\n',
      'float: 1.5\n',
      'neg: -3\n',
      'title: x\r\n',
      '__proto__: x\n',
    ]) {
      assert.equal(readFlatFrontMatter(text), undefined, JSON.stringify(text));
    }
  });
});
