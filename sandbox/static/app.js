// hitbot sandbox web chat: plain JavaScript over the test-client API (/sandbox/api/...).
"use strict";

const API = "/sandbox/api";
const chats = new Map(); // user id -> {user, el, version, alive}
let active = null;

async function api(path, options = {}) {
  const resp = await fetch(API + path, options);
  let body = null;
  try { body = await resp.json(); } catch (e) { body = {}; }
  if (!resp.ok) throw new Error(body.error || `HTTP ${resp.status}`);
  return body;
}

function postJSON(path, data) {
  return api(path, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(data)});
}

function toast(text, alert = false) {
  const el = document.getElementById("toast");
  el.textContent = text;
  el.className = "toast" + (alert ? " alert" : "");
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, alert ? 6000 : 2500);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function money(cents, currency) {
  try {
    return new Intl.NumberFormat(undefined, {style: "currency", currency}).format(cents / 100);
  } catch (e) { return `${(cents / 100).toFixed(2)} ${currency}`; }
}

// People -------------------------------------------------------------------------------
async function loadUsers() {
  const {users} = await api("/users");
  const list = document.getElementById("user-list");
  list.replaceChildren(...users.map(u => el("li", {},
    el("button", {type: "button", "data-user": u.id, class: chats.has(u.id) ? "open" : "",
                  onclick: () => openChat(u)},
       el("span", {text: u.first_name + (u.blocked ? " 🚫" : "")}), " ", el("span", {class: "uid", text: `#${u.id}`})))));
  return users;
}

document.getElementById("new-user").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = ev.target;
  const error = document.getElementById("new-user-error");
  error.textContent = "";
  const data = {first_name: form.first_name.value.trim(), language_code: "en"};
  const id = form.id.value.trim();
  data.id = id ? Number(id) : 300 + Math.floor(Math.random() * 1e6);
  if (form.username.value.trim()) data.username = form.username.value.trim();
  try {
    const user = await postJSON("/users", data);
    form.reset();
    await loadUsers();
    openChat(user);
  } catch (e) { error.textContent = e.message; }
});

// Chats --------------------------------------------------------------------------------
function openChat(user) {
  if (chats.has(user.id)) { activate(user.id); return; }
  const node = document.getElementById("chat-template").content.firstElementChild.cloneNode(true);
  node.dataset.user = user.id;
  node.querySelector(".chat-name").textContent = user.first_name;
  node.querySelector(".chat-id").textContent = `#${user.id}`;
  const state = {user, el: node, version: -1, alive: true, atBottom: true};
  chats.set(user.id, state);
  document.getElementById("no-chats").hidden = true;
  document.getElementById("chats").append(node);
  wireComposer(state);
  node.querySelector(".close").addEventListener("click", () => closeChat(user.id));
  node.querySelector(".block").addEventListener("click", () => toggleBlock(state));
  const box = node.querySelector(".messages");
  box.addEventListener("scroll", () => { state.atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40; });
  activate(user.id);
  renderTabs();
  loadUsers();
  refresh(state);
}

function closeChat(id) {
  const state = chats.get(id);
  if (!state) return;
  state.alive = false;
  state.el.remove();
  chats.delete(id);
  if (active === id) active = chats.size ? chats.keys().next().value : null;
  if (active !== null) activate(active);
  document.getElementById("no-chats").hidden = chats.size > 0;
  renderTabs();
  loadUsers();
}

function activate(id) {
  active = id;
  if (chats.has(id)) chats.get(id).unread = 0;
  for (const [uid, s] of chats) s.el.classList.toggle("active", uid === id);
  renderTabs();
  const state = chats.get(id);
  if (state) state.el.querySelector(".text").focus({preventScroll: true});
}

function renderTabs() {
  const tabs = document.getElementById("tabs");
  tabs.replaceChildren(...[...chats.values()].map(s => el("button", {
    type: "button", class: s.user.id === active ? "active" : "",
    text: s.user.first_name + (s.unread ? ` (${s.unread})` : ""), "aria-label": `${s.user.first_name}, ${s.unread || 0} unread`,
    onclick: () => activate(s.user.id)})));
}

// One long poll for every open chat (browsers allow ~6 connections per host, so one per chat
// would starve button presses once several chats are open).
let feedVersion = 0;

async function watch() {
  for (;;) {
    try {
      const res = await api(`/changes?since=${feedVersion}&timeout=25`);
      feedVersion = res.version;
      for (const id of res.users) if (chats.has(id)) refresh(chats.get(id));
      if (res.users.length) loadUsers().catch(() => {});
    } catch (e) {
      await new Promise(r => setTimeout(r, 1500)); // the sandbox restarted: try again
    }
  }
}

