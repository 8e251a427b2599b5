// The voxserve page: type, listen while it is synthesized (the word heard marked), stop,
// download, replay.
//
// Timings of every run are kept in window.voxserveStats (and the state in <body data-state>)
// so that people and browser tests can see what the page did, not only what it shows.

import { ApiError, getJson, postTts, speechEvents, syncKeyCookie } from './api.js';
import { clipItem, fileName, saveBlob } from './clips.js';
import { ErrorBox } from './errors.js';
import { SpokenText } from './highlight.js';
import { PcmPlayer, audioContext, concatBytes, wavBlob } from './audio.js';
import { message, messageText, setupLanguage } from './i18n.js';
import { JobsPanel } from './jobs.js';
import { showReadings } from './readings.js';
import { FileRefused, readTextFile } from './textfile.js';

const DEFAULT_LIMIT = 5000; // the server's defaults, used when /v1/config cannot be read
const DEFAULT_JOB_LIMIT = 200_000;
const DOWNLOAD_FORMATS = ['wav', 'mp3', 'flac', 'opus'];

const $ = (id) => document.getElementById(id);
const els = {
  text: $('text'),
  count: $('count'),
  limit: $('limit'),
  counter: $('counter'),
  voice: $('voice'),
  emotion: $('emotion'),
  emotionInfo: $('emotion-info'),
  intensity: $('intensity'),
  intensityValue: $('intensity-value'),
  speed: $('speed'),
  speedValue: $('speed-value'),
  format: $('format'),
  speak: $('speak'),
  stop: $('stop'),
  download: $('download'),
  status: $('status-text'),
  ttfa: $('ttfa'),
  duration: $('duration'),
  error: $('error'),
  errorMessage: $('error-message'),
  retry: $('retry'),
  retryWait: $('retry-wait'),
  historyList: $('history-list'),
  historyEmpty: $('history-empty'),
  uiLang: $('ui-lang'),
  keyForm: $('key-form'),
  keyInput: $('api-key'),
  showReadings: $('show-readings'),
  readings: $('readings'),
  spokenText: $('spoken-text'),
  counterJob: $('counter-job'),
  ssml: $('ssml'),
  ssmlHint: $('ssml-hint'),
  openFile: $('open-file'),
  file: $('file'),
  jobsList: $('jobs-list'),
  jobsEmpty: $('jobs-empty'),
  jobsMore: $('jobs-more'),
  jobsRefresh: $('jobs-refresh'),
};

const stats = {
  state: 'loading',
  runs: [], // one per Speak: timings in performance.now() milliseconds
  playbacks: [], // one per replay from the history
  errors: [], // {status, code, message, param, retryAfter}
  downloads: [], // {name, format, bytes}
  readings: null, // tokens shown by the last Show readings
  jobs: {}, // by job id: {events, advances (the bar moved), status, fraction, charsDone, duration}
  submitted: [], // {id, chars, source: 'text' | 'file', encoding}
};
window.voxserveStats = stats;

let maxChars = DEFAULT_LIMIT;
let maxJobChars = DEFAULT_JOB_LIMIT;
const emotionsById = new Map();
const clips = []; // this session's complete clips, newest last, PCM kept in memory
let active = null; // what is sounding now: {run?, playback?, player, controller?}
const spoken = new SpokenText(els.spokenText); // the text of what sounds, its token marked

// ---- state and figures --------------------------------------------------------------------

function setState(state) {
  stats.state = state;
  document.body.dataset.state = state;
  els.status.replaceChildren(message(state));
  els.stop.disabled = active === null;
}

function showFigures(ttfaMs, seconds) {
  els.ttfa.textContent = ttfaMs == null ? '–' : `${Math.round(ttfaMs)} ms`;
  els.duration.textContent = seconds == null ? '–' : `${seconds.toFixed(1)} s`;
}

