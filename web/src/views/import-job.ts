/** One import: live progress and counts while it runs, cancel, and the per-item report (paged). */
import { withQuery } from '../api';
import { OUTCOMES, RUNNING_STATUSES, TYPE_LABELS, type ImportJob, type ReportPage } from '../api-types';
import type { ViewContext } from '../app';
import {
  STATUS_LABELS,
  button,
  field,
  fill,
  h,
  on,
  progressBar,
  showError,
  statusBadge,
  timeElement,
} from '../dom';
import { every, isAbort } from '../timing';

const POLL_MS = 1000;
const OUTCOME_LABELS: Record<(typeof OUTCOMES)[number], string> = {
  imported: 'Imported',
  skipped: 'Skipped',
  renamed: 'Renamed',
  merged: 'Merged',
  overwritten: 'Overwritten',
  failed: 'Failed',
};

function itemsText(job: ImportJob): string {
  return `${job.processed_items} of ${job.total_items} items`;
}

export function renderImportJob(context: ViewContext, jobId: string): HTMLElement {
  const { api, signal } = context;
  const jobPath = `/api/v1/chatbooks/import/jobs/${encodeURIComponent(jobId)}`;
  const heading = h('h1', { id: 'import-job-title', tabindex: -1 }, 'Import');
  const errorSlot = h('div', { class: 'error-slot' });
  const facts = h('dl', { class: 'facts' });
  const counts = h('dl', { class: 'counts-list', 'aria-label': 'Outcomes so far' });
  const progress = h('div', { class: 'job-progress' });
  const warnings = h('div');
  const cancelButton = button('Cancel import', () => void cancel(), { class: 'danger', hidden: true });
  const actions = h('div', { class: 'actions' }, cancelButton, h('a', { href: '#/jobs' }, 'All jobs'));

  // The report: a page at a time, with the cursors seen so far to go back.
  const reportError = h('div', { class: 'error-slot' });
  const reportStatus = h('p', { class: 'results-status', 'aria-live': 'polite' });
  const reportCaption = h('caption');
  const reportRows = h('tbody');
  const pageSize = h(
    'select',
    { id: 'report-page-size' },
    ...[10, 25, 100, 500].map((size) => h('option', { value: size, selected: size === 25 }, String(size))),
  );
  let cursors: (string | undefined)[] = [undefined];
  let page = 0;
  let nextCursor: string | null = null;
  const previous = button('Previous page', () => void loadReport(page - 1));
  const next = button('Next page', () => void loadReport(page + 1));
  const pageLabel = h('span', { class: 'page-label' });
  const reportSection = h(
    'section',
    { class: 'report', 'aria-labelledby': 'report-title', hidden: true },
    h('h2', { id: 'report-title' }, 'Report'),
    h('p', {}, 'What happened to each item of the chatbook, and why.'),
    field('Items per page', pageSize),
    reportError,
    reportStatus,
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'report-table' },
        reportCaption,
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Type'),
            h('th', { scope: 'col' }, 'Title'),
            h('th', { scope: 'col' }, 'Outcome'),
            h('th', { scope: 'col' }, 'In your library'),
            h('th', { scope: 'col' }, 'Why'),
          ),
        ),
        reportRows,
      ),
    ),
    h('nav', { class: 'pager', 'aria-label': 'Report pages' }, previous, pageLabel, next),
  );

  const loadReport = async (target: number) => {
    showError(reportError, undefined);
    try {
      const result = await api.get<ReportPage>(
        withQuery(`${jobPath}/report`, { limit: pageSize.value, cursor: cursors[target] }),
        signal,
      );
      page = target;
      nextCursor = result.next_cursor;
      if (nextCursor) cursors[page + 1] = nextCursor;
      fill(reportCaption, `Items, page ${page + 1}`);
      fill(
        reportRows,
        ...result.items.map((item) =>
          h(
            'tr',
            {},
            h('td', {}, TYPE_LABELS[item.type].one),
            h('th', { scope: 'row' }, item.title),
            h(
              'td',
              {},
              h('span', { class: `outcome outcome-${item.outcome}` }, OUTCOME_LABELS[item.outcome]),
            ),
            h('td', {}, item.library_id ? h('code', {}, item.library_id) : '—'),
            h(
              'td',
              {},
              item.reason ?? '',
              item.notes.length
                ? h('ul', { class: 'notes' }, ...item.notes.map((note) => h('li', {}, note)))
                : '',
            ),
          ),
        ),
      );
      if (result.items.length === 0) {
        reportRows.append(h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No items recorded.')));
      }
      fill(
        reportStatus,
        `Report page ${page + 1}: ${result.items.length} items${nextCursor ? ', more on the next page' : ''}.`,
      );
      fill(pageLabel, `Page ${page + 1}`);
      previous.disabled = page === 0;
      next.disabled = !nextCursor;
    } catch (error) {
      if (!isAbort(error)) showError(reportError, error);
    }
  };
  on(pageSize, 'change', () => {
    cursors = [undefined];
    void loadReport(0);
  });

  let lastStatus: string | undefined;
  let lastQuarter = -1;

  const show = (job: ImportJob) => {
    const running = RUNNING_STATUSES.includes(job.status);
    fill(heading, `Import: ${job.chatbook_name}`);
    document.title = `Import ${job.chatbook_name} · Chatbooks`;
    fill(
      facts,
      h('dt', {}, 'Status'),
      h('dd', {}, statusBadge(job.status)),
      h('dt', {}, 'Strategy'),
      h('dd', {}, job.strategy ?? '—'),
      h('dt', {}, 'Items'),
      h('dd', {}, itemsText(job)),
      h('dt', {}, 'Started'),
      h('dd', {}, timeElement(job.created_at)),
      ...(job.completed_at ? [h('dt', {}, 'Ended'), h('dd', {}, timeElement(job.completed_at))] : []),
    );
    fill(
      counts,
      ...OUTCOMES.flatMap((outcome) => [
        h('dt', {}, OUTCOME_LABELS[outcome]),
        h('dd', { 'data-outcome': outcome }, String(job.counts[outcome])),
      ]),
    );
    fill(
      progress,
      progressBar(
        running ? `Progress: ${job.progress_percentage}% (${itemsText(job)})` : 'Progress',
        job.progress_percentage,
      ),
      job.error ? h('p', { class: 'job-error', role: 'alert' }, `Failed: ${job.error.message}`) : '',
    );
    cancelButton.hidden = !running;
    fill(
      warnings,
      job.warnings.length
        ? h(
            'div',
            { class: 'warnings' },
            h('h2', {}, 'Warnings'),
            h('ul', {}, ...job.warnings.map((warning) => h('li', {}, warning))),
          )
        : '',
    );
    if (lastStatus !== undefined && lastStatus !== job.status) {
      const summary = OUTCOMES.filter((outcome) => job.counts[outcome] > 0)
        .map((outcome) => `${job.counts[outcome]} ${OUTCOME_LABELS[outcome].toLowerCase()}`)
        .join(', ');
      context.announce(
        `Import ${STATUS_LABELS[job.status]?.toLowerCase() ?? job.status}${summary ? `: ${summary}` : ''}.`,
      );
    } else if (running) {
      const quarter = Math.floor(job.progress_percentage / 25);
      if (lastQuarter >= 0 && quarter > lastQuarter)
        context.announce(`Import ${job.progress_percentage}% done.`);
      lastQuarter = quarter;
    }
    // The report is read once the job has ended (and again if it ends while shown).
    if (!running && (lastStatus === undefined || lastStatus !== job.status)) {
      reportSection.hidden = false;
      cursors = [undefined];
      void loadReport(0);
    }
    lastStatus = job.status;
  };

  const cancel = async () => {
    showError(errorSlot, undefined);
    try {
      const cancelled = await api.json<ImportJob>('DELETE', jobPath);
      show(cancelled);
      context.announce(`Import cancelled: ${cancelled.processed_items} items were processed.`);
      heading.focus();
    } catch (error) {
      showError(errorSlot, error);
    }
  };

  void every(POLL_MS, signal, async () => {
    try {
      const job = await api.get<ImportJob>(jobPath, signal);
      show(job);
      return RUNNING_STATUSES.includes(job.status);
    } catch (error) {
      if (!isAbort(error)) showError(errorSlot, error);
      return false;
    }
  });

  return h(
    'div',
    { class: 'import-job' },
    h(
      'section',
      { class: 'job', 'aria-labelledby': 'import-job-title' },
      heading,
      errorSlot,
      facts,
      progress,
      h('h2', {}, 'Outcomes'),
      counts,
      actions,
      warnings,
    ),
    reportSection,
  );
}
