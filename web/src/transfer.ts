/**
 * Moving chatbooks in and out: the presigned POST upload (XMLHttpRequest, for upload progress) and the download
 * (the API answers 302 to a presigned S3 URL; fetch follows it, and the Authorization header is dropped on the
 * way to the other origin, as fetch does on a cross-origin redirect).
 */
import { ApiError, errorFrom, networkError, type ApiClient } from './api';
import type { UploadTicket } from './api-types';

/** S3 answers a refused POST with an XML <Error>; its Code and Message are what the user needs. */
function storageError(status: number, body: string): ApiError {
  const xml = new DOMParser().parseFromString(body, 'application/xml');
  const code = xml.querySelector('Error > Code')?.textContent ?? `http_${status}`;
  const message = xml.querySelector('Error > Message')?.textContent;
  return new ApiError(
    status,
    code,
    `The storage service refused the upload${message ? `: ${message}` : ` (HTTP ${status})`}. Try again, or pick a smaller file.`,
  );
}

/** POSTs the file to the presigned form: every field as given, then the file, last, as "file". */
export function uploadToTicket(
  ticket: UploadTicket,
  file: File,
  onProgress: (loaded: number, total: number) => void,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
    form.append('file', file, file.name);
    const request = new XMLHttpRequest();
    request.open('POST', ticket.url);
    request.upload.addEventListener('progress', (event) => {
      onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    });
    request.addEventListener('load', () => {
      if (request.status >= 200 && request.status < 300) resolve();
      else reject(storageError(request.status, request.responseText));
    });
    request.addEventListener('error', () => {
      reject(networkError('The upload'));
    });
    request.addEventListener('abort', () => {
      reject(new DOMException('The upload was stopped.', 'AbortError'));
    });
    signal.addEventListener('abort', () => {
      request.abort();
    });
    request.send(form);
  });
}

/** The file name from Content-Disposition (when S3's CORS rule exposes it), else the export's name. */
function fileNameOf(response: Response, fallback: string): string {
  const disposition = response.headers.get('content-disposition') ?? '';
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1];
  if (encoded) return decodeURIComponent(encoded);
  const plain = /filename="([^"]+)"/i.exec(disposition)?.[1];
  if (plain) return plain;
  const safe = fallback.replace(/[^\p{L}\p{N} ._()-]+/gu, '_').trim() || 'chatbook';
  return `${safe}.chatbook`;
}

async function openDownload(api: ApiClient, downloadPath: string, signal: AbortSignal): Promise<Response> {
  const response = await api.send(downloadPath, { signal, cache: 'no-store' });
  if (!response.ok) throw await errorFrom(response);
  if (!response.body) throw networkError('The download');
  return response;
}

/** Reads the body with progress into memory, then saves it through a blob URL (works in every browser). */
export async function downloadToBlob(
  api: ApiClient,
  downloadPath: string,
  name: string,
  onProgress: (loaded: number, total: number | undefined) => void,
  signal: AbortSignal,
): Promise<string> {
  const response = await openDownload(api, downloadPath, signal);
  const total = Number(response.headers.get('content-length')) || undefined;
  const reader = response.body!.getReader();
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.byteLength;
    onProgress(loaded, total);
  }
  const fileName = fileNameOf(response, name);
  const url = URL.createObjectURL(new Blob(parts, { type: 'application/zip' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has taken the file by then; the memory goes back.
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 60_000);
  return fileName;
}

interface SaveFilePickerWindow {
  showSaveFilePicker(options: {
    suggestedName: string;
    types: { description: string; accept: Record<string, string[]> }[];
  }): Promise<FileSystemFileHandle>;
}

/** Whether this browser can stream a download straight to a file the user picks (File System Access). */
export function canStreamToFile(): boolean {
  return 'showSaveFilePicker' in window;
}

/**
 * Streams the archive to a file the user picks, without holding it in memory: large exports fit. The picker
 * opens first, while the click still counts as the user's gesture.
 */
export async function downloadToFile(
  api: ApiClient,
  downloadPath: string,
  name: string,
  onProgress: (loaded: number, total: number | undefined) => void,
  signal: AbortSignal,
): Promise<string> {
  const picker = window as unknown as SaveFilePickerWindow;
  const handle = await picker.showSaveFilePicker({
    suggestedName: fileNameOf(new Response(), name),
    types: [{ description: 'Chatbook', accept: { 'application/zip': ['.chatbook', '.zip'] } }],
  });
  const response = await openDownload(api, downloadPath, signal);
  const total = Number(response.headers.get('content-length')) || undefined;
  let loaded = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      loaded += chunk.byteLength;
      onProgress(loaded, total);
      controller.enqueue(chunk);
    },
  });
  const writable = await handle.createWritable();
  await response.body!.pipeThrough(counter).pipeTo(writable, { signal });
  return handle.name;
}