function updateCounter() {
  const count = [...els.text.value].length; // code points, as the server counts
  els.count.textContent = String(count);
  els.limit.textContent = String(maxChars);
  const asJob = count > maxChars && count <= maxJobChars;
  const over = count > maxJobChars;
  els.counter.classList.toggle('over', over);
  els.counter.classList.toggle('job', asJob);
  els.counter.title = over ? messageText('overLimit') : '';
  els.counterJob.hidden = !asJob;
  els.counterJob.replaceChildren(asJob ? message('asJob', { max: maxJobChars }) : '');
}

// ---- errors -------------------------------------------------------------------------------

const errorBox = new ErrorBox(els, stats.errors);

/** A refusal of the page itself (a file or text it will not send). */
function showRefusal(refusal) {
  errorBox.refuse(refusal);
  setState('error');
}

/** Show an error in words, with a retry button that runs `retry` (after Retry-After, if any). */
function showError(error, retry) {
  if (error instanceof FileRefused) return showRefusal(error);
  errorBox.show(error, retry);
}

const hideError = () => errorBox.hide();

// ---- speaking -----------------------------------------------------------------------------

function readForm() {
  return {
    text: els.text.value,
    voice: els.voice.value || null,
    emotion: els.emotion.value || 'neutral',
    intensity: Number(els.intensity.value),
    speed: Number(els.speed.value),
    ssml: els.ssml.checked,
  };
}

/** Silence whatever sounds now; a stream being read is aborted (the server cancels its work). */
function stopActive() {
  if (active === null) return false;
  const { run, controller, player } = active;
  active = null;
  controller?.abort();
  player?.stop();
  spoken.stop();
  if (run && run.streamEndAt === null) run.aborted = true;
  if (run) run.stoppedAt = performance.now();
  return true;
}

function stop() {
  if (stopActive()) setState('stopped');
}

/**
 * Speak `params`: stream its units from the server (SSE, with timestamps), play each one's PCM
 * as soon as it arrives, and mark in the text the token being heard.
 */
async function speak(params = readForm()) {
  if ([...params.text].length > maxChars) return submitJob(params, 'text');
  stopActive();
  hideError();
  const run = newRun(params);
  const ctx = audioContext(); // inside the click: browsers only let a gesture start sound
  const controller = new AbortController();
  active = { run, controller, player: null };
  els.download.disabled = true; // until this clip is complete
  spoken.hide(); // until this stream starts
  setState('requesting');
  showFigures(null, null);
  try {
    const heard = { chunks: [], tokens: [] };
    let player = null;
    for await (const event of speechEvents(params, controller.signal)) {
      if (controller.signal.aborted) return; // stopped while this event was on its way
      if (event.type === 'start') player = startPlayer(run, ctx, event);
      else if (event.type === 'unit' || event.type === 'tail') onUnit(run, player, event, heard);
      else if (event.type === 'done') run.complete = true;
    }
    if (player === null) throw new ApiError(0, 'bad_response', 'the stream never started');
    streamEnded(run, player, heard);
  } catch (error) {
    if (error?.name === 'AbortError') return; // Stop (or a newer Speak) ended it on purpose
    failed(run, error, () => speak(params));
  }
}

/** The stream's start event: its sample rate and voice. A player for it; the text shown. */
function startPlayer(run, ctx, start) {
  const rate = Number(start.sample_rate);
  if (!(rate > 0)) throw new ApiError(0, 'bad_response', 'the stream has no sample rate');
  run.sampleRate = rate;
  run.voice = start.voice ?? run.params.voice;
  const player = new PcmPlayer(ctx, rate, () => playbackEnded(run));
  active.player = player;
  spoken.show(run.params.text);
  spoken.follow(() => player.position);
  return player;
}

/** A unit (or the tail) of the stream: its audio to the player, its tokens to the text. */
function onUnit(run, player, unit, heard) {
  if (player === null) throw new ApiError(0, 'bad_response', 'audio came before the start event');
  if (unit.audio?.length) {
    heard.chunks.push(unit.audio);
    onChunk(run, player, unit.audio);
  }
  if (unit.tokens?.length) {
    heard.tokens.push(...unit.tokens);
    spoken.add(unit.tokens);
    run.tokens = spoken.count;
  }
}

