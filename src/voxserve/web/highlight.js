// The text being spoken, one <span> per token, the token heard now marked: a character of
// Mandarin or a word of English, following the player's clock rather than wall time.
//
// Tokens come from the server's timestamps (POST /v1/tts with timestamps: see api.js), a unit
// of speech at a time, in text order: each names its place in the text that was sent
// (orig_start, orig_end, in code points) and when it is heard (start_ms, end_ms, from the start
// of the stream). With SSML on, the places are in the document, so the document is shown.

const SPEAKING = 'speaking';

/**
 * UTF-16 index of each code point of `text` (and of its end): the server counts code points,
 * JS strings count UTF-16 units, and they differ after any character outside the BMP (😀, 𠮷).
 */
export function codeUnitOffsets(text) {
  const offsets = [0];
  let at = 0;
  for (const char of text) {
    at += char.length;
    offsets.push(at);
  }
  return offsets;
}

/** Index of the entry of `timed` (sorted by start) whose [start, end) holds `ms`, or -1. */
export function tokenAt(timed, ms) {
  let lo = 0;
  let hi = timed.length; // the first entry starting after ms
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (timed[mid].start <= ms) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && ms < timed[lo - 1].end ? lo - 1 : -1;
}

/**
 * A read-only view of the text sent, filled in as its tokens arrive (the text after the last
 * token stays one plain text node until the next unit splits it), and a highlight that
 * follows a clock while something plays.
 */
export class SpokenText {
  #box;
  #offsets = [0];
  #rest = null; // the text node after the last token placed
  #restAt = 0; // where it starts in the text (UTF-16 index)
  #timed = []; // {start, end, el}: the tokens placed, in time order
  #current = null; // the span marked now
  #frame = 0;

  constructor(box) {
    this.#box = box;
  }

  /** Tokens placed so far (those out of text order or outside it are not shown). */
  get count() {
    return this.#timed.length;
  }

  /** Show `text` without any tokens yet; the tokens of whatever was shown before are gone. */
  show(text) {
    this.stop();
    this.#offsets = codeUnitOffsets(text);
    this.#rest = document.createTextNode(text);
    this.#restAt = 0;
    this.#timed = [];
    this.#box.replaceChildren(this.#rest);
    this.#box.scrollTop = 0;
    this.#box.hidden = false;
  }

  /** Hide the view (a new request, until its stream starts). */
  hide() {
    this.stop();
    this.#box.hidden = true;
  }

  /** Place `tokens` (the next ones in text order) as spans over their characters. */
  add(tokens) {
    for (const token of tokens) {
      const from = this.#offsets[token.orig_start];
      const to = this.#offsets[token.orig_end];
      // Tokens arrive in text order; one that is not (or lies outside the text) cannot be split
      // off the rest, and stays unmarked rather than marking the wrong characters.
      if (from === undefined || to === undefined || from < this.#restAt || to <= from) continue;
      const el = this.#wrap(from, to, token);
      this.#timed.push({ start: token.start_ms, end: token.end_ms, el });
    }
    this.#timed.sort((a, b) => a.start - b.start); // already so, but marking relies on it
  }

  /**
   * Mark, on every frame, the token whose time holds `clock()` (seconds into the stream, or null
   * before anything is queued) until stop().
   */
  follow(clock) {
    cancelAnimationFrame(this.#frame);
    const tick = () => {
      const seconds = clock();
      const index = seconds === null ? -1 : tokenAt(this.#timed, seconds * 1000);
      this.#mark(index < 0 ? null : this.#timed[index].el);
      this.#frame = requestAnimationFrame(tick);
    };
    tick();
  }

  /** Stop following: nothing is marked (the text stays shown). */
  stop() {
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    this.#mark(null);
  }

  /** Split the characters [from, to) off the rest into a span; the text before stays plain. */
  #wrap(from, to, token) {
    const inside = this.#rest.splitText(from - this.#restAt);
    const after = inside.splitText(to - from);
    if (this.#rest.length === 0) this.#rest.remove(); // two tokens side by side
    const span = document.createElement('span');
    // A class, not a lang attribute: the page's CSS hides [lang] elements by the UI language.
    span.className = `token lang-${token.lang}`;
    span.dataset.start = String(token.orig_start);
    inside.replaceWith(span);
    span.append(inside);
    this.#rest = after;
    this.#restAt = to;
    return span;
  }

  #mark(el) {
    if (el === this.#current) return;
    if (this.#current) {
      this.#current.classList.remove(SPEAKING);
      this.#current.removeAttribute('aria-current');
    }
    this.#current = el;
    if (!el) return;
    el.classList.add(SPEAKING);
    el.setAttribute('aria-current', 'true');
    this.#reveal(el);
  }

  /** Scroll the view itself (never the page) so that a long text keeps the mark in sight. */
  #reveal(el) {
    const box = this.#box;
    const top = el.offsetTop; // the box is the span's offsetParent (position: relative)
    if (top < box.scrollTop || top + el.offsetHeight > box.scrollTop + box.clientHeight) {
      box.scrollTop = Math.max(0, top - box.clientHeight / 3);
    }
  }
}
