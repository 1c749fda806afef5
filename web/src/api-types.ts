/** The parts of the API's responses the page reads (the views in shared/; the browser test holds them to it). */

// The one list of types, shared with the service (layout.ts imports nothing, so it bundles for the browser).
import { CONTENT_TYPES, type ContentType } from '../../shared/chatbook/layout';

export { CONTENT_TYPES, type ContentType };

/** Plural labels, as the page names a type in headings and selections. */
export const TYPE_LABELS: Record<ContentType, { one: string; many: string }> = {
  conversation: { one: 'conversation', many: 'conversations' },
  note: { one: 'note', many: 'notes' },
  character: { one: 'character', many: 'characters' },
  world_book: { one: 'world book', many: 'world books' },
  dictionary: { one: 'dictionary', many: 'dictionaries' },
  prompt: { one: 'prompt', many: 'prompts' },
  media: { one: 'media item', many: 'media items' },
  embedding: { one: 'embedding', many: 'embeddings' },
  generated_document: { one: 'generated document', many: 'generated documents' },
  evaluation: { one: 'evaluation', many: 'evaluations' },
};

export function isContentType(value: string): value is ContentType {
  return (CONTENT_TYPES as readonly string[]).includes(value);
}

export function countOf(type: ContentType, count: number): string {
  return `${count} ${count === 1 ? TYPE_LABELS[type].one : TYPE_LABELS[type].many}`;
}

export interface LibraryItem {
  id: string;
  type: ContentType;
  title: string;
  tags: string[];
  updated_at: string;
  size_bytes: number;
}

export interface LibraryPage {
  items: LibraryItem[];
  next_cursor: string | null;
}

export type JobStatus = 'pending' | 'in_progress' | 'completed' | 'failed' | 'cancelled' | 'expired';

export const RUNNING_STATUSES: readonly JobStatus[] = ['pending', 'in_progress'];

export interface ExportJob {
  job_id: string;
  status: JobStatus;
  chatbook_name: string;
  created_at: string;
  completed_at: string | null;
  progress_percentage: number;
  total_items: number;
  processed_items: number;
  total_bytes: number;
  processed_bytes: number;
  file_size_bytes: number | null;
  sha256: string | null;
  expires_at: string | null;
  download_url: string | null;
  download_count: number;
  error: { code: string; message: string } | null;
  warnings: string[];
}

export const OUTCOMES = ['imported', 'skipped', 'renamed', 'merged', 'overwritten', 'failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface ImportJob {
  job_id: string;
  status: JobStatus;
  chatbook_name: string;
  strategy: string | null;
  created_at: string;
  completed_at: string | null;
  progress_percentage: number;
  total_items: number;
  processed_items: number;
  counts: Record<Outcome, number>;
  warnings: string[];
  error: { code: string; message: string } | null;
  report_url: string;
}

export interface JobPage<J> {
  jobs: J[];
  next_cursor: string | null;
}

export interface UploadTicket {
  upload_id: string;
  url: string;
  fields: Record<string, string>;
  max_bytes: number;
}

export const STRATEGIES = ['skip', 'overwrite', 'rename', 'merge'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export interface ConflictForecast {
  type: ContentType;
  id: string;
  title: string;
  existing_id: string;
  existing_title: string;
  outcomes: Record<Strategy, string>;
}

export interface PreviewReport {
  upload_id: string;
  size_bytes: number;
  manifest: {
    version: string;
    name: string;
    description: string;
    author: string | null;
    created_at: unknown;
  };
  counts: Partial<Record<ContentType, number>>;
  total_items: number;
  archive: { entries: number; uncompressed_bytes: number };
  features: { unsupported: string[] };
  integrity: { verified_files: number; inventory_verified_files: number; status: 'verified' | 'crc_only' };
  warnings: string[];
  conflicts: {
    by_type: Partial<Record<ContentType, { new: number; conflicting: number }>>;
    total: number;
    items: ConflictForecast[];
    truncated: boolean;
  };
}

export interface ReportItem {
  type: ContentType;
  source_id: string;
  title: string;
  outcome: Outcome;
  library_id: string | null;
  reason: string | null;
  notes: string[];
}

export interface ReportPage {
  items: ReportItem[];
  next_cursor: string | null;
}

/** GET /quota (QuotaView in shared/quotas/quotas.ts); `null` is unlimited. */
export interface Quota {
  tier: string;
  limits: {
    storage_bytes: number | null;
    exports_per_day: number | null;
    imports_per_day: number | null;
    concurrent_jobs: number;
    max_file_bytes: number;
  };
  usage: { storage_bytes: number; exports_today: number; imports_today: number; active_jobs: number };
  day_resets_at: string;
}
