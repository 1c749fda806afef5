/** Export and import jobs, newest first, paged; cancel what still runs. Refreshes while anything runs. */
import { withQuery } from '../api';
import {
  OUTCOMES,
  RUNNING_STATUSES,
  type ExportJob,
  type ImportJob,
  type JobPage,
  type JobStatus,
  type Quota,
} from '../api-types';
import type { ViewContext } from '../app';
import { button, fill, formatBytes, h, showError, statusBadge, timeElement } from '../dom';
import { isAbort, sleep } from '../timing';

const POLL_MS = 1000;
const IDLE_POLL_MS = 10_000;
const PAGE_SIZE = 10;

interface JobListSpec<J extends { job_id: string; status: JobStatus; chatbook_name: string }> {
  kind: 'export' | 'import';
  title: string;
  columns: string[];
  cells(job: J): (Node | string)[];
}

interface JobList {
  element: HTMLElement;
  /** Reloads the page shown; resolves true when a listed job still runs. */
  refresh(): Promise<boolean>;
}

function jobList<
  J extends { job_id: string; status: JobStatus; chatbook_name: string; progress_percentage: number },
>(context: ViewContext, spec: JobListSpec<J>, afterCancel: () => void): JobList {
  const { api, signal } = context;
  const base = `/api/v1/chatbooks/${spec.kind}/jobs`;
  const headingId = `${spec.kind}-jobs-title`;
  const errorSlot = h('div', { class: 'error-slot' });
  const caption = h('caption');
  const rows = h('tbody');
  let cursors: (string | undefined)[] = [undefined];
  let page = 0;
  const previous = button('Previous page', () => void load(page - 1));
  const next = button('Next page', () => void load(page + 1));
  const pageLabel = h('span', { class: 'page-label' });

  const cancel = async (job: J) => {
    showError(errorSlot, undefined);
    try {
      await api.json<J>('DELETE', `${base}/${encodeURIComponent(job.job_id)}`);
      context.announce(`${spec.kind === 'export' ? 'Export' : 'Import'} "${job.chatbook_name}" cancelled.`);
    } catch (error) {
      showError(errorSlot, error);
    }
    afterCancel();
  };

  const load = async (target: number): Promise<boolean> => {
    try {
      const result = await api.get<JobPage<J>>(
        withQuery(base, { limit: PAGE_SIZE, cursor: cursors[target] }),
        signal,
      );
      page = target;
      if (result.next_cursor) cursors[page + 1] = result.next_cursor;
      // Rows are rebuilt on every refresh: the focused control is found again by its key afterwards.
      const focusedKey = document.activeElement?.closest('[data-key]')?.getAttribute('data-key');
      fill(caption, `${spec.title}, page ${page + 1}`);
      fill(
        rows,
        ...result.jobs.map((job) => {
          const running = RUNNING_STATUSES.includes(job.status);
          return h(
            'tr',
            {},
            h(
              'th',
              { scope: 'row' },
              h(
                'a',
                { href: `#/${spec.kind}s/${job.job_id}`, 'data-key': `open-${job.job_id}` },
                job.chatbook_name,
              ),
            ),
            h('td', {}, statusBadge(job.status)),
            h(
              'td',
              {},
              h(
                'progress',
                {
                  max: 100,
                  value: job.progress_percentage,
                  'aria-label': `Progress of ${job.chatbook_name}`,
                },
                `${job.progress_percentage}%`,
              ),
              ` ${job.progress_percentage}%`,
            ),
            ...spec.cells(job).map((cell) => h('td', {}, cell)),
            h(
              'td',
              {},
              running
                ? button(`Cancel`, () => void cancel(job), {
                    class: 'danger',
                    'aria-label': `Cancel ${spec.kind} ${job.chatbook_name}`,
                    'data-key': `cancel-${job.job_id}`,
                  })
                : '',
            ),
          );
        }),
      );
      if (result.jobs.length === 0) {
        rows.append(
          h('tr', {}, h('td', { colspan: spec.columns.length + 4, class: 'empty' }, `No ${spec.kind}s yet.`)),
        );
      }
      if (focusedKey) rows.querySelector<HTMLElement>(`[data-key="${CSS.escape(focusedKey)}"]`)?.focus();
      fill(pageLabel, `Page ${page + 1}`);
      previous.disabled = page === 0;
      next.disabled = !result.next_cursor;
      showError(errorSlot, undefined);
      return result.jobs.some((job) => RUNNING_STATUSES.includes(job.status));
    } catch (error) {
      if (!isAbort(error)) showError(errorSlot, error);
      return false;
    }
  };

  const element = h(
    'section',
    { class: 'job-list', 'aria-labelledby': headingId },
    h('h2', { id: headingId }, spec.title),
    errorSlot,
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        {},
        caption,
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Chatbook'),
            h('th', { scope: 'col' }, 'Status'),
            h('th', { scope: 'col' }, 'Progress'),
            ...spec.columns.map((column) => h('th', { scope: 'col' }, column)),
            h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')),
          ),
        ),
        rows,
      ),
    ),
    h('nav', { class: 'pager', 'aria-label': `${spec.title} pages` }, previous, pageLabel, next),
  );
  cursors = [undefined];
  return { element, refresh: () => load(page) };
}

