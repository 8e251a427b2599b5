// Errors as the page shows them: a title in the page's languages, the server's message and code,
// when to retry (the Retry button counts down Retry-After), and the key form after a 401.

import { ApiError, apiKey, setApiKey } from './api.js';
import { message, messageText } from './i18n.js';

const TITLES = {
  connection_lost: 'connectionLost',
  text_too_long: 'tooLong',
  unknown_voice: 'unknownVoice',
};

function title(error) {
  if (TITLES[error.code]) return TITLES[error.code];
  if (error.status === 401) return 'keyNeeded';
  if (error.status === 429) return 'busy';
  if (error.status === 507) return 'outOfSpace';
  if (error.status === 503) return 'unavailable';
  if (error.status >= 400 && error.status < 500) return 'badInput';
  return 'failed';
}

function strong(key) {
  const node = document.createElement('strong');
  node.append(message(key));
  return node;
}

export class ErrorBox {
  /** `els`: error, errorMessage, retry, retryWait, keyForm, keyInput; `log`: errors shown. */
  constructor(els, log) {
    this.els = els;
    this.log = log;
    this.retryAction = null;
    this.timer = null;
    els.retry.addEventListener('click', () => this.retryAction?.());
    els.keyForm.addEventListener('submit', (event) => this.saveKey(event));
  }

  /** An ApiError (anything else counts as a lost connection), with `retry` (or null). */
  show(error, retry) {
    const apiError = error instanceof ApiError ? error : ApiError.connectionLost(error);
    const { status, code, param, retryAfter } = apiError;
    this.log.push({ status, code, message: apiError.message, param, retryAfter });
    const parts = [strong(title(apiError))];
    if (code !== 'connection_lost') {
      const codeEl = document.createElement('code');
      codeEl.textContent = code;
      parts.push(': ', apiError.message, ' ', codeEl);
    }
    if (retryAfter) parts.push(' ', message('retryAfter', { s: retryAfter }));
    this.open(parts, retry);
    this.waitBeforeRetry(retryAfter ?? 0);
    if (status === 401) this.askForKey();
  }

  /** The page's own refusal (`key`, `vars`: an i18n message): nothing to retry. */
  refuse({ key, vars }) {
    this.log.push({ status: 0, code: key, message: messageText(key, vars) });
    this.open([strong('refused'), ': ', message(key, vars)], null);
  }

  open(parts, retry) {
    this.els.errorMessage.replaceChildren(...parts);
    this.els.error.hidden = false;
    this.retryAction = retry;
    this.els.retry.hidden = retry === null;
  }

  hide() {
    clearInterval(this.timer);
    this.els.error.hidden = true;
    this.els.keyForm.hidden = true;
    this.retryAction = null;
  }

  /** The server wants an API key: show the key field (the Retry button resends with it). */
  askForKey() {
    this.els.keyForm.hidden = false;
    this.els.keyInput.value = apiKey();
    this.els.keyInput.focus();
  }

  saveKey(event) {
    event.preventDefault();
    setApiKey(this.els.keyInput.value.trim());
    this.els.keyForm.hidden = true;
    const retry = this.retryAction;
    this.hide();
    retry?.();
  }

  /** Keep Retry disabled for the seconds the server asked for, counting down on the button. */
  waitBeforeRetry(seconds) {
    clearInterval(this.timer);
    let left = seconds;
    const tick = () => {
      this.els.retry.disabled = left > 0;
      this.els.retryWait.textContent = left > 0 ? ` (${left} s)` : '';
      if (left <= 0) clearInterval(this.timer);
      left -= 1;
    };
    tick();
    if (seconds > 0) this.timer = setInterval(tick, 1000);
  }
}
