// How the text will be read, from POST /v1/phonemize: each token with its pinyin (or English
// phonemes) above it, so a user can see a misread character and fix it with [字](zi4).

import { postJson } from './api.js';

/** One token as <ruby>: the caller's characters with their reading above them. */
function tokenElement(token) {
  const ruby = document.createElement('ruby');
  ruby.className = `token lang-${token.lang}`;
  ruby.dataset.start = String(token.orig_start);
  const reading = token.pinyin ? token.pinyin.join(' ') : token.phonemes ?? '';
  const spoken = token.spoken !== token.text && token.lang === 'zh' ? ` (${token.spoken})` : '';
  ruby.append(token.text + spoken);
  const rt = document.createElement('rt');
  rt.textContent = reading;
  ruby.append(rt);
  return ruby;
}

/**
 * Fetch the tokens of `text` (an SSML document with `ssml`) and show them in `container` (an
 * element with a list inside).
 * Returns the tokens; raises ApiError as the API answers.
 */
export async function showReadings(text, container, ssml = false) {
  const { tokens } = await postJson('/v1/phonemize', { text, ssml });
  const list = container.querySelector('.readings-list');
  list.replaceChildren(...tokens.map(tokenElement));
  container.hidden = false;
  return tokens;
}