async function refresh(state) {
  try {
    const chat = await api(`/users/${state.user.id}/chat`);
    if (state.alive && chat.version !== state.version) { state.version = chat.version; render(state, chat); }
  } catch (e) { toast(e.message, true); }
}

function render(state, chat) {
  const known = state.lastId ?? null;
  const fresh = chat.messages.filter(m => m.from_bot && known !== null && m.message_id > known).length;
  state.lastId = chat.messages.length ? chat.messages[chat.messages.length - 1].message_id : known ?? 0;
  if (fresh && state.user.id !== active) { state.unread = (state.unread || 0) + fresh; renderTabs(); }
  state.user = chat.user;
  state.el.classList.toggle("blocked", chat.user.blocked);
  state.el.querySelector(".block").textContent = chat.user.blocked ? "Unblock bot" : "Block bot";
  const box = state.el.querySelector(".messages");
  box.replaceChildren(...chat.messages.map(m => bubble(state, m)));
  const kb = state.el.querySelector(".reply-keyboard");
  kb.hidden = !chat.keyboard;
  kb.replaceChildren(...(chat.keyboard || []).map(row => el("div", {class: "row"},
    ...row.map(label => el("button", {type: "button", text: label, onclick: () => sendText(state, label)})))));
  if (state.atBottom) box.scrollTop = box.scrollHeight;
}

function bubble(state, m) {
  const li = el("li", {class: "msg" + (m.from_bot ? " bot" : " me"), "data-message-id": m.message_id});
  if (m.photo) li.append(el("img", {src: m.photo, alt: m.caption || "photo", loading: "lazy"}));
  if (m.document) li.append(el("a", {class: "doc", href: m.document.url, target: "_blank", rel: "noopener",
                                     text: "📄 " + m.document.file_name}));
  if (m.voice) li.append(el("audio", {src: m.voice, controls: ""}));
  if (m.location) li.append(el("div", {text: `📍 ${m.location.latitude.toFixed(5)}, ${m.location.longitude.toFixed(5)}`}));
  if (m.invoice) li.append(invoice(state, m));
  if (m.payment) li.append(el("div", {text: `✅ Paid ${money(m.payment.total_amount, m.payment.currency)}`}));
  const body = m.text ?? m.caption;
  if (body !== null && body !== undefined) {
    const text = el("div", {class: "body"});
    // Bot text arrives as HTML the emulator rebuilt from Telegram's allowed tags only.
    if (m.from_bot && m.html) text.innerHTML = m.html; else text.textContent = body;
    li.append(text);
  }
  if (m.buttons && m.buttons.length) {
    li.append(el("div", {class: "inline-kb"}, ...m.buttons.map(row => el("div", {class: "row"},
      ...row.map(b => el("button", {type: "button", text: b.text, "data-callback": b.callback_data || "",
                                    onclick: (ev) => pressButton(state, m.message_id, b, ev.currentTarget)}))))));
  }
  const time = new Date(m.date * 1000).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
  li.append(el("span", {class: "meta", text: (m.edited ? "edited · " : "") + time}));
  return li;
}

function invoice(state, m) {
  const inv = m.invoice;
  const pay = el("button", {type: "button", class: "pay", text: inv.paid ? "Paid" : `Pay ${money(inv.total_amount, inv.currency)}`});
  pay.disabled = inv.paid;
  pay.addEventListener("click", async () => {
    pay.disabled = true;
    try {
      const res = await postJSON(`/users/${state.user.id}/pay`, {message_id: m.message_id});
      toast(res.paid ? "Payment sent" : `Payment refused: ${res.error}`, !res.paid);
    } catch (e) { toast(e.message, true); }
    pay.disabled = false;
  });
  return el("div", {class: "invoice"}, el("strong", {text: inv.title}), el("div", {text: inv.description}),
            el("span", {class: "amount", text: money(inv.total_amount, inv.currency)}), pay);
}

// A web_app button opens its page in a panel over the chat, as Telegram opens a Mini App,
// with initData the emulator signed in the URL's fragment.
async function openWebApp(state, messageId, button) {
  let url;
  try {
    url = (await postJSON(`/users/${state.user.id}/webapp`, {message_id: messageId, url: button.web_app.url})).url;
  } catch (e) { toast(e.message, true); return; }
  closeWebApp();
  const frame = el("iframe", {class: "webapp-frame", src: url, title: button.text, "data-testid": "webapp-frame"});
  const panel = el("div", {class: "webapp", role: "dialog", "aria-label": button.text, id: "webapp"},
    el("div", {class: "webapp-head"}, el("strong", {text: `${button.text} · ${state.user.first_name}`}),
       el("button", {type: "button", text: "✕ Close", "data-testid": "webapp-close", onclick: closeWebApp})),
    frame);
  document.body.append(panel);
}

