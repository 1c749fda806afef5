/**
 * Import a chatbook: upload it (presigned POST, with progress), read the preview (what it holds, whether it is
 * intact, which items already exist and what each strategy would do to them), choose a strategy and import.
 */
import {
  STRATEGIES,
  TYPE_LABELS,
  countOf,
  type ImportJob,
  type PreviewReport,
  type Strategy,
  type UploadTicket,
} from '../api-types';
import type { ViewContext } from '../app';
import { choice, field, fill, formatBytes, h, on, showError, timeElement, uid } from '../dom';
import { uploadToTicket } from '../transfer';
import { isAbort } from '../timing';

const STRATEGY_TEXT: Record<Strategy, { label: string; hint: string }> = {
  skip: { label: 'Skip', hint: 'Keep your item; the chatbook’s is not imported.' },
  overwrite: { label: 'Overwrite', hint: 'Replace your item’s content with the chatbook’s, keeping its id.' },
  rename: { label: 'Rename', hint: 'Import the chatbook’s item beside yours, as "<name> (N)".' },
  merge: { label: 'Merge', hint: 'Add what your item lacks; where both differ, keep yours.' },
};

/** The last preview, kept while the tab lives so coming back here does not lose it. */
let preview: PreviewReport | undefined;
let strategy: Strategy = 'skip';

