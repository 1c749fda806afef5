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

const SLASH = 0x2f;
const DOT = 0x2e;

/** One pass over the characters; the common (safe) path allocates nothing. */
function unsafePathProblem(path: string): string | undefined {
  const length = path.length;
  if (length === 0) return 'empty';
  // A UTF-16 code unit is at most 3 UTF-8 bytes: only long paths need their byte length measured.
  if (length > MAX_PATH_BYTES / 3 && Buffer.byteLength(path) > MAX_PATH_BYTES) return 'too long';
  const first = path.charCodeAt(0);
  if (first === SLASH) return 'absolute';
  if (first === 0x7e) return 'home-relative';
  if (length > 1 && path.charCodeAt(1) === 0x3a && (first | 0x20) >= 0x61 && (first | 0x20) <= 0x7a)
    return 'drive letter';
  let segmentStart = 0;
  for (let i = 0; i <= length; i++) {
    const code = i < length ? path.charCodeAt(i) : SLASH;
    if (code === 0) return 'NUL character';
    if (code === 0x5c) return 'backslash';
    if (code !== SLASH) continue;
    const segmentLength = i - segmentStart;
    if (segmentLength === 0) return 'empty segment or trailing slash';
    if (
      path.charCodeAt(segmentStart) === DOT &&
      (segmentLength === 1 || (segmentLength === 2 && path.charCodeAt(segmentStart + 1) === DOT))
    )
      return 'dot segment';
    segmentStart = i + 1;
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
