// Playing raw s16le mono PCM as it arrives, and wrapping PCM as a WAV file.

const START_LEAD_S = 0.05; // headroom before the first buffer (and after an underrun): no click

let sharedContext = null;

/** One AudioContext for the page, made (and resumed) inside a user gesture so it may sound. */
export function audioContext() {
  sharedContext ??= new AudioContext({ latencyHint: 'interactive' });
  if (sharedContext.state === 'suspended') sharedContext.resume();
  return sharedContext;
}

/**
 * Schedules PCM chunks back to back on one AudioContext: playback starts with the first chunk
 * while later ones are still being synthesized. Chunks may split a sample: an odd trailing
 * byte is carried over to the next chunk.
 */
export class PcmPlayer {
  #ctx;
  #rate;
  #sources = new Set();
  #carry = null; // a lone byte: the first half of a sample split across chunks
  #nextTime = 0; // context time at which the next buffer starts
  #startTime = null; // context time of the first sample
  #queued = 0; // seconds of the stream scheduled so far
  #stretches = []; // {at, offset}: from context time `at` the stream plays on from `offset` s
  #heard = -Infinity; // the latest output time read: a new output timestamp may read earlier
  #finished = false;
  #stopped = false;
  #onEnded;

  /** `onEnded` runs once, after the last scheduled sample has played (not after stop()). */
  constructor(ctx, sampleRate, onEnded = () => {}) {
    this.#ctx = ctx;
    this.#rate = sampleRate;
    this.#onEnded = onEnded;
  }

  /** Queue a chunk of bytes; returns the seconds of audio it added. */
  push(bytes) {
    if (this.#stopped) return 0;
    const samples = this.#toFloat(bytes);
    if (samples.length === 0) return 0;
    const buffer = this.#ctx.createBuffer(1, samples.length, this.#rate);
    buffer.copyToChannel(samples, 0);
    this.#schedule(buffer);
    return buffer.duration;
  }

  /** No more chunks will come: end once what is queued has played. */
  finish() {
    this.#finished = true;
    this.#maybeEnded();
  }

  /** Silence now and forget everything queued. */
  stop() {
    this.#stopped = true;
    for (const source of this.#sources) {
      source.onended = null;
      try {
        source.stop();
      } catch {
        // Never started: nothing to stop.
      }
    }
    this.#sources.clear();
  }

  /** Seconds of audio already heard (0 before the first sample plays). */
  get played() {
    if (this.#startTime === null) return 0;
    return Math.max(0, Math.min(this.#ctx.currentTime, this.#nextTime) - this.#startTime);
  }

  /**
   * Seconds into the stream that reach the speakers now (negative before the first sample does;
   * null before anything is queued). Read from the output clock, not wall time, and mapped
   * through the schedule: while the network falls behind (an underrun), it holds its place.
   */
  get position() {
    if (this.#stretches.length === 0) return null;
    this.#heard = Math.max(this.#heard, heardTime(this.#ctx));
    const now = this.#heard;
    let i = this.#stretches.length - 1;
    while (i > 0 && this.#stretches[i].at > now) i -= 1;
    const { at, offset } = this.#stretches[i];
    const end = this.#stretches[i + 1]?.offset ?? this.#queued; // silence after a stretch
    return Math.min(offset + (now - at), end);
  }

  /** Seconds from now until the first sample sounds (negative once it has). */
  get startsIn() {
    return this.#startTime === null ? null : this.#startTime - this.#ctx.currentTime;
  }

  #schedule(buffer) {
    const source = this.#ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(this.#ctx.destination);
    // Back to back with the previous buffer, unless the network fell behind (an underrun):
    // then start a little ahead of now, as at the beginning.
    const at = Math.max(this.#nextTime, this.#ctx.currentTime + START_LEAD_S);
    this.#startTime ??= at;
    source.start(at);
    if (at > this.#nextTime) this.#stretches.push({ at, offset: this.#queued });
    this.#nextTime = at + buffer.duration;
    this.#queued += buffer.duration;
    this.#sources.add(source);
    source.onended = () => {
      this.#sources.delete(source);
      this.#maybeEnded();
    };
  }

  #maybeEnded() {
    if (this.#finished && !this.#stopped && this.#sources.size === 0) {
      this.#stopped = true; // once only
      this.#onEnded();
    }
  }

  #toFloat(chunk) {
    let bytes = chunk;
    if (this.#carry !== null) {
      bytes = new Uint8Array(chunk.length + 1);
      bytes[0] = this.#carry;
      bytes.set(chunk, 1);
      this.#carry = null;
    }
    const count = bytes.length >> 1;
    if (bytes.length % 2 === 1) this.#carry = bytes[bytes.length - 1];
    return s16leToFloat(bytes, count);
  }
}

/**
 * The context time of the sample at the speakers now: currentTime runs ahead of what is heard by
 * the output's latency. getOutputTimestamp says which sample the device played when; where it
 * has nothing to say yet (no output started, an offline context), currentTime less the latency.
 */
function heardTime(ctx) {
  const stamp = ctx.getOutputTimestamp?.();
  if (stamp?.performanceTime > 0) {
    const since = (performance.now() - stamp.performanceTime) / 1000;
    return Math.min(stamp.contextTime + since, ctx.currentTime); // not past a suspended context
  }
  return ctx.currentTime - (ctx.outputLatency || 0);
}

/** The first `count` little-endian 16-bit samples of `bytes` as floats in [-1, 1). */
export function s16leToFloat(bytes, count = bytes.length >> 1) {
  // DataView: the chunk may start at an odd offset of its buffer, and must read little-endian.
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * 2);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 1) out[i] = view.getInt16(i * 2, true) / 32768;
  return out;
}

/** Concatenate chunks of bytes into one Uint8Array. */
export function concatBytes(chunks) {
  const total = chunks.reduce((sum, c) => sum + c.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** A mono 16-bit PCM WAV file (44-byte RIFF header + the samples) as a Blob. */
export function wavBlob(pcm, sampleRate) {
  const data = pcm.length - (pcm.length % 2); // whole samples only
  const header = new DataView(new ArrayBuffer(44));
  const ascii = (offset, text) => {
    for (let i = 0; i < text.length; i += 1) header.setUint8(offset + i, text.charCodeAt(i));
  };
  ascii(0, 'RIFF');
  header.setUint32(4, 36 + data, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  header.setUint32(16, 16, true); // fmt chunk size
  header.setUint16(20, 1, true); // PCM
  header.setUint16(22, 1, true); // mono
  header.setUint32(24, sampleRate, true);
  header.setUint32(28, sampleRate * 2, true); // byte rate
  header.setUint16(32, 2, true); // block align
  header.setUint16(34, 16, true); // bits per sample
  ascii(36, 'data');
  header.setUint32(40, data, true);
  return new Blob([header, pcm.subarray(0, data)], { type: 'audio/wav' });
}