export function renderImport(context: ViewContext): HTMLElement {
  const { api, signal } = context;
  const uploadError = h('div', { class: 'error-slot' });
  const fileInput = h('input', {
    type: 'file',
    id: 'import-file',
    name: 'file',
    accept: '.chatbook,.zip,application/zip',
    required: true,
  });
  const uploadButton = h('button', { type: 'submit', class: 'primary' }, 'Upload and preview');
  const uploadStatus = h('div', { class: 'transfer', 'aria-live': 'polite' });
  const previewSection = h('section', { class: 'preview', 'aria-labelledby': 'preview-title', hidden: true });

  const uploadForm = h(
    'form',
    { class: 'upload-form' },
    field('Chatbook file', fileInput, 'A .chatbook or .zip exported by Chatbooks or tldw_server.'),
    uploadButton,
  );

  const upload = async (file: File) => {
    showError(uploadError, undefined);
    uploadButton.disabled = true;
    preview = undefined;
    previewSection.hidden = true;
    const bar = h('progress', { id: 'upload-progress', max: 100, value: 0 });
    const text = h('span', {}, 'Asking for an upload slot…');
    fill(uploadStatus, h('label', { for: 'upload-progress' }, 'Upload'), bar, text);
    try {
      const ticket = await api.json<UploadTicket>(
        'POST',
        '/api/v1/chatbooks/uploads',
        { file_name: /\.(chatbook|zip)$/i.test(file.name) ? file.name : undefined, size_bytes: file.size },
        signal,
      );
      let lastQuarter = 0;
      await uploadToTicket(
        ticket,
        file,
        (loaded, total) => {
          const percent = total ? Math.floor((loaded / total) * 100) : 0;
          bar.value = percent;
          fill(text, `${formatBytes(loaded)} of ${formatBytes(total)}`);
          if (Math.floor(percent / 25) > lastQuarter) {
            lastQuarter = Math.floor(percent / 25);
            context.announce(`Upload ${percent}% done.`);
          }
        },
        signal,
      );
      bar.value = 100;
      fill(text, 'Uploaded. Checking the chatbook…');
      context.announce('Uploaded. Checking the chatbook.');
      preview = await api.json<PreviewReport>(
        'POST',
        '/api/v1/chatbooks/preview',
        { upload_id: ticket.upload_id },
        signal,
      );
      fill(text, 'Uploaded and checked.');
      renderPreview();
      previewSection.querySelector<HTMLElement>('h2')?.focus();
    } catch (error) {
      if (isAbort(error)) return;
      fill(uploadStatus);
      showError(uploadError, error);
      uploadError.querySelector<HTMLElement>('[role="alert"]')?.focus();
    } finally {
      uploadButton.disabled = false;
    }
  };

  on(uploadForm, 'submit', (event) => {
    event.preventDefault();
    const file = fileInput.files?.[0];
    if (!file) {
      showError(uploadError, new Error('Choose a chatbook file first.'));
      return;
    }
    void upload(file);
  });

  const renderPreview = () => {
    if (!preview) return;
    const report = preview;
    previewSection.hidden = false;
    const conflictRows = h('tbody');
    const outcomeHeader = h('th', { scope: 'col' });
    const showOutcomes = () => {
      fill(outcomeHeader, `With “${STRATEGY_TEXT[strategy].label}”`);
      fill(
        conflictRows,
        ...report.conflicts.items.map((conflict) =>
          h(
            'tr',
            {},
            h('td', {}, TYPE_LABELS[conflict.type].one),
            h('th', { scope: 'row' }, conflict.title),
            h(
              'td',
              {},
              conflict.existing_title,
              ' ',
              h('span', { class: 'muted' }, `(${conflict.existing_id})`),
            ),
            h('td', {}, conflict.outcomes[strategy]),
          ),
        ),
      );
    };

    const strategyName = uid('strategy');
    const radios = STRATEGIES.map((value) => {
      const radio = h('input', {
        type: 'radio',
        name: strategyName,
        value,
        id: `strategy-${value}`,
        checked: value === strategy,
      });
      on(radio, 'change', () => {
        if (radio.checked) {
          strategy = value;
          showOutcomes();
        }
      });
      return choice(STRATEGY_TEXT[value].label, radio, STRATEGY_TEXT[value].hint);
    });
    const prefixInput = h('input', { id: 'import-prefix', name: 'prefix', maxlength: 50 });
    const mediaInput = h('input', { type: 'checkbox', id: 'import-media', checked: true });
    const embeddingsInput = h('input', { type: 'checkbox', id: 'import-embeddings', checked: true });
    const importButton = h('button', { type: 'submit', class: 'primary' }, 'Import');
    const importError = h('div', { class: 'error-slot' });
    const importForm = h(
      'form',
      { class: 'import-form' },
      h('fieldset', {}, h('legend', {}, 'When an item already exists'), ...radios),
      field('Title prefix (optional)', prefixInput, 'Put before every imported title, e.g. "[Imported] ".'),
      choice('Include media files', mediaInput),
      choice('Include embeddings', embeddingsInput),
      importButton,
    );
    on(importForm, 'submit', (event) => {
      event.preventDefault();
      showError(importError, undefined);
      importButton.disabled = true;
      void api
        .json<ImportJob>(
          'POST',
          '/api/v1/chatbooks/import',
          {
            upload_id: report.upload_id,
            strategy,
            ...(prefixInput.value ? { prefix: prefixInput.value } : {}),
            include_media: mediaInput.checked,
            include_embeddings: embeddingsInput.checked,
            // Always a job: the page follows its progress and reads its report.
            async: true,
          },
          signal,
        )
        .then(
          (job) => {
            preview = undefined;
            context.announce(`Import of "${job.chatbook_name}" started.`);
            context.navigate(`#/imports/${job.job_id}`);
          },
          (error: unknown) => {
            importButton.disabled = false;
            if (isAbort(error)) return;
            showError(importError, error);
            importError.querySelector<HTMLElement>('[role="alert"]')?.focus();
          },
        );
    });

    const { manifest, conflicts } = report;
    const types = Object.entries(report.counts) as [keyof typeof TYPE_LABELS, number][];
    fill(
      previewSection,
      h('h2', { id: 'preview-title', tabindex: -1 }, `Preview: ${manifest.name || 'Untitled chatbook'}`),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Description'),
        h('dd', {}, manifest.description || '—'),
        h('dt', {}, 'Author'),
        h('dd', {}, manifest.author ?? '—'),
        h('dt', {}, 'Created'),
        h('dd', {}, typeof manifest.created_at === 'string' ? timeElement(manifest.created_at) : '—'),
        h('dt', {}, 'Format version'),
        h('dd', {}, manifest.version),
        h('dt', {}, 'File'),
        h(
          'dd',
          {},
          `${formatBytes(report.size_bytes)}, ${report.archive.entries} entries, ${formatBytes(report.archive.uncompressed_bytes)} uncompressed`,
        ),
        h('dt', {}, 'Integrity'),
        h(
          'dd',
          {},
          report.integrity.status === 'verified'
            ? `Verified: CRC of ${report.integrity.verified_files} files, SHA-256 of ${report.integrity.inventory_verified_files}`
            : `CRC of ${report.integrity.verified_files} files checked (this format version has no SHA-256 inventory)`,
        ),
      ),
      h(
        'table',
        { class: 'counts' },
        h('caption', {}, `What it holds: ${report.total_items} items`),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Type'),
            h('th', { scope: 'col', class: 'number' }, 'Items'),
            h('th', { scope: 'col', class: 'number' }, 'New to you'),
            h('th', { scope: 'col', class: 'number' }, 'Already in your library'),
          ),
        ),
        h(
          'tbody',
          {},
          ...types.map(([type, count]) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, TYPE_LABELS[type].many),
              h('td', { class: 'number' }, count),
              h('td', { class: 'number' }, conflicts.by_type[type]?.new ?? count),
              h('td', { class: 'number' }, conflicts.by_type[type]?.conflicting ?? 0),
            ),
          ),
        ),
      ),
      report.warnings.length || report.features.unsupported.length
        ? h(
            'div',
            { class: 'warnings' },
            h('h3', {}, 'Warnings'),
            h(
              'ul',
              {},
              ...report.warnings.map((warning) => h('li', {}, warning)),
              ...report.features.unsupported.map((feature) =>
                h('li', {}, `Uses a feature this service does not know: ${feature}`),
              ),
            ),
          )
        : '',
      h('h3', { id: 'conflicts-title' }, 'Conflicts'),
      conflicts.total === 0
        ? h(
            'p',
            { class: 'conflict-summary' },
            'Nothing in it exists in your library yet: every item is new.',
          )
        : h(
            'p',
            { class: 'conflict-summary' },
            `${conflicts.total} ${conflicts.total === 1 ? 'item already exists' : 'items already exist'} in your library (same type and title): ${types
              .filter(([type]) => conflicts.by_type[type]?.conflicting)
              .map(([type]) => countOf(type, conflicts.by_type[type]?.conflicting ?? 0))
              .join(', ')}.${conflicts.truncated ? ` The first ${conflicts.items.length} are listed.` : ''}`,
          ),
      conflicts.items.length
        ? h(
            'div',
            { class: 'table-scroll' },
            h(
              'table',
              { class: 'conflicts', 'aria-describedby': 'conflicts-title' },
              h('caption', {}, 'Items that already exist, and what the chosen strategy does to each'),
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  h('th', { scope: 'col' }, 'Type'),
                  h('th', { scope: 'col' }, 'In the chatbook'),
                  h('th', { scope: 'col' }, 'In your library'),
                  outcomeHeader,
                ),
              ),
              conflictRows,
            ),
          )
        : '',
      h('h2', {}, 'Import'),
      importError,
      importForm,
    );
    showOutcomes();
  };

  if (preview) renderPreview();

  return h(
    'div',
    { class: 'import' },
    h(
      'section',
      { 'aria-labelledby': 'import-title' },
      h('h1', { id: 'import-title', tabindex: -1 }, 'Import a chatbook'),
      h(
        'p',
        {},
        'Upload a chatbook to see what it holds and what importing it would change, then import it.',
      ),
      uploadError,
      uploadForm,
      uploadStatus,
    ),
    previewSection,
  );
}
