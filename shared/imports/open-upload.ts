/** An uploaded file opened for preview or import: a chatbook as it is, anything else converted to one. */
import type { RandomAccessSource } from '../chatbook/reader';
import type { Tier } from '../http/auth';
import { openImportSource, type ImportSource } from '../interop/open-import-source';
import type { SourceFormat } from '../interop/source-format';
import { chatbookLimitsFor } from '../quotas/tiers';

export function openUpload(
  source: RandomAccessSource,
  tier: Tier,
  options: { sourceFormat?: SourceFormat | undefined; verifyData?: boolean; maxFileBytes?: number } = {},
): Promise<ImportSource> {
  return openImportSource(source, {
    limits: chatbookLimitsFor(tier, options.maxFileBytes),
    ...(options.sourceFormat ? { sourceFormat: options.sourceFormat } : {}),
    ...(options.verifyData === false ? { verifyData: false } : {}),
  });
}