function newRun(params) {
  const run = {
    id: stats.runs.length + 1,
    createdAt: new Date(),
    params,
    voice: params.voice,
    sampleRate: null,
    clickAt: performance.now(),
    firstChunkAt: null,
    firstScheduledAt: null,
    firstSoundAt: null, // when the first sample was due at the speakers
    streamEndAt: null,
    playedAtStreamEnd: null, // seconds already heard when the last byte arrived
    playbackEndAt: null,
    stoppedAt: null,
    aborted: false,
    chunks: 0,
    bytes: 0,
    tokens: 0, // timed tokens placed in the text
    complete: false, // the server said done (a stream that breaks later just ends)
    duration: 0,
    ttfaMs: null,
    error: null,
  };
  stats.runs.push(run);
  return run;
}

function onChunk(run, player, chunk) {
  const now = performance.now();
  run.chunks += 1;
  run.bytes += chunk.length;
  if (run.firstChunkAt === null) {
    run.firstChunkAt = now;
    run.ttfaMs = now - run.clickAt;
    setState('streaming');
  }
  if (player.push(chunk) > 0 && run.firstScheduledAt === null) {
    run.firstScheduledAt = now;
    run.firstSoundAt = now + player.startsIn * 1000;
  }
  run.duration = Math.floor(run.bytes / 2) / run.sampleRate;
  showFigures(run.ttfaMs, run.duration);
}

function streamEnded(run, player, heard) {
  run.streamEndAt = performance.now();
  run.playedAtStreamEnd = player.played;
  player.finish();
  if (run.bytes < 2) {
    failed(run, new ApiError(0, 'no_audio', messageText('noSound')), () => speak(run.params));
    return;
  }
  const clip = addClip(run, concatBytes(heard.chunks), heard.tokens);
  els.download.disabled = false;
  els.download.dataset.clipId = String(clip.id);
  if (active?.run === run && stats.state === 'streaming') setState('playing');
}

function playbackEnded(run) {
  run.playbackEndAt = performance.now();
  if (active?.run !== run) return;
  active = null;
  spoken.stop();
  setState('done');
}

function failed(run, error, retry) {
  run.error = error?.code ?? String(error);
  if (active?.run === run) {
    active.player?.stop(); // half a sentence then silence is worse than a clear stop
    active = null;
    spoken.stop();
  }
  setState('error');
  showError(error, retry);
}

// ---- jobs: long texts and files ------------------------------------------------------------

/** Submit `params` as a job in the download format; refused here when over the job limit. */
async function submitJob(params, source, encoding = null) {
  hideError();
  const chars = [...params.text].length;
  if (chars > maxJobChars) return showRefusal(new FileRefused('jobTooLong', { n: chars, max: maxJobChars }));
  els.speak.setAttribute('aria-busy', 'true');
  try {
    await jobs.submit({ ...params, format: els.format.value }, source, encoding);
    setState('submitted');
  } catch (error) {
    setState('error');
    showError(error, () => submitJob(params, source, encoding));
  } finally {
    els.speak.removeAttribute('aria-busy');
  }
}

/** A chosen or dropped file: decoded here (UTF-8 or GB18030), checked, then made a job. */
async function submitFile(file) {
  hideError();
  try {
    const { text, encoding } = await readTextFile(file, maxJobChars);
    const ssml = text.trimStart().startsWith('<speak'); // a file is a document or plain text
    await submitJob({ ...readForm(), text, ssml }, 'file', encoding);
  } catch (error) {
    showError(error, null);
  }
}

function onDrop(event) {
  const file = event.dataTransfer?.files?.[0];
  if (!file) return; // dropped text, not a file: the text box takes it as usual
  event.preventDefault();
  submitFile(file);
}

