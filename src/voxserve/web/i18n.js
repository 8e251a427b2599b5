// Labels in Chinese and English. Static labels live in index.html as <span lang> pairs; the
// messages the page writes at run time come from here, so both languages always travel together.

const MESSAGES = {
  loading: ['加载中…', 'Loading…'],
  ready: ['就绪', 'Ready'],
  requesting: ['请求中…', 'Requesting…'],
  streaming: ['合成中 · 播放中', 'Synthesizing · playing'],
  playing: ['播放中', 'Playing'],
  replaying: ['回放中', 'Replaying'],
  done: ['完成', 'Done'],
  stopped: ['已停止', 'Stopped'],
  error: ['出错', 'Error'],
  configMissing: ['无法读取服务配置，使用默认值。', 'Could not read the service settings; using defaults.'],
  catalogFailed: ['无法加载音色或情感列表。', 'Could not load the voices or emotions.'],
  overLimit: ['超出上限', 'over the limit'],
  connectionLost: [
    '连接中断：服务器没有响应或连接已断开。',
    'Connection lost: the server did not answer or the connection dropped.',
  ],
  retryAfter: ['请 {s} 秒后重试。', 'Retry in {s} s.'],
  busy: ['服务器繁忙', 'Server busy'],
  keyNeeded: ['需要 API 密钥', 'API key required'],
  tooLong: ['文本过长', 'Text too long'],
  unknownVoice: ['未知音色', 'Unknown voice'],
  badInput: ['输入有误', 'Invalid input'],
  unavailable: ['服务暂不可用', 'Service unavailable'],
  failed: ['请求失败', 'Request failed'],
  replay: ['回放', 'Replay'],
  download: ['下载', 'Download'],
  speedShort: ['语速', 'speed'],
  historyLabel: ['片段', 'Clip'],
  noSound: ['没有收到音频。', 'No audio came back.'],
  outOfSpace: ['服务器存储空间不足', 'The server is out of disk space'],
  submitted: ['已作为任务提交', 'Submitted as a job'],
  asJob: ['→ 任务（上限 {max}）', '→ a job (up to {max})'],
  jobTooLong: ['文本有 {n} 字，超过任务上限 {max} 字。', 'The text has {n} characters, over the job limit of {max}.'],
  fileTooBig: ['文件 {name} 太大：任务最多 {max} 字。', 'The file {name} is too big: a job takes at most {max} characters.'],
  notText: ['{name} 不是文本文件。', '{name} is not a text file.'],
  emptyFile: ['文件 {name} 是空的。', 'The file {name} is empty.'],
  refused: ['无法提交', 'Not submitted'],
  cancel: ['取消', 'Cancel'],
  delete: ['删除', 'Delete'],
  resubmit: ['重新提交', 'Resubmit'],
  play: ['播放', 'Play'],
  progress: ['进度', 'Progress'],
  job_queued: ['排队中', 'Queued'],
  job_running: ['合成中', 'Running'],
  job_succeeded: ['已完成', 'Done'],
  job_failed: ['失败', 'Failed'],
  job_cancelled: ['已取消', 'Cancelled'],
  jobProgress: [
    '{done} / {total} 字 · 已合成 {audio} · 约剩 {eta}',
    '{done} / {total} characters · {audio} of audio · {eta} left',
  ],
  jobDone: ['{chars} 字 · 时长 {duration}', '{chars} characters · {duration} long'],
};

/** Fill `{name}` placeholders. */
function fill(text, vars) {
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}

/** One message as a fragment of two <span lang> (CSS hides one when the user picks a language). */
export function message(key, vars = {}) {
  const [zh, en] = MESSAGES[key] ?? [key, key];
  const fragment = document.createDocumentFragment();
  fragment.append(span('zh', fill(zh, vars)), ' ', span('en', fill(en, vars)));
  return fragment;
}

/** Plain text of a message in both languages, for attributes (title, aria-label). */
export function messageText(key, vars = {}) {
  const [zh, en] = MESSAGES[key] ?? [key, key];
  return `${fill(zh, vars)} ${fill(en, vars)}`;
}

function span(lang, text) {
  const el = document.createElement('span');
  el.lang = lang;
  el.textContent = text;
  return el;
}

/** Show labels in both languages, or in one; remembered across visits. */
export function setupLanguage(select) {
  const saved = localStorage.getItem('voxserve.uiLang');
  if (saved && [...select.options].some((o) => o.value === saved)) select.value = saved;
  const apply = () => {
    document.documentElement.dataset.uiLang = select.value;
    document.documentElement.lang = select.value === 'en' ? 'en' : 'zh-CN';
    localStorage.setItem('voxserve.uiLang', select.value);
  };
  select.addEventListener('change', apply);
  apply();
}
