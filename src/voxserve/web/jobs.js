// The jobs panel: long texts and files become jobs, followed through their progress events. The
// list comes from GET /v1/jobs, so it survives a reload and follows the key to other devices.
//
// Each job's updates are kept in window.voxserveStats.jobs[id] for people and browser tests.

import { ApiError, getJson, send, serverEvents } from './api.js';
import { message, messageText } from './i18n.js';

const PAGE_SIZE = 20;
const RECONNECT_MS = 2000;
const STOPPED = new Set(['failed', 'cancelled']);

const finished = (job) => ['succeeded', 'failed', 'cancelled'].includes(job.status);

/** 75.4 -> "1:15", 3725 -> "1:02:05". */
export function clock(seconds) {
  if (seconds == null || !Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const pad = (n) => String(n).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}

function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children);
  return node;
}

function actionButton(key, className, onClick) {
  const node = el('button', className, message(key));
  node.type = 'button';
  node.addEventListener('click', onClick);
  return node;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class JobsPanel {
  /**
   * `els`: {list, empty, more} elements; `showError(error, retry)` shows an error in the page;
   * `stats`: window.voxserveStats, whose `jobs` get each job's updates by id and `submitted`
   * each submission.
   */
  constructor(els, showError, stats) {
    this.els = els;
    this.showError = showError;
    this.stats = stats;
    this.items = new Map(); // id -> {job, node, parts, following}
    this.lastId = null;
    els.more.addEventListener('click', () => this.load(this.lastId).catch((e) => this.failed(e)));
  }

  /** The caller's jobs, newest first (`after`: the next page); unfinished ones are followed. */
  async load(after = null) {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (after) query.set('after', after);
    const page = await getJson(`/v1/jobs?${query}`);
    if (after === null) {
      for (const item of this.items.values()) item.following?.abort();
      this.items.clear();
      this.els.list.replaceChildren();
    }
    for (const job of page.data) this.show(job, false);
    this.lastId = page.last_id;
    this.els.more.hidden = !page.has_more;
    for (const job of page.data) if (!finished(job)) this.follow(job.id);
    this.els.empty.hidden = this.items.size > 0;
  }

  /**
   * POST /v1/jobs with `body` (the /v1/tts parameters); the new job goes on top, followed.
   * `source` ('text', 'file' or 'resubmit') and the file's `encoding` are kept in the stats.
   */
  async submit(body, source = 'text', encoding = null) {
    const job = await (await send('POST', '/v1/jobs', body)).json();
    const chars = [...body.text].length;
    this.stats.submitted.push({ id: job.id, chars, source, encoding });
    this.show(job, true);
    this.els.empty.hidden = true;
    this.follow(job.id);
    return job;
  }

  failed(error, retry = null) {
    this.showError(error, retry);
  }

  // ---- one job's entry ----------------------------------------------------------------------

  show(job, onTop) {
    if (this.items.has(job.id)) {
      this.update(job);
      return;
    }
    const parts = {
      status: el('span', 'job-status'),
      bar: el('progress', 'job-bar'),
      figures: el('span', 'job-figures hint'),
      error: el('p', 'job-error'),
      player: el('div', 'job-player'),
      cancel: actionButton('cancel', 'cancel', () => this.act(job.id, 'cancel')),
      download: el('a', 'button download', message('download')),
      remove: actionButton('delete', 'delete', () => this.act(job.id, 'delete')),
      resubmit: actionButton('resubmit', 'resubmit', () => this.act(job.id, 'resubmit')),
    };
    parts.bar.max = 1;
    parts.bar.setAttribute('aria-label', messageText('progress'));
    const text = el('p', 'job-text', job.preview ?? job.id);
    const meta = el('p', 'job-meta hint', describe(job));
    const node = el('li', 'job', text, meta);
    node.dataset.jobId = job.id;
    node.append(
      el('div', 'job-state', parts.status, parts.bar, parts.figures),
      parts.error,
      parts.player,
      el('div', 'job-actions', parts.cancel, parts.download, parts.remove, parts.resubmit),
    );
    this.items.set(job.id, { job, node, parts, following: null });
    if (onTop) this.els.list.prepend(node);
    else this.els.list.append(node);
    this.update(job);
  }

  update(job) {
    const item = this.items.get(job.id);
    if (!item) return;
    const before = item.job;
    item.job = job;
    const { parts, node } = item;
    const { progress } = job;
    node.dataset.status = job.status;
    parts.status.replaceChildren(message(`job_${job.status}`));
    parts.bar.value = job.status === 'succeeded' ? 1 : progress.fraction;
    parts.figures.replaceChildren(figures(job));
    parts.error.hidden = job.error === null;
    parts.error.textContent = job.error ? `${job.error.message} (${job.error.code})` : '';
    parts.cancel.hidden = finished(job);
    parts.download.hidden = job.status !== 'succeeded';
    parts.resubmit.hidden = !STOPPED.has(job.status);
    if (job.status === 'succeeded' && parts.player.childElementCount === 0) addPlayer(item);
    this.record(job, before);
  }

  record(job, before) {
    const entry = (this.stats.jobs[job.id] ??= { events: 0, advances: 0, status: null, fraction: 0 });
    entry.events += 1;
    const moved = job.progress.chars_done > (before?.progress.chars_done ?? 0);
    if (moved && !finished(job)) entry.advances += 1; // the bar moved before the end
    entry.status = job.status;
    entry.fraction = job.progress.fraction;
    entry.charsDone = job.progress.chars_done;
    entry.duration = job.audio?.duration ?? null;
  }

  drop(id) {
    const item = this.items.get(id);
    if (!item) return;
    item.following?.abort();
    item.node.remove();
    this.items.delete(id);
    this.els.empty.hidden = this.items.size > 0;
    if (this.stats.jobs[id]) this.stats.jobs[id].status = 'deleted';
  }

  // ---- following and acting -----------------------------------------------------------------

  /** Follow a job's events until it finishes; a dropped stream is picked up again. */
  async follow(id) {
    const item = this.items.get(id);
    if (!item || item.following) return;
    const controller = new AbortController();
    item.following = controller;
    try {
      while (!controller.signal.aborted && !finished(item.job)) {
        try {
          for await (const { data } of serverEvents(`/v1/jobs/${id}/events`, controller.signal)) {
            this.update(data);
          }
        } catch (error) {
          if (error?.name === 'AbortError') return;
          if (error instanceof ApiError && error.status === 404) return this.drop(id);
          if (error instanceof ApiError && [401, 403].includes(error.status)) {
            return this.failed(error, () => this.follow(id));
          }
        }
        if (!finished(item.job)) await sleep(RECONNECT_MS); // the server restarts, or the network
      }
    } finally {
      if (item.following === controller) item.following = null;
    }
  }

  async act(id, action) {
    const item = this.items.get(id);
    if (!item) return;
    try {
      if (action === 'cancel') {
        this.update(await (await send('POST', `/v1/jobs/${id}/cancel`)).json());
      } else if (action === 'delete') {
        const answer = await (await send('DELETE', `/v1/jobs/${id}`)).json();
        if (answer.object === 'job.deleted') this.drop(id);
        else this.update(answer);
      } else if (action === 'resubmit') {
        const text = await (await send('GET', item.job.urls.text)).text();
        const { chars: _chars, ...params } = item.job.request;
        await this.submit({ ...params, text }, 'resubmit');
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        this.update(await getJson(`/v1/jobs/${id}`)); // it finished meanwhile: show how
        return;
      }
      this.failed(error, () => this.act(id, action));
    }
  }
}

function describe(job) {
  const { voice, emotion, speed, format } = job.request;
  const created = new Date(job.created_at * 1000);
  return [
    voice ?? '',
    emotion,
    `${messageText('speedShort')} ${Number(speed).toFixed(2)}×`,
    format.toUpperCase(),
    created.toLocaleString(),
  ]
    .filter(Boolean)
    .join(' · ');
}

function figures(job) {
  const { progress } = job;
  if (job.status === 'succeeded') {
    return message('jobDone', { duration: clock(job.audio?.duration), chars: progress.chars_total });
  }
  return message('jobProgress', {
    done: progress.chars_done,
    total: progress.chars_total,
    audio: clock(progress.audio_seconds),
    eta: clock(job.eta_seconds),
  });
}

/** The finished file in a native player: it asks for it with Range requests as it plays. */
function addPlayer(item) {
  const { job, parts } = item;
  const audio = document.createElement('audio');
  audio.controls = true;
  audio.preload = 'none';
  audio.src = job.urls.audio;
  audio.setAttribute('aria-label', `${messageText('play')}: ${job.preview ?? job.id}`);
  parts.player.append(audio);
  parts.download.href = job.urls.audio;
  parts.download.download = `${job.id}.${job.request.format}`;
}
