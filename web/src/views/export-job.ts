/** One export: live progress while it runs, then the download (or why it failed), and cancel while it runs. */
import type { ExportJob } from '../api-types';
import { RUNNING_STATUSES } from '../api-types';
import type { ViewContext } from '../app';
import {
  STATUS_LABELS,
  button,
  fill,
  formatBytes,
  h,
  progressBar,
  showError,
  statusBadge,
  timeElement,
} from '../dom';
import { canStreamToFile, downloadToBlob, downloadToFile } from '../transfer';
import { every, isAbort } from '../timing';

const POLL_MS = 1000;

function row(term: string, ...value: (Node | string)[]): HTMLElement[] {
  return [h('dt', {}, term), h('dd', {}, ...value)];
}

/** "12 of 40 items", said the same way in the page and in announcements. */
function itemsText(job: ExportJob): string {
  return `${job.processed_items} of ${job.total_items} items`;
}

export function renderExportJob(context: ViewContext, jobId: string): HTMLElement {
  const { api, signal } = context;
  const heading = h('h1', { id: 'export-job-title', tabindex: -1 }, 'Export');
  const errorSlot = h('div', { class: 'error-slot' });
  const facts = h('dl', { class: 'facts' });
  const progress = h('div', { class: 'job-progress' });
  const actions = h('div', { class: 'actions' });
  const transfer = h('div', { class: 'transfer', 'aria-live': 'polite' });
  const warnings = h('div');

  let job: ExportJob | undefined;
  let lastStatus: string | undefined;
  let lastQuarter = -1;
  let downloading = false;

  const download = (toFile: boolean) => {
    if (!job?.download_url || downloading) return;
    const path = job.download_url;
    downloading = true;
    showError(errorSlot, undefined);
    const bar = h('progress', { id: 'download-progress', max: 100, value: 0 });
    const text = h('span', {}, 'Starting the download…');
    fill(transfer, h('label', { for: 'download-progress' }, 'Download'), bar, text);
    const onProgress = (loaded: number, total: number | undefined) => {
      if (total) bar.value = Math.floor((loaded / total) * 100);
      else bar.removeAttribute('value');
      fill(text, `${formatBytes(loaded)}${total ? ` of ${formatBytes(total)}` : ''}`);
    };
    const run = toFile ? downloadToFile : downloadToBlob;
    void run(api, path, job.chatbook_name, onProgress, signal)
      .then(
        (fileName) => {
          bar.value = 100;
          fill(text, `Saved ${fileName}.`);
          context.announce(`Download finished: ${fileName}.`);
          void refresh();
        },
        (error: unknown) => {
          fill(transfer);
          if (!isAbort(error)) showError(errorSlot, error);
        },
      )
      .finally(() => {
        downloading = false;
      });
  };

  const cancel = () => {
    showError(errorSlot, undefined);
    void api.json<ExportJob>('DELETE', `/api/v1/chatbooks/export/jobs/${encodeURIComponent(jobId)}`).then(
      (cancelled) => {
        show(cancelled);
        context.announce(`Export "${cancelled.chatbook_name}" cancelled.`);
        heading.focus();
      },
      (error: unknown) => {
        showError(errorSlot, error);
      },
    );
  };

  const downloadButton = button(
    'Download',
    () => {
      download(false);
    },
    { class: 'primary', id: 'download', hidden: true },
  );
  const saveButton = button(
    'Save to a file…',
    () => {
      download(true);
    },
    { hidden: true, 'aria-describedby': 'save-hint' },
  );
  const cancelButton = button('Cancel export', cancel, { class: 'danger', hidden: true });
  actions.append(
    downloadButton,
    saveButton,
    cancelButton,
    h(
      'span',
      { id: 'save-hint', hidden: true },
      'Streams the archive to a file you pick: for large exports.',
    ),
    h('a', { href: '#/jobs' }, 'All jobs'),
  );

  const show = (current: ExportJob) => {
    job = current;
    const running = RUNNING_STATUSES.includes(current.status);
    fill(heading, `Export: ${current.chatbook_name}`);
    document.title = `Export ${current.chatbook_name} · Chatbooks`;
    fill(
      facts,
      ...row('Status', statusBadge(current.status)),
      ...row('Items', itemsText(current)),
      ...row(
        'Data',
        `${formatBytes(current.processed_bytes)} of ${formatBytes(current.total_bytes)} read from the library`,
      ),
      ...row('Started', timeElement(current.created_at)),
      ...(current.completed_at ? row('Ended', timeElement(current.completed_at)) : []),
      ...(current.file_size_bytes !== null ? row('Archive size', formatBytes(current.file_size_bytes)) : []),
      ...(current.sha256 ? row('SHA-256', h('code', { class: 'hash' }, current.sha256)) : []),
      ...(current.expires_at ? row('Downloadable until', timeElement(current.expires_at)) : []),
      ...row('Downloads', String(current.download_count)),
    );
    fill(
      progress,
      progressBar(
        running ? `Progress: ${current.progress_percentage}% (${itemsText(current)})` : 'Progress',
        current.progress_percentage,
      ),
      current.error ? h('p', { class: 'job-error', role: 'alert' }, `Failed: ${current.error.message}`) : '',
    );
    // The buttons stay the same elements (shown or hidden), so polling never takes focus away from them.
    downloadButton.hidden = !current.download_url;
    saveButton.hidden = !current.download_url || !canStreamToFile();
    cancelButton.hidden = !running;
    fill(
      warnings,
      current.warnings.length
        ? h(
            'div',
            { class: 'warnings' },
            h('h2', {}, 'Warnings'),
            h('ul', {}, ...current.warnings.map((warning) => h('li', {}, warning))),
          )
        : '',
    );
    // Say what changed, not every tick: the status, and each quarter of the way while it runs.
    if (lastStatus !== undefined && lastStatus !== current.status) {
      context.announce(
        current.status === 'completed'
          ? 'Export completed. The download is ready.'
          : `Export ${STATUS_LABELS[current.status]?.toLowerCase() ?? current.status}.`,
      );
    } else if (running) {
      const quarter = Math.floor(current.progress_percentage / 25);
      if (lastQuarter >= 0 && quarter > lastQuarter) {
        context.announce(`Export ${current.progress_percentage}% done.`);
      }
      lastQuarter = quarter;
    }
    lastStatus = current.status;
  };

  const refresh = async (): Promise<boolean> => {
    try {
      const current = await api.get<ExportJob>(
        `/api/v1/chatbooks/export/jobs/${encodeURIComponent(jobId)}`,
        signal,
      );
      show(current);
      return RUNNING_STATUSES.includes(current.status);
    } catch (error) {
      if (!isAbort(error)) showError(errorSlot, error);
      return false;
    }
  };

  void every(POLL_MS, signal, refresh);

  return h(
    'section',
    { class: 'job', 'aria-labelledby': 'export-job-title' },
    heading,
    errorSlot,
    facts,
    progress,
    actions,
    transfer,
    warnings,
  );
}
