/**
 * Entry path checks. The writer only receives paths our own code built, so a bad one is a programming
 * error: it fails the export loudly instead of producing an archive the importer would reject.
 */
import { DomainError } from '../../errors';
import { MANIFEST_PATH, README_PATH } from '../layout';

const MAX_PATH_BYTES = 0xffff;

export function assertSafeEntryPath(path: string): void {
  const problem = unsafePathProblem(path);
  if (problem !== undefined) {
    throw new DomainError(
      'unsafe_path',
      `Chatbook entry path is not safe (${problem}); build it with layout.ts.`,
      {
        details: { path },
      },
    );
  }
}

function unsafePathProblem(path: string): string | undefined {
  if (path.length === 0) return 'empty';
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) return 'too long';
  if (path.includes('\0')) return 'NUL character';
  if (path.includes('\\')) return 'backslash';
  if (path.startsWith('/')) return 'absolute';
  if (/^[A-Za-z]:/.test(path)) return 'drive letter';
  if (path.startsWith('~')) return 'home-relative';
  for (const segment of path.split('/')) {
    if (segment === '') return 'empty segment or trailing slash';
    if (segment === '.' || segment === '..') return 'dot segment';
  }
  return undefined;
}

/** Paths already used in this archive; README.md and manifest.json are the writer's own. */
export class EntryPathRegistry {
  private readonly seen = new Set<string>([README_PATH, MANIFEST_PATH]);

  add(path: string): void {
    assertSafeEntryPath(path);
    if (this.seen.has(path)) {
      throw new DomainError('duplicate_path', 'Chatbook entry path is used twice (or is a reserved name).', {
        details: { path },
      });
    }
    this.seen.add(path);
  }
}