// ---- history, replay, download --------------------------------------------------------------

function addClip(run, pcm, tokens) {
  const clip = {
    id: clips.length + 1,
    runId: run.id,
    createdAt: run.createdAt,
    params: run.params,
    voice: run.voice,
    sampleRate: run.sampleRate,
    pcm,
    tokens, // to mark the text again on replay
    duration: Math.floor(pcm.length / 2) / run.sampleRate,
    ttfaMs: run.ttfaMs,
  };
  clips.push(clip);
  els.historyList.prepend(historyItem(clip));
  els.historyEmpty.hidden = true;
  return clip;
}

function emotionLabel(id) {
  const emotion = emotionsById.get(id);
  return emotion?.label_zh ? `${emotion.label_zh} ${id}` : id;
}

function historyItem(clip) {
  return clipItem(clip, {
    emotion: emotionLabel(clip.params.emotion),
    onReplay: () => replay(clip),
    onDownload: (trigger) => download(clip, trigger),
  });
}

/** Play a stored clip again, from memory: no request. */
function replay(clip) {
  stopActive();
  hideError();
  const playback = { clipId: clip.id, startedAt: performance.now(), firstSoundAt: null, endedAt: null };
  stats.playbacks.push(playback);
  const player = new PcmPlayer(audioContext(), clip.sampleRate, () => {
    playback.endedAt = performance.now();
    if (active?.playback !== playback) return;
    active = null;
    spoken.stop();
    setState('done');
  });
  player.push(clip.pcm);
  player.finish();
  spoken.show(clip.params.text);
  spoken.add(clip.tokens);
  spoken.follow(() => player.position);
  playback.firstSoundAt = performance.now() + player.startsIn * 1000;
  active = { playback, player };
  setState('replaying');
  showFigures(clip.ttfaMs, clip.duration);
}

/** Save a clip: WAV from the PCM in memory; other formats encoded by the server. */
async function download(clip, trigger) {
  const format = els.format.value;
  if (format === 'wav') {
    save(wavBlob(clip.pcm, clip.sampleRate), fileName(clip.createdAt, format), format);
    return;
  }
  // The engines are deterministic: asking again for the whole clip gives the same audio.
  trigger.setAttribute('aria-busy', 'true');
  trigger.disabled = true;
  try {
    const response = await postTts({ ...clip.params, format, stream: false });
    save(await response.blob(), fileName(clip.createdAt, format), format);
  } catch (error) {
    showError(error, () => download(clip, trigger));
  } finally {
    trigger.removeAttribute('aria-busy');
    trigger.disabled = false;
  }
}

function save(blob, name, format) {
  saveBlob(blob, name);
  stats.downloads.push({ name, format, bytes: blob.size });
}

// ---- set-up -------------------------------------------------------------------------------

function fillVoices(catalog, defaultVoice) {
  const options = catalog.voices.map((voice) => {
    const option = new Option(`${voice.name} · ${voice.id}`, voice.id);
    option.title = voice.description ?? '';
    return option;
  });
  els.voice.replaceChildren(...options);
  els.voice.value = defaultVoice ?? catalog.default;
}

function fillEmotions(catalog) {
  const options = catalog.emotions.map((emotion) => {
    emotionsById.set(emotion.id, emotion);
    return new Option(emotionLabel(emotion.id), emotion.id);
  });
  els.emotion.replaceChildren(...options);
  els.emotion.value = emotionsById.has('neutral') ? 'neutral' : (options[0]?.value ?? '');
  const range = catalog.intensity ?? {};
  if (range.min != null) els.intensity.min = String(range.min);
  if (range.max != null) els.intensity.max = String(range.max);
  describeEmotion();
}

function describeEmotion() {
  els.emotionInfo.textContent = emotionsById.get(els.emotion.value)?.description ?? '';
}

function fillFormats(formats) {
  const offered = DOWNLOAD_FORMATS.filter((f) => !formats || formats.includes(f));
  for (const option of [...els.format.options]) option.hidden = !offered.includes(option.value);
}

