// The playground's page: one chat channel (messages over Server-Sent Events, commands with POST)
// and the cluster's dashboard beside it. Plain JavaScript, no build step.

const $ = (selector) => document.querySelector(selector);

/**
 * This browser's secret key and display name, kept across visits. The playground names the member
 * by a hash of the key (`id`, told in the `hello` event); only this browser knows the key.
 */
function identity() {
  let key = localStorage.getItem('teambooth.key');
  if (!key) {
    key = `${crypto.randomUUID()}${crypto.randomUUID()}`.replaceAll('-', '');
    localStorage.setItem('teambooth.key', key);
  }
  const name = localStorage.getItem('teambooth.name') || `guest-${key.slice(0, 4)}`;
  return { key, name, id: null };
}

const me = identity();
const messages = new Map();
let events;

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** The core's text: ```blocks```, `code`, **bold**, line breaks. */
function renderText(text) {
  return escapeHtml(text)
    .split(/```\n?/)
    .map((part, i) =>
      i % 2 === 1
        ? `<pre>${part}</pre>`
        : part
            .replace(/`([^`]+)`/g, '<code>$1</code>')
            .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
            .replace(/\n/g, '<br>'),
    )
    .join('');
}

/** A new element with `properties` set and `children` appended. */
function element(tag, properties, children = []) {
  const node = Object.assign(document.createElement(tag), properties);
  node.append(...children);
  return node;
}

function renderMessage(message) {
  const item = document.createElement('li');
  item.className = `message${message.author.bot ? ' bot' : ''}${message.onlyFor ? ' whisper' : ''}`;
  item.dataset.id = message.id;
  const time = new Date(message.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  item.innerHTML =
    `<div class="meta"><span class="author">${escapeHtml(message.author.name)}</span> <time>${time}</time>` +
    `${message.onlyFor ? ' <span class="only-you">only you can see this</span>' : ''}</div>` +
    `<div class="text">${renderText(message.text)}</div>`;
  if (message.attachments.length > 0) item.append(element('div', { className: 'attachments', textContent: `Attached: ${message.attachments.join(', ')}` }));
  if (message.images.length > 0) {
    item.append(element('div', { className: 'images' }, message.images.map((image) => element('img', { src: image.url, alt: image.name, className: 'result-image' }))));
  }
  if (message.buttons.length > 0) {
    const buttons = message.buttons.map((b) => {
      const button = element('button', { type: 'button', textContent: b.label, className: b.style });
      button.dataset.buttonId = b.id;
      button.addEventListener('click', () => press(message.id, b.id, button));
      return button;
    });
    item.append(element('div', { className: 'buttons' }, buttons));
  }
  return item;
}

function showMessage(message) {
  const list = $('#messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const item = renderMessage(message);
  const old = messages.get(message.id);
  if (old) old.replaceWith(item);
  else list.append(item);
  messages.set(message.id, item);
  // Follow the conversation, unless the member scrolled up to read; their own new message always shows.
  if (atBottom || (!old && message.author.id === me.id)) list.scrollTop = list.scrollHeight;
}

function removeMessage(id) {
  messages.get(id)?.remove();
  messages.delete(id);
}

function renderDashboard(d) {
  $('#leader').textContent = d.leader ? `leader ${d.leader}` : 'no leader';
  const problem = $('#dashboard-problem');
  problem.hidden = d.problem === null;
  problem.textContent = d.problem ?? '';
  $('#nodes tbody').innerHTML = d.nodes
    .map((n) => {
      const name = escapeHtml(n.id ?? n.server);
      const cells = n.up ? [n.role, n.term, n.commitIndex, n.appliedIndex] : ['down', '', '', ''];
      return `<tr data-node="${escapeHtml(n.server)}" class="${escapeHtml(n.up ? n.role : 'down')}" title="${escapeHtml(n.error ?? n.server)}"><td>${name}</td>${cells.map((c) => `<td>${escapeHtml(String(c))}</td>`).join('')}</tr>`;
    })
    .join('');
  $('#versions').innerHTML =
    d.versions
      .map((v) => {
        const what = v.parent === null ? 'base model' : v.subjects.length === 0 ? 'no subjects' : v.subjects.map(escapeHtml).join(', ');
        return `<li data-version="${escapeHtml(v.id)}" class="${v.current ? 'current' : ''}"><strong>${escapeHtml(v.id)}</strong>${v.current ? ' (current)' : ''}: ${what}</li>`;
      })
      .join('') || '<li class="muted">none yet</li>';
  $('#agents').innerHTML =
    d.agents
      .map((a) => `<li data-agent="${escapeHtml(a.id)}" class="${a.online ? 'online' : 'offline'}">${escapeHtml(a.name)}: ${a.online ? 'online' : escapeHtml(a.status === 'active' ? 'offline' : a.status)}${a.provider ? `, ${escapeHtml(a.provider)}` : ''}${a.canTrain ? ', trains' : ''}</li>`)
      .join('') || '<li class="muted">no agents registered</li>';
  const counts = d.queue.counts;
  $('#queue-counts').textContent = `${counts.queued ?? 0} waiting, ${(counts.leased ?? 0) + (counts.running ?? 0)} running, ${counts.succeeded ?? 0} done`;
  $('#queue').innerHTML =
    d.queue.active.map((j) => `<li data-job="${escapeHtml(j.id)}">${escapeHtml(j.kind)} <em>${escapeHtml(j.what)}</em>: ${escapeHtml(j.state)}${j.progress ? `, ${escapeHtml(j.progress)}` : ''}</li>`).join('') ||
    '<li class="muted">empty</li>';
}

let retry;

function connect() {
  clearTimeout(retry);
  events?.close();
  const query = new URLSearchParams({ key: me.key, name: me.name });
  const stream = new EventSource(`/api/events?${query}`);
  events = stream;
  stream.addEventListener('open', () => setConnection('connected', true));
  stream.addEventListener('error', () => {
    setConnection('reconnecting…', false);
    // The browser retries by itself after a dropped stream, but not after an error status (a restart): try again.
    if (stream.readyState === EventSource.CLOSED && events === stream) retry = setTimeout(connect, 3000);
  });
  stream.addEventListener('hello', (e) => (me.id = JSON.parse(e.data).member));
  stream.addEventListener('history', (e) => {
    for (const item of messages.values()) item.remove();
    messages.clear();
    for (const message of JSON.parse(e.data)) showMessage(message);
  });
  stream.addEventListener('message', (e) => showMessage(JSON.parse(e.data)));
  stream.addEventListener('remove', (e) => removeMessage(JSON.parse(e.data).id));
  stream.addEventListener('dashboard', (e) => renderDashboard(JSON.parse(e.data)));
}

function setConnection(text, ok) {
  const el = $('#connection');
  el.textContent = text;
  el.classList.toggle('ok', ok);
}

function showError(text) {
  const el = $('#composer-error');
  el.hidden = !text;
  el.textContent = text ?? '';
}

async function post(path, body) {
  const headers = { 'x-teambooth-playground': '1' };
  const init = body instanceof FormData ? { method: 'POST', headers, body } : { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const response = await fetch(path, init);
  if (response.ok) return true;
  const answer = await response.json().catch(() => ({}));
  showError(answer.error ?? `the server answered HTTP ${response.status}`);
  return false;
}

async function send(event) {
  event.preventDefault();
  const input = $('#composer-text');
  const files = $('#composer-files');
  const text = input.value.trim();
  if (text === '' && files.files.length === 0) return;
  showError(null);
  const fields = { key: me.key, name: me.name, text, interactionId: crypto.randomUUID() };
  let body = fields;
  if (files.files.length > 0) {
    body = new FormData();
    for (const [key, value] of Object.entries(fields)) body.append(key, value);
    for (const file of files.files) body.append('photos', file, file.name);
  }
  $('#send').disabled = true;
  try {
    if (await post('/api/commands', body)) {
      input.value = '';
      files.value = '';
      showAttached();
    }
  } catch (error) {
    showError(`could not reach the playground: ${error.message}`);
  } finally {
    $('#send').disabled = false;
    input.focus();
  }
}

async function press(messageId, buttonId, button) {
  button.disabled = true;
  showError(null);
  try {
    await post('/api/press', { key: me.key, name: me.name, messageId, buttonId, interactionId: crypto.randomUUID() });
  } catch (error) {
    showError(`could not reach the playground: ${error.message}`);
  } finally {
    button.disabled = false;
  }
}

function showAttached() {
  const files = [...$('#composer-files').files];
  const box = $('#attached');
  box.hidden = files.length === 0;
  box.textContent = files.length === 0 ? '' : `Attached: ${files.length} photo${files.length === 1 ? '' : 's'}: ${files.map((f) => f.name).join(', ')}`;
}

$('#member-name').value = me.name;
$('#member-name').addEventListener('change', (e) => {
  const name = e.target.value.trim().slice(0, 32);
  e.target.value = name || me.name;
  if (name === '' || name === me.name) return;
  me.name = name;
  localStorage.setItem('teambooth.name', name);
  connect();
});
$('#composer').addEventListener('submit', send);
$('#composer-files').addEventListener('change', showAttached);
connect();
