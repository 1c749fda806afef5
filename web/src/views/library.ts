/**
 * Browse the library one type at a time (tags, title text, updated since; paged with the API's cursors), pick
 * items or all of a type, and start an export of what is picked.
 */
import { withQuery } from '../api';
import {
  CONTENT_TYPES,
  TYPE_LABELS,
  countOf,
  isContentType,
  type ContentType,
  type ExportJob,
  type LibraryPage,
} from '../api-types';
import type { ViewContext } from '../app';
import { button, choice, field, fill, formatBytes, h, on, showError, timeElement } from '../dom';
import { isAbort } from '../timing';

interface Filters {
  type: ContentType;
  tag: string;
  q: string;
  /** yyyy-mm-dd from the date input; sent as the start of that day, UTC. */
  since: string;
  pageSize: number;
}

/** Kept while the tab lives, so coming back to the library shows the same list. */
let filters: Filters = { type: 'note', tag: '', q: '', since: '', pageSize: 25 };
/** The cursor of each page seen so far (page 1 has none), to go back a page. */
let cursors: (string | undefined)[] = [undefined];
let page = 0;

function sinceIso(date: string): string | undefined {
  return date ? `${date}T00:00:00Z` : undefined;
}

function tagList(text: string): string[] {
  return text
    .split(',')
    .map((tag) => tag.trim())
    .filter(Boolean);
}

function options<T extends string | number>(values: readonly T[], label: (value: T) => string, selected: T) {
  return values.map((value) => h('option', { value, selected: value === selected }, label(value)));
}

