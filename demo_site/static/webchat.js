// Harbor & Pine web chat: Rasa's socket.io channel (credentials.yml), identity signed by the site.
(() => {
  "use strict";
  const config = window.HP_CHAT;
  const log = document.getElementById("log");
  const status = document.getElementById("status");
  const typing = document.getElementById("typing");
  const form = document.getElementById("form");
  const input = document.getElementById("text");
  const historyKey = config.sessionKey + ":log";
  const sessionId = localStorage.getItem(config.sessionKey) || (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
  localStorage.setItem(config.sessionKey, sessionId);
  let history = [];
  try { history = JSON.parse(localStorage.getItem(historyKey) || "[]"); } catch (e) { history = []; }
  let typingTimer = null;

  function remember(entry) {
    history.push(entry);
    localStorage.setItem(historyKey, JSON.stringify(history.slice(-200)));
  }
  function scroll() { log.scrollTop = log.scrollHeight; }
  function addText(role, text) {
    const div = document.createElement("div");
    div.className = "msg " + role;
    div.textContent = text;
    log.appendChild(div);
    scroll();
  }
  function addButtons(buttons, live) {
    const row = document.createElement("div");
    row.className = "buttons";
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", "Suggested replies");
    for (const b of buttons) {
      const btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = b.title;
      btn.disabled = !live;
      btn.addEventListener("click", () => { row.querySelectorAll("button").forEach((x) => { x.disabled = true; }); send(b.payload, b.title); });
      row.appendChild(btn);
    }
    log.appendChild(row);
    scroll();
  }
  function addCards(products) {
    const list = document.createElement("ul");
    list.className = "cards";
    list.setAttribute("aria-label", "Recommended products");
    list.style.listStyle = "none";
    list.style.padding = "0";
    for (const p of products) {
      const card = document.createElement("li");
      card.className = "card";
      const img = document.createElement("img");
      img.src = "/thumbnails/" + encodeURIComponent(p.category || "other") + "/" + encodeURIComponent(p.name) + ".svg";
      img.alt = "";
      const name = document.createElement("strong"); name.textContent = p.name;
      const price = document.createElement("span"); price.className = "price"; price.textContent = p.price;
      const why = document.createElement("span"); why.className = "why"; why.textContent = p.reason || "";
      card.append(img, name, price, why);
      list.appendChild(card);
    }
    log.appendChild(list);
    scroll();
  }
  function render(entry, live) {
    if (entry.kind === "text") addText(entry.role, entry.text);
    else if (entry.kind === "buttons") addButtons(entry.buttons, live);
    else if (entry.kind === "cards") addCards(entry.products);
  }
  function showTyping(on) {
    typing.hidden = !on;
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(() => { typing.hidden = true; }, 20000);
  }

  history.forEach((entry) => render(entry, false));

  if (typeof io === "undefined") {
    status.textContent = "The chat is unavailable (socket.io client missing: run `make webchat`).";
    input.disabled = true;
    return;
  }
  const socket = io(config.server, { transports: ["websocket"], reconnectionDelayMax: 5000 });
  socket.on("connect", () => {
    status.textContent = "Online";
    socket.emit("session_request", { session_id: sessionId });
  });
  socket.on("disconnect", () => { status.textContent = "Connection lost, reconnecting…"; });
  socket.on("connect_error", () => { status.textContent = "Cannot reach the assistant, retrying…"; });
  socket.on("bot_uttered", (m) => {
    showTyping(false);
    const entries = [];
    if (m.text) entries.push({ role: "bot", kind: "text", text: m.text });
    const buttons = m.quick_replies || m.buttons;
    if (buttons && buttons.length) entries.push({ role: "bot", kind: "buttons", buttons });
    const custom = m.custom || (m.attachment && m.attachment.payload);
    if (custom && custom.type === "product_cards" && Array.isArray(custom.products)) entries.push({ role: "bot", kind: "cards", products: custom.products });
    for (const entry of entries) { remember(entry); render(entry, true); }
  });

  function send(message, shown) {
    const entry = { role: "user", kind: "text", text: shown || message };
    remember(entry);
    render(entry, true);
    showTyping(true);
    // socket.io buffers this while disconnected and sends it on reconnect.
    socket.emit("user_uttered", { message, session_id: sessionId, metadata: config.identity || {} });
  }
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (text) send(text);
    input.value = "";
    input.focus();
  });
})();
