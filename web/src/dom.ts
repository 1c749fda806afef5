/** Small DOM helpers: elements built from data with textContent only (never markup from the API). */
import { ApiError } from './api';

export type Child = Node | string | number | null | undefined | false;
export type Attributes = Record<string, string | number | boolean | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Element, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'number' ? String(child) : child);
  }
}

/** Replaces what an element holds. */
export function fill(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

export function on<E extends HTMLElement, K extends keyof HTMLElementEventMap>(
  element: E,
  type: K,
  listener: (event: HTMLElementEventMap[K]) => void,
): E {
  element.addEventListener(type, listener);
  return element;
}

let ids = 0;
/** A unique id for label/control and aria-describedby pairs. */
export function uid(prefix: string): string {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A labelled control: the label's `for` points at the control's id. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || uid('field');
  control.id = id;
  const hintElement = hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintElement) control.setAttribute('aria-describedby', hintElement.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintElement);
}

/** A checkbox or radio with its label after it. */
export function choice(label: Child, control: HTMLInputElement, hint?: string): HTMLElement {
  const id = control.id || uid('choice');
  control.id = id;
  const hintElement = hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintElement) control.setAttribute('aria-describedby', hintElement.id);
  return h('div', { class: 'choice' }, control, h('label', { for: id }, label), hintElement);
}

export function button(label: string, onClick: () => void, attributes: Attributes = {}): HTMLButtonElement {
  return on(h('button', { type: 'button', ...attributes }, label), 'click', onClick);
}

let signInAgain: () => (() => void) | undefined = () => undefined;

/** What the "Sign in again" button under a 401 does while someone is signed in (the shell sets it). */
export function setSignInAgain(action: () => (() => void) | undefined): void {
  signInAgain = action;
}

/** What an `issues` entry of an error's details says, whichever shape it has. */
function issueText(issue: unknown): string {
  if (typeof issue === 'string') return issue;
  if (typeof issue === 'object' && issue !== null) {
    const { path, message } = issue as { path?: unknown; message?: unknown };
    if (typeof message === 'string')
      return typeof path === 'string' && path ? `${path}: ${message}` : message;
  }
  return JSON.stringify(issue);
}

/**
 * An error as the user reads it: the API's message first, its code, then what the details add (the list of
 * problems when there is one). role="alert" announces it.
 */
export function errorBox(error: unknown, action?: HTMLElement): HTMLElement {
  const message = error instanceof Error ? error.message : String(error);
  const box = h(
    'div',
    { role: 'alert', class: 'error', tabindex: -1 },
    h('p', { class: 'error-message' }, message),
  );
  if (error instanceof ApiError) {
    append(
      box,
      h(
        'p',
        { class: 'error-code' },
        `Error code: ${error.code}${error.status ? ` (HTTP ${error.status})` : ''}`,
      ),
    );
    const details = error.details;
    if (typeof details === 'object' && details !== null) {
      const { issues, ...rest } = details as { issues?: unknown };
      if (Array.isArray(issues) && issues.length > 0) {
        append(
          box,
          h('ul', { class: 'error-issues' }, ...issues.map((issue) => h('li', {}, issueText(issue)))),
        );
      }
      if (Object.keys(rest).length > 0) {
        append(
          box,
          h(
            'details',
            {},
            h('summary', {}, 'Details'),
            h('pre', { class: 'error-details' }, JSON.stringify(rest, null, 2)),
          ),
        );
      }
    }
  }
  const again = !action && error instanceof ApiError && error.status === 401 ? signInAgain() : undefined;
  if (again) append(box, button('Sign in again', again));
  append(box, action);
  return box;
}

/** Shows an error in a slot (or clears it with undefined). */
export function showError(slot: HTMLElement, error: unknown, action?: HTMLElement): void {
  if (error === undefined) fill(slot);
  else fill(slot, errorBox(error, action));
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit] ?? 'TB'}`;
}

const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A time as a <time> element: readable text, machine value. */
export function timeElement(iso: string | null | undefined): HTMLElement | string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : h('time', { datetime: iso }, DATE_TIME.format(date));
}

export const STATUS_LABELS: Record<string, string> = {
  pending: 'Waiting to start',
  in_progress: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
  expired: 'Expired',
};

export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `status status-${status}` }, STATUS_LABELS[status] ?? status);
}

/** A <progress> with a visible label; the value is a percentage. */
export function progressBar(label: string, percent: number): HTMLElement {
  const id = uid('progress');
  return h(
    'div',
    { class: 'progress' },
    h('label', { for: id }, label),
    h('progress', { id, max: 100, value: Math.max(0, Math.min(100, percent)) }, `${percent}%`),
  );
}
