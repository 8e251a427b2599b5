// A clip of this session's history: its entry in the list, and saving it as a file. Plain DOM
// helpers: what replaying or downloading does is the page's, passed in.

import { message, messageText } from './i18n.js';

const SNIPPET_CHARS = 40;

/**
 * The list entry of `clip`: its text (shortened), how it was spoken, and Replay and Download
 * buttons labelled with that text (a screen reader hears which clip each one acts on).
 */
export function clipItem(clip, { emotion, onReplay, onDownload }) {
  const item = document.createElement('li');
  item.className = 'clip';
  item.dataset.clipId = String(clip.id);
  const text = [...clip.params.text];
  const snippet = text.slice(0, SNIPPET_CHARS).join('') + (text.length > SNIPPET_CHARS ? '…' : '');

  const quote = document.createElement('p');
  quote.className = 'clip-text';
  quote.textContent = snippet;

  const meta = document.createElement('p');
  meta.className = 'clip-meta hint';
  const { intensity, speed } = clip.params;
  meta.textContent = [
    clip.voice,
    `${emotion} ×${intensity.toFixed(1)}`,
    `${messageText('speedShort')} ${speed.toFixed(2)}×`,
    `${clip.duration.toFixed(1)} s`,
    `TTFA ${Math.round(clip.ttfaMs)} ms`,
    clip.createdAt.toLocaleTimeString(),
  ].join(' · ');

  const actions = document.createElement('div');
  actions.className = 'clip-actions';
  actions.append(
    button('replay', 'replay', `${messageText('replay')}: ${snippet}`, onReplay),
    button('download', 'save', `${messageText('download')}: ${snippet}`, (e) =>
      onDownload(e.currentTarget),
    ),
  );
  item.append(quote, meta, actions);
  return item;
}

function button(key, className, label, onClick) {
  const el = document.createElement('button');
  el.type = 'button';
  el.className = className;
  el.append(message(key));
  el.setAttribute('aria-label', label);
  el.addEventListener('click', onClick);
  return el;
}

/** voxserve-YYYYMMDD-HHMMSS.ext, in local time: clips sort by when they were spoken. */
export function fileName(date, ext) {
  const pad = (n) => String(n).padStart(2, '0');
  const day = `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}`;
  const time = `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
  return `voxserve-${day}-${time}.${ext}`;
}

/** Offer `blob` as a download named `name`. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  // The browser reads the blob after the click returns: free it a little later.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