/** What the caller uses of their plan's limits, refreshed with the lists. */
function usagePanel(context: ViewContext): { element: HTMLElement; refresh(): Promise<void> } {
  const list = h('dl', { class: 'usage' });
  const errorSlot = h('div', { class: 'error-slot' });
  const of = (used: string, limit: string | null) =>
    limit === null ? `${used} (no limit)` : `${used} of ${limit}`;
  const refresh = async () => {
    try {
      const quota = await context.api.get<Quota>('/api/v1/chatbooks/quota', context.signal);
      const { limits, usage } = quota;
      const count = (limit: number | null) => (limit === null ? null : String(limit));
      const rows: [string, string][] = [
        ['Plan', quota.tier],
        ['Jobs running', of(String(usage.active_jobs), String(limits.concurrent_jobs))],
        ['Exports today', of(String(usage.exports_today), count(limits.exports_per_day))],
        ['Imports today', of(String(usage.imports_today), count(limits.imports_per_day))],
        [
          'Storage (finished exports)',
          of(
            formatBytes(usage.storage_bytes),
            limits.storage_bytes === null ? null : formatBytes(limits.storage_bytes),
          ),
        ],
        ['Largest file', formatBytes(limits.max_file_bytes)],
      ];
      fill(list, ...rows.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
      showError(errorSlot, undefined);
    } catch (error) {
      if (!isAbort(error)) showError(errorSlot, error);
    }
  };
  const element = h(
    'section',
    { 'aria-labelledby': 'usage-title' },
    h('h2', { id: 'usage-title' }, 'Your usage'),
    errorSlot,
    list,
  );
  return { element, refresh };
}

export function renderJobs(context: ViewContext): HTMLElement {
  const afterCancel = () => void refreshAll();
  const exports = jobList<ExportJob>(
    context,
    {
      kind: 'export',
      title: 'Exports',
      columns: ['Started', 'Size', 'Downloads'],
      cells: (job) => [
        timeElement(job.created_at),
        formatBytes(job.file_size_bytes),
        String(job.download_count),
      ],
    },
    afterCancel,
  );
  const imports = jobList<ImportJob>(
    context,
    {
      kind: 'import',
      title: 'Imports',
      columns: ['Started', 'Strategy', 'Outcomes'],
      cells: (job) => [
        timeElement(job.created_at),
        job.strategy ?? '—',
        OUTCOMES.filter((outcome) => job.counts[outcome] > 0)
          .map((outcome) => `${job.counts[outcome]} ${outcome}`)
          .join(', ') || '—',
      ],
    },
    afterCancel,
  );
  const status = h('p', { class: 'results-status', 'aria-live': 'polite' });
  const usage = usagePanel(context);

  async function refreshAll(): Promise<boolean> {
    const [exportsRunning, importsRunning] = await Promise.all([
      exports.refresh(),
      imports.refresh(),
      usage.refresh(),
    ]);
    const running = exportsRunning || importsRunning;
    const text = running ? 'Jobs are running; this list refreshes itself.' : 'No job is running.';
    // Set only when it changes: a live region re-announces a rewrite.
    if (status.textContent !== text) fill(status, text);
    return running;
  }
  // Often while a job runs, rarely otherwise (a job started elsewhere still shows up).
  void (async () => {
    while (!context.signal.aborted) {
      const running = await refreshAll();
      await sleep(running ? POLL_MS : IDLE_POLL_MS, context.signal);
    }
  })();

  return h(
    'div',
    { class: 'jobs' },
    h('h1', { id: 'jobs-title', tabindex: -1 }, 'Jobs'),
    h(
      'div',
      { class: 'actions' },
      button('Refresh', () => void refreshAll()),
    ),
    status,
    usage.element,
    exports.element,
    imports.element,
  );
}