/** Voices, emotions and limits from the server; the page stays usable if some are missing. */
async function loadCatalog() {
  const [config, voices, emotions] = await Promise.allSettled([
    getJson('/v1/config'),
    getJson('/v1/voices'),
    getJson('/v1/emotions'),
  ]);
  const settings = config.status === 'fulfilled' ? config.value : null;
  maxChars = settings?.max_text_chars ?? DEFAULT_LIMIT;
  maxJobChars = settings?.max_job_chars ?? DEFAULT_JOB_LIMIT;
  fillFormats(settings?.formats);
  if (voices.status === 'fulfilled') fillVoices(voices.value, settings?.default_voice);
  if (emotions.status === 'fulfilled') fillEmotions(emotions.value);
  updateCounter();
  if (voices.status === 'rejected' || emotions.status === 'rejected') {
    showError(voices.reason ?? emotions.reason, () => loadCatalog());
    return;
  }
  if (settings === null) els.emotionInfo.replaceChildren(message('configMissing'));
  await jobs.load().catch((error) => showError(error, () => jobs.load()));
}

function showSlider(input, output, digits, suffix) {
  const show = () => {
    output.textContent = `${Number(input.value).toFixed(digits)}${suffix}`;
  };
  input.addEventListener('input', show);
  show();
}

function onKey(event) {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    speak();
  } else if (event.key === 'Escape' && active !== null) {
    event.preventDefault();
    stop();
  }
}

/** Show how the text will be read (errors as for speaking, with a retry). */
async function readings() {
  hideError();
  try {
    const tokens = await showReadings(els.text.value, els.readings, els.ssml.checked);
    stats.readings = tokens.length;
  } catch (error) {
    showError(error, () => readings());
  }
}

/** A document pasted or typed turns SSML on; the box stays the user's to turn off. */
function noticeSsml() {
  const looksLikeSsml = els.text.value.trimStart().startsWith('<speak');
  if (looksLikeSsml && !els.text.dataset.sawSsml) els.ssml.checked = true;
  els.text.dataset.sawSsml = looksLikeSsml ? 'yes' : '';
  els.ssmlHint.hidden = !els.ssml.checked;
}

function wire() {
  setupLanguage(els.uiLang);
  els.text.addEventListener('input', updateCounter);
  els.text.addEventListener('input', noticeSsml);
  els.ssml.addEventListener('change', () => {
    els.ssmlHint.hidden = !els.ssml.checked;
  });
  els.emotion.addEventListener('change', describeEmotion);
  showSlider(els.intensity, els.intensityValue, 1, '');
  showSlider(els.speed, els.speedValue, 2, '×');
  els.speak.addEventListener('click', () => speak());
  els.stop.addEventListener('click', stop);
  els.download.addEventListener('click', () => {
    const clip = clips.find((c) => String(c.id) === els.download.dataset.clipId);
    if (clip) download(clip, els.download);
  });
  els.showReadings.addEventListener('click', readings);
  els.openFile.addEventListener('click', () => els.file.click());
  els.file.addEventListener('change', () => {
    const [file] = els.file.files;
    els.file.value = ''; // the same file may be chosen again
    if (file) submitFile(file);
  });
  els.text.addEventListener('dragover', (event) => event.preventDefault());
  els.text.addEventListener('drop', onDrop);
  els.jobsRefresh.addEventListener('click', () =>
    jobs.load().catch((error) => showError(error, () => jobs.load())),
  );
  document.addEventListener('keydown', onKey);
  updateCounter();
}

const jobs = new JobsPanel(
  { list: els.jobsList, empty: els.jobsEmpty, more: els.jobsMore },
  showError,
  stats,
);
syncKeyCookie();
wire();
setState('loading');
loadCatalog().finally(() => {
  if (stats.state === 'loading') setState('ready');
  document.body.dataset.loaded = 'true';
});
