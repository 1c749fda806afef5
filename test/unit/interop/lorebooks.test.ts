// SillyTavern World Info files (entries keyed by uid, or a list) and spec lorebooks into world book items, and
// world books back out as spec lorebooks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { worldBookToLorebook } from '../../../shared/interop';
import {
  cardV3,
  specLorebook,
  worldInfoArrayForm,
  worldInfoObjectForm,
} from '../../support/interop-fixtures';
import { openAndDecode } from './helpers';

describe('SillyTavern World Info', () => {
  it('maps entries keyed by uid the way SillyTavern does, keeping every field and null as null', async () => {
    const { format, items, failures } = await openAndDecode(worldInfoObjectForm(), {
      fileName: 'Ashes.json',
    });
    assert.equal(format, 'lorebook_json');
    assert.deepEqual(failures, []);
    const [book] = items.world_book;
    assert.ok(book);
    assert.equal(book.name, 'Ashes', 'a World Info file has no name inside: the file name gives it');
    assert.deepEqual(book.metadata, { source_format: 'lorebook_json', lorebook: { entries_form: 'object' } });
    assert.deepEqual(
      book.entries.map((e) => [
        e.keywords,
        e.content,
        e.priority,
        e.enabled,
        e.regex_match,
        e.case_sensitive,
      ]),
      [
        [['castle'], 'A ruined castle.', 100, true, true, undefined],
        [['river', 'ford'], 'A shallow ford.', 7, false, true, true],
      ],
    );
    const second = book.entries[1]!;
    assert.equal(second.whole_word_match, false);
    const lorebook = (second.metadata as { lorebook: Record<string, unknown> }).lorebook;
    assert.equal(lorebook.id, 1);
    assert.equal(lorebook.position, 'after_char');
    assert.deepEqual(lorebook.secondary_keys, []);
    assert.equal(lorebook.comment, 'entry 1');
    assert.deepEqual(lorebook.extensions, {
      vectorized: false,
      selectiveLogic: 0,
      position: 4,
      exclude_recursion: false,
      prevent_recursion: false,
      delay_until_recursion: false,
      probability: 100,
      useProbability: true,
      depth: 4,
      group: '',
      group_override: false,
      group_weight: 100,
      scan_depth: null,
      case_sensitive: true,
      match_whole_words: false,
      use_group_scoring: null,
      automation_id: '',
      role: null,
      sticky: 0,
      cooldown: 0,
      delay: 0,
      display_index: 1,
      triggers: [],
      characterFilter: { isExclude: false, names: ['Aria'] },
    });
    const first = (book.entries[0]!.metadata as { lorebook: { extensions: Record<string, unknown> } })
      .lorebook;
    assert.equal(first.extensions.case_sensitive, null, 'null means "use the global setting": not false');
    assert.equal(first.extensions.match_whole_words, null);
  });

  it('reads entries given as a list the same way', async () => {
    const { items } = await openAndDecode(worldInfoArrayForm());
    const [book] = items.world_book;
    assert.ok(book);
    assert.equal(book.name, 'Valley');
    assert.deepEqual(
      book.entries.map((e) => [
        e.keywords,
        e.content,
        (e.metadata as { lorebook: { id: number } }).lorebook.id,
      ]),
      [
        [['mill'], 'A water mill.', 3],
        [['bell'], 'A bell tower.', 4],
      ],
    );
  });

  it('names a World Info file without a name or file name plainly', async () => {
    const { items, archive } = await openAndDecode(worldInfoObjectForm());
    assert.equal(items.world_book[0]?.name, 'Imported lorebook');
    assert.equal(archive.manifest.name, 'Lorebook: Imported lorebook');
  });
});

describe('spec lorebooks', () => {
  it('reads lorebook_v3 and writes the same lorebook back', async () => {
    const { items } = await openAndDecode(specLorebook());
    const [book] = items.world_book;
    assert.ok(book);
    assert.equal(book.name, 'Pass lore');
    assert.equal(book.entries.length, 2);
    assert.deepEqual(worldBookToLorebook(book), (cardV3().data as Record<string, unknown>).character_book);
    assert.deepEqual((book.metadata as Record<string, unknown>).world_info, { spec: 'lorebook_v3' });
  });

  it('writes a world book made in the library (no kept spec fields) as a valid spec lorebook', () => {
    const lorebook = worldBookToLorebook({
      id: 'w1',
      name: 'Mine',
      description: null,
      entries: [{ keywords: ['a'], content: 'A', priority: 5, enabled: true, whole_word_match: true }],
    });
    assert.deepEqual(lorebook, {
      name: 'Mine',
      extensions: {},
      entries: [
        { keys: ['a'], content: 'A', extensions: {}, enabled: true, insertion_order: 5, use_regex: false },
      ],
    });
  });

  it('puts edits made in the library over the kept spec fields', async () => {
    const { items } = await openAndDecode(specLorebook());
    const book = items.world_book[0]!;
    const edited = {
      ...book,
      entries: [{ ...book.entries[0]!, keywords: ['bridge', 'span'], enabled: false }],
    };
    const entry = worldBookToLorebook(edited).entries[0]!;
    assert.deepEqual(entry.keys, ['bridge', 'span']);
    assert.equal(entry.enabled, false);
    assert.equal(entry.comment, 'bridge', 'the kept fields stay');
  });
});