function closeWebApp() {
  const panel = document.getElementById("webapp");
  if (panel) panel.remove();
}

async function pressButton(state, messageId, button, node) {
  if (button.web_app) { await openWebApp(state, messageId, button); return; }
  if (button.url) { window.open(button.url, "_blank", "noopener"); return; }
  node.disabled = true;
  try {
    const res = await postJSON(`/users/${state.user.id}/press`, {message_id: messageId, callback_data: button.callback_data});
    if (res.text) toast(res.text, res.show_alert);
    else if (!res.answered) toast("The bot did not answer this button.", true);
  } catch (e) { toast(e.message, true); }
  node.disabled = false;
}

async function sendText(state, text) {
  try { await postJSON(`/users/${state.user.id}/messages`, {text}); } catch (e) { toast(e.message, true); }
}

function wireComposer(state) {
  const form = state.el.querySelector(".composer");
  const input = form.querySelector(".text");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    state.atBottom = true;
    await sendText(state, text);
  });
  const file = form.querySelector(".file");
  file.addEventListener("change", async () => {
    const f = file.files[0];
    if (!f) return;
    let kind = form.querySelector(".file-kind").value;
    if (kind === "auto") kind = f.type.startsWith("image/") ? "photo" : f.type.startsWith("audio/") ? "voice" : "document";
    const data = new FormData();
    data.append(kind, f, f.name);
    const caption = input.value.trim();
    if (caption) data.append("caption", caption);
    try {
      await api(`/users/${state.user.id}/messages`, {method: "POST", body: data});
      input.value = "";
    } catch (e) { toast(e.message, true); }
    file.value = "";
  });
  form.querySelector(".location").addEventListener("click", () => shareLocation(state));
  form.querySelector(".menu").addEventListener("click", () => toggleMenu(state));
}

// The bot's commands (setMyCommands), in the user's language, like Telegram's Menu button.
async function toggleMenu(state) {
  const menu = state.el.querySelector(".command-menu");
  const button = state.el.querySelector(".composer .menu");
  if (!menu.hidden) { menu.hidden = true; button.setAttribute("aria-expanded", "false"); return; }
  let commands = [];
  try {
    commands = (await api(`/commands?language_code=${encodeURIComponent(state.user.language_code || "")}`)).commands;
  } catch (e) { toast(e.message, true); return; }
  menu.replaceChildren(...(commands.length ? commands.map(c => el("li", {}, el("button", {
    type: "button", onclick: () => { menu.hidden = true; button.setAttribute("aria-expanded", "false");
                                     sendText(state, "/" + c.command); }},
    el("span", {class: "cmd", text: "/" + c.command}), el("span", {text: c.description}))))
    : [el("li", {class: "none", text: "The bot has not published any commands."})]));
  menu.hidden = false;
  button.setAttribute("aria-expanded", "true");
}

async function shareLocation(state) {
  const send = (latitude, longitude) => postJSON(`/users/${state.user.id}/messages`, {location: {latitude, longitude}})
    .catch(e => toast(e.message, true));
  // Any point will do in a sandbox; an empty answer uses this device's position if it may.
  const answer = prompt("Location as latitude, longitude (empty: this device's position)", "52.5200, 13.4050");
  if (answer === null) return;
  if (!answer.trim()) {
    if (!navigator.geolocation) { toast("This browser can't share its position.", true); return; }
    navigator.geolocation.getCurrentPosition(p => send(p.coords.latitude, p.coords.longitude),
                                             () => toast("The position is not available.", true));
    return;
  }
  const [lat, lon] = answer.split(",").map(Number);
  if (Number.isFinite(lat) && Number.isFinite(lon)) send(lat, lon); else toast("Write it as: 52.52, 13.405", true);
}

async function toggleBlock(state) {
  try {
    await postJSON(`/users/${state.user.id}/${state.user.blocked ? "unblock" : "block"}`, {});
    loadUsers();
  } catch (e) { toast(e.message, true); }
}

if (window.matchMedia("(max-width: 720px)").matches) document.getElementById("new-user-box").open = false;
loadUsers().catch(e => toast("Cannot reach the sandbox: " + e.message, true));
watch();