export function renderLibrary(context: ViewContext): HTMLElement {
  const { api, selection, signal } = context;

  // Filters.
  const typeSelect = h(
    'select',
    { id: 'library-type', name: 'type' },
    ...options(
      CONTENT_TYPES,
      (type) => TYPE_LABELS[type].many.replace(/^./, (c) => c.toUpperCase()),
      filters.type,
    ),
  );
  const tagInput = h('input', { id: 'library-tag', name: 'tag', value: filters.tag, autocomplete: 'off' });
  const qInput = h('input', { id: 'library-q', name: 'q', type: 'search', value: filters.q, maxlength: 200 });
  const sinceInput = h('input', { id: 'library-since', name: 'since', type: 'date', value: filters.since });
  const pageSizeSelect = h(
    'select',
    { id: 'library-page-size', name: 'limit' },
    ...options([10, 25, 50, 100], String, filters.pageSize),
  );
  const filterForm = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter the library' },
    field('Type', typeSelect),
    field('Tags', tagInput, 'Comma separated; items that have all of them.'),
    field('Title contains', qInput),
    field('Updated since', sinceInput),
    field('Per page', pageSizeSelect),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit' }, 'Apply filters'),
      button('Clear filters', () => {
        filters = { ...filters, tag: '', q: '', since: '' };
        tagInput.value = '';
        qInput.value = '';
        sinceInput.value = '';
        void load(0, true);
      }),
    ),
  );

  // Results.
  const listError = h('div', { class: 'error-slot' });
  const status = h('p', { class: 'results-status', 'aria-live': 'polite' });
  const allOfType = h('input', { type: 'checkbox', id: 'library-all-of-type' });
  const allOfTypeLabel = h('span');
  const pageCheckbox = h('input', { type: 'checkbox', id: 'library-page-all' });
  const caption = h('caption');
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'items' },
    caption,
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col', class: 'pick' }, pageCheckbox),
        h('th', { scope: 'col' }, 'Title'),
        h('th', { scope: 'col' }, 'Tags'),
        h('th', { scope: 'col' }, 'Updated'),
        h('th', { scope: 'col', class: 'number' }, 'Size'),
      ),
    ),
    tbody,
  );
  const previous = button('Previous page', () => void load(page - 1, false));
  const next = button('Next page', () => void load(page + 1, false));
  const pageLabel = h('span', { class: 'page-label' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Library pages' }, previous, pageLabel, next);

  let shown: LibraryPage = { items: [], next_cursor: null };

  const syncChecks = () => {
    const all = selection.isAll(filters.type);
    allOfType.checked = all;
    const boxes = [...tbody.querySelectorAll<HTMLInputElement>('input[type="checkbox"]')];
    for (const box of boxes) {
      box.checked = selection.has(filters.type, box.value);
      box.disabled = all;
    }
    pageCheckbox.disabled = all || boxes.length === 0;
    pageCheckbox.checked = boxes.length > 0 && boxes.every((box) => box.checked);
  };

  const renderRows = () => {
    const label = TYPE_LABELS[filters.type];
    fill(caption, `${label.many.replace(/^./, (c) => c.toUpperCase())}, page ${page + 1}`);
    fill(allOfTypeLabel, `Export all ${label.many}`);
    pageCheckbox.setAttribute('aria-label', `Select every ${label.one} on this page`);
    fill(
      tbody,
      ...shown.items.map((item) => {
        const box = h('input', {
          type: 'checkbox',
          value: item.id,
          'aria-label': `Select ${item.title}`,
        });
        on(box, 'change', () => {
          selection.toggle(filters.type, item.id, item.title, box.checked);
        });
        return h(
          'tr',
          {},
          h('td', { class: 'pick' }, box),
          h('th', { scope: 'row' }, item.title),
          h('td', {}, item.tags.length ? item.tags.join(', ') : '—'),
          h('td', {}, timeElement(item.updated_at)),
          h('td', { class: 'number' }, formatBytes(item.size_bytes)),
        );
      }),
    );
    if (shown.items.length === 0) {
      tbody.append(
        h('tr', {}, h('td', { colspan: 5, class: 'empty' }, `No ${label.many} match these filters.`)),
      );
    }
    fill(
      status,
      shown.items.length === 0
        ? `No ${label.many} match these filters.`
        : `Page ${page + 1}: ${countOf(filters.type, shown.items.length)}${shown.next_cursor ? ', more on the next page' : ''}.`,
    );
    fill(pageLabel, `Page ${page + 1}`);
    previous.disabled = page === 0;
    next.disabled = !shown.next_cursor;
    syncChecks();
  };

  const load = async (target: number, reset: boolean) => {
    if (reset) {
      cursors = [undefined];
      target = 0;
    }
    showError(listError, undefined);
    table.setAttribute('aria-busy', 'true');
    try {
      const result = await api.get<LibraryPage>(
        withQuery(`/api/v1/library/${filters.type}`, {
          limit: filters.pageSize,
          cursor: cursors[target],
          tag: tagList(filters.tag).join(','),
          q: filters.q.trim(),
          updated_since: sinceIso(filters.since),
        }),
        signal,
      );
      page = target;
      shown = result;
      if (result.next_cursor) cursors[page + 1] = result.next_cursor;
      renderRows();
    } catch (error) {
      if (!isAbort(error)) showError(listError, error);
    } finally {
      table.removeAttribute('aria-busy');
    }
  };

  on(filterForm, 'submit', (event) => {
    event.preventDefault();
    const type = typeSelect.value;
    filters = {
      type: isContentType(type) ? type : 'note',
      tag: tagInput.value,
      q: qInput.value,
      since: sinceInput.value,
      pageSize: Number(pageSizeSelect.value) || 25,
    };
    void load(0, true);
  });
  on(allOfType, 'change', () => {
    selection.setAll(filters.type, allOfType.checked);
  });
  on(pageCheckbox, 'change', () => {
    for (const item of shown.items) selection.toggle(filters.type, item.id, item.title, pageCheckbox.checked);
  });

  const exportSection = renderExportForm(context);
  const unsubscribe = selection.onChange(syncChecks);
  signal.addEventListener('abort', unsubscribe);

  void load(page, false);

  return h(
    'div',
    { class: 'library' },
    h(
      'section',
      { 'aria-labelledby': 'library-title' },
      h('h1', { id: 'library-title', tabindex: -1 }, 'Library'),
      h('p', {}, 'Pick items to export, or export all of a type. The selection is kept while you browse.'),
      filterForm,
      listError,
      status,
      choice(
        allOfTypeLabel,
        allOfType,
        'Every item of this type, not only this page (narrow it with the export options below).',
      ),
      h('div', { class: 'table-scroll' }, table),
      pager,
    ),
    exportSection,
  );
}

/** What is picked, and the export form: name, description, what to include, optional narrowing. */
function renderExportForm(context: ViewContext): HTMLElement {
  const { api, selection, signal } = context;
  const summary = h('div', { class: 'selection-summary', 'aria-live': 'polite' });
  const errorSlot = h('div', { class: 'error-slot' });

  const renderSummary = () => {
    const lines = selection.describe();
    if (lines.length === 0) {
      fill(summary, h('p', {}, 'Nothing selected yet: tick items above, or "Export all".'));
      return;
    }
    fill(
      summary,
      h('p', {}, `Selected: ${lines.map((line) => line.text).join(', ')}.`),
      h(
        'ul',
        { class: 'picked' },
        ...lines.map((line) =>
          h(
            'li',
            {},
            h('span', {}, line.text, line.titles.length ? `: ${line.titles.join(', ')}` : ''),
            ' ',
            button(
              'Remove',
              () => {
                selection.remove(line.type);
              },
              { 'aria-label': `Remove ${line.text} from the selection`, class: 'link' },
            ),
          ),
        ),
      ),
      button(
        'Clear selection',
        () => {
          selection.clear();
        },
        { class: 'link' },
      ),
    );
  };
  const unsubscribe = selection.onChange(renderSummary);
  signal.addEventListener('abort', unsubscribe);
  renderSummary();

  const nameInput = h('input', { id: 'export-name', name: 'name', required: true, maxlength: 255 });
  const descriptionInput = h('textarea', { id: 'export-description', name: 'description', rows: 2 });
  const mediaInput = h('input', { type: 'checkbox', id: 'export-media', checked: true });
  const embeddingsInput = h('input', { type: 'checkbox', id: 'export-embeddings' });
  const narrowTags = h('input', { id: 'export-tags', name: 'tags', autocomplete: 'off' });
  const narrowSince = h('input', { id: 'export-since', name: 'since', type: 'date' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Start export');

  const form = h(
    'form',
    { class: 'export-form', novalidate: true },
    field('Name', nameInput, 'Letters, digits, spaces and - . , ! ? \' " ( ) [ ] { } @'),
    field('Description (optional)', descriptionInput),
    choice('Include media files', mediaInput, 'The media items’ own files (video, audio, documents).'),
    choice('Include embeddings', embeddingsInput, 'Add each selected media item’s embedding.'),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Narrow down (optional)'),
      field('Only items tagged', narrowTags, 'Comma separated; applies to everything selected.'),
      field('Only items updated since', narrowSince),
    ),
    submit,
  );

  on(form, 'submit', (event) => {
    event.preventDefault();
    showError(errorSlot, undefined);
    if (selection.empty) {
      showError(errorSlot, new Error('Select at least one item, or all of a type, to export.'));
      errorSlot.querySelector<HTMLElement>('[role="alert"]')?.focus();
      return;
    }
    const tags = tagList(narrowTags.value);
    const since = sinceIso(narrowSince.value);
    submit.disabled = true;
    void api
      .json<ExportJob>('POST', '/api/v1/chatbooks/export', {
        name: nameInput.value.trim(),
        ...(descriptionInput.value.trim() ? { description: descriptionInput.value.trim() } : {}),
        selection: selection.toRequest(),
        filters: { ...(tags.length ? { tags } : {}), ...(since ? { updated_since: since } : {}) },
        include_media: mediaInput.checked,
        include_embeddings: embeddingsInput.checked,
        // Always a job: the page follows its progress, and no request waits on a large archive.
        async: true,
      })
      .then(
        (job) => {
          selection.clear();
          context.announce(`Export "${job.chatbook_name}" started.`);
          context.navigate(`#/exports/${job.job_id}`);
        },
        (error: unknown) => {
          submit.disabled = false;
          showError(errorSlot, error);
          errorSlot.querySelector<HTMLElement>('[role="alert"]')?.focus();
        },
      );
  });

  return h(
    'section',
    { class: 'export', 'aria-labelledby': 'export-title' },
    h('h2', { id: 'export-title' }, 'Export'),
    summary,
    errorSlot,
    form,
  );
}
