// Kurator dashboard: a Telegram Mini App without Telegram's script (feature detection only).
"use strict";
(function () {
  const CONFIG = JSON.parse(document.getElementById("config").textContent);
  const T = CONFIG.texts;
  const CODES = ["n", "s", "a", "r", "o", "-"];
  const GLYPH = { n: "", s: "…", a: "✓", r: "↩", o: "!", "-": "·" };
  const $ = (id) => document.getElementById(id);
  const el = (tag, props, ...children) => {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    for (const child of children) if (child != null) node.append(child);
    return node;
  };
  const cls = (code) => (code === "-" ? "c-na" : "c-" + code);

  // --- Telegram: initData and theme from the URL fragment (as Telegram passes them) ---------
  const hash = new URLSearchParams(location.hash.slice(1));
  const tg = window.Telegram && window.Telegram.WebApp;
  // MAX passes its signed launch data the same way, as `WebAppData` (docs/max.md).
  const maxApp = window.WebApp;
  let initData = (tg && tg.initData) || hash.get("tgWebAppData") ||
    (maxApp && maxApp.initData) || hash.get("WebAppData") || "";
  try {
    if (initData) sessionStorage.setItem("kurator.initData", initData);
    else initData = sessionStorage.getItem("kurator.initData") || "";
  } catch (e) { /* storage may be off; the fragment still works */ }

  function postEvent(type, data) {
    const payload = JSON.stringify(data || {});
    try {
      if (window.TelegramWebviewProxy) window.TelegramWebviewProxy.postEvent(type, payload);
      else if (window.external && "notify" in window.external)
        window.external.notify(JSON.stringify({ eventType: type, eventData: data || {} }));
      else if (window.parent !== window)
        window.parent.postMessage(JSON.stringify({ eventType: type, eventData: data || {} }), "*");
    } catch (e) { /* outside Telegram: nothing to tell */ }
  }

  function applyTheme(params) {
    const root = document.documentElement;
    if (params) {
      for (const [key, value] of Object.entries(params))
        root.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), value);
    }
    const bg = (params && params.bg_color) || null;
    let dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    if (bg && /^#[0-9a-f]{6}$/i.test(bg)) {
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(bg.slice(i, i + 2), 16));
      dark = 0.299 * r + 0.587 * g + 0.114 * b < 128;
    }
    root.dataset.scheme = dark ? "dark" : "light";
  }
  let theme = null;
  try { theme = JSON.parse(hash.get("tgWebAppThemeParams") || "null"); } catch (e) { theme = null; }
  applyTheme((tg && tg.themeParams && Object.keys(tg.themeParams).length ? tg.themeParams : theme));
  window.Telegram = window.Telegram || {};
  if (!window.Telegram.WebView) {
    window.Telegram.WebView = {
      receiveEvent(type, data) { if (type === "theme_changed" && data) applyTheme(data.theme_params); },
    };
  }
  window.addEventListener("message", (event) => {
    try {
      const msg = JSON.parse(event.data);
      if (msg.eventType === "theme_changed") applyTheme(msg.eventData.theme_params);
    } catch (e) { /* not ours */ }
  });

  // --- API ----------------------------------------------------------------------------------
  // initData opens only the exchange for a session (api/session); every other call carries the
  // session's token. The token is kept with the initData it came from, so a reload goes on with
  // it and another person's address opened in the same tab starts afresh.
  let token = "";
  try {
    const kept = JSON.parse(sessionStorage.getItem("kurator.session") || "null");
    if (kept && kept.from === initData) token = kept.token;
  } catch (e) { /* storage may be off: the page exchanges at load */ }

  function failure(body, status, fallback) {
    const error = new Error((body && body.error) || fallback);
    error.status = status;
    return error;
  }

  let exchanging = null;
  function exchange() {
    // Calls that find the session over at the same moment share one exchange.
    exchanging = exchanging || (async () => {
      const response = await fetch(CONFIG.base + "api/session", {
        method: "POST",
        headers: { Authorization: "tma " + initData },
      }).catch(() => null);
      if (!response) throw new Error(T.offline);
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw failure(body, response.status, T.unauthorized);
      token = body.token;
      try { sessionStorage.setItem("kurator.session", JSON.stringify({ token, from: initData })); }
      catch (e) { /* kept in memory only */ }
    })().finally(() => { exchanging = null; });
    return exchanging;
  }

  async function api(path, options) {
    const call = () => fetch(CONFIG.base + "api/" + path, {
      ...(options || {}),
      headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
    }).catch(() => null);
    if (!token) await exchange();
    let response = await call();
    if (response && response.status === 401) {
      // The session lapsed (an hour idle, a working day in all): the signed data may still
      // be fresh enough for a new one; if not, the person reopens the panel from the chat.
      try { await exchange(); } catch (error) {
        throw error.status === 401 ? failure(null, 401, T.session_expired) : error;
      }
      response = await call();
    }
    if (!response) throw new Error(T.offline);
    const body = await response.json().catch(() => ({ error: T.offline }));
    if (!response.ok) throw failure(body, response.status, T.offline);
    return body;
  }

  // --- state kept in the URL's query (the fragment stays Telegram's) ------------------------
  const query = new URLSearchParams(location.search);
  const state = {
    plan: query.get("plan") || "",
    direction: query.get("direction") || "",
    status: query.get("status") || "",
    q: query.get("q") || "",
  };
  function keepInUrl() {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(state)) if (value) params.set(key, value);
    const search = params.toString();
    history.replaceState(null, "", location.pathname + (search ? "?" + search : "") + location.hash);
  }

  let plans = [];
  let page = null; // the last matrix answer (columns, totals)
  let rows = [];
  let loading = 0;

  function message(text) { $("message").textContent = text || ""; }

  function fillFilters() {
    const plan = $("plan");
    plan.replaceChildren(...plans.map((p) => el("option", { value: String(p.id), textContent: p.title })));
    if (!plans.some((p) => String(p.id) === state.plan)) state.plan = plans.length ? String(plans[0].id) : "";
    plan.value = state.plan;
    const chosen = plans.find((p) => String(p.id) === state.plan);
    $("plan-title").textContent = chosen ? chosen.title : "";  // whole, wrapped: a select cuts it
    plan.hidden = plans.length < 2;
    const directions = chosen ? chosen.directions : [];
    $("direction").replaceChildren(
      el("option", { value: "", textContent: T.all_directions }),
      ...directions.map((d) => el("option", { value: String(d.id), textContent: d.code + ". " + d.title })),
    );
    $("direction").hidden = directions.length === 0;
    if (!directions.some((d) => String(d.id) === state.direction)) state.direction = "";
    $("direction").value = state.direction;
    $("status").replaceChildren(
      el("option", { value: "", textContent: T.any_status }),
      ...CODES.filter((c) => c !== "-").map((c) => el("option", { value: c, textContent: T["legend_" + c] })),
    );
    $("status").value = state.status;
    $("overdue").checked = state.status === "o";
    $("search").value = state.q;
  }

  function legend(totals) {
    $("legend").replaceChildren(
      ...CODES.map((code) => {
        const count = code === "-" ? "" : " " + ((totals && totals[code]) || 0);
        const button = el("button", { type: "button" }, el("span", { className: "swatch " + cls(code) }),
          T["legend_" + code] + count);
        button.dataset.code = code;
        button.setAttribute("aria-pressed", String(state.status === code));
        if (code !== "-") button.addEventListener("click", () => setStatus(state.status === code ? "" : code));
        return button;
      }),
    );
  }

  function setStatus(code) {
    state.status = code;
    $("status").value = code;
    $("overdue").checked = code === "o";
    reload();
  }

  async function reload() {
    keepInUrl();
    rows = [];
    await loadMore(true);
  }

  async function loadMore(fresh) {
    if (!state.plan) return;
    const ticket = ++loading;
    const params = new URLSearchParams({ plan: state.plan, offset: String(fresh ? 0 : rows.length) });
    if (state.direction) params.set("direction", state.direction);
    if (state.status) params.set("status", state.status);
    if (state.q) params.set("q", state.q);
    if (fresh) message(T.loading);
    let answer;
    try {
      answer = await api("matrix?" + params.toString());
    } catch (error) {
      if (ticket === loading) message(error.message);
      return;
    }
    if (ticket !== loading) return; // a newer filter won
    page = answer;
    rows = fresh ? answer.rows : rows.concat(answer.rows);
    message(answer.schools === 0 ? T.nothing : "");
    legend(answer.totals);
    render();
    document.body.dataset.ready = "1";
  }

  function render() {
    const list = page.view === "school";
    $("matrix").hidden = list || rows.length === 0;
    $("list").hidden = !list || rows.length === 0;
    if (list) renderList(); else renderMatrix();
    $("shown").textContent = T.schools_shown.replace("{shown}", rows.length).replace("{total}", page.schools);
    $("more").hidden = rows.length >= page.schools;
  }

  function renderMatrix() {
    const columns = page.columns;
    const grouped = columns.some((c) => c.group);
    const numbers = el("tr", { className: grouped ? "numbers" : "numbers single" });
    const groups = el("tr", { className: "groups" });
    const corner = el("th", { className: "school", rowSpan: grouped ? 2 : 1, textContent: T.school });
    const sum = el("th", { className: "sum", rowSpan: grouped ? 2 : 1, textContent: T.total });
    const firsts = new Set();
    columns.forEach((column, index) => {
      if (index === 0 || column.group !== columns[index - 1].group) {
        let span = 1;
        while (index + span < columns.length && columns[index + span].group === column.group) span++;
        groups.append(el("th", { colSpan: span, title: column.group, textContent: column.group || "" }));
        firsts.add(index);
      }
      // The number and a short name, upright in a narrow column; the whole name on the card.
      numbers.append(el("th", { title: column.title },
        el("span", { className: "name", textContent: (column.number ? column.number + " " : "") + column.short })));
    });
    if (grouped) { groups.prepend(corner); groups.append(sum); } else { numbers.prepend(corner); numbers.append(sum); }
    const body = el("tbody");
    for (const row of rows) {
      const line = el("tr");
      line.append(el("td", { className: "school", title: row.name, textContent: row.short }));
      for (let i = 0; i < columns.length; i++) {
        const code = row.cells[i];
        const cell = el("td", { className: "c " + cls(code) + (firsts.has(i) ? " first" : "") });
        cell.dataset.code = code;
        if (state.status && code !== state.status && code !== "-") cell.classList.add("dim");
        if (code === "-") cell.append(el("span", { textContent: GLYPH["-"] }));
        else {
          const due = row.moved[String(i)] || columns[i].due;
          const label = row.name + " — " + columns[i].title + " — " + T["legend_" + code] + (due ? " (" + T.due + " " + day(due) + ")" : "");
          const button = el("button", { type: "button", title: label, textContent: GLYPH[code] });
          button.setAttribute("aria-label", label);
          button.addEventListener("click", () => openCard(columns[i].id, row.id));
          cell.append(button);
        }
        line.append(cell);
      }
      line.append(el("td", { className: "sum", textContent: row.totals.a + "/" + row.totals.total }));
      body.append(line);
    }
    const foot = el("tr", {}, el("td", { className: "school", textContent: T.total + ", " + T.done_of }));
    page.columnTotals.forEach((t) => foot.append(el("td", { textContent: t.a + "/" + t.total })));
    foot.append(el("td", { className: "sum", textContent: page.totals.a + "/" + page.totals.total }));
    const head = grouped ? el("thead", {}, groups, numbers) : el("thead", {}, numbers);
    const table = el("table", {}, head, body, el("tfoot", {}, foot));
    $("matrix").replaceChildren(table);
  }

  function renderList() {
    const parts = [];
    for (const row of rows) {
      parts.push(el("h2", { textContent: row.name }));
      let group = null;
      page.columns.forEach((column, i) => {
        const code = row.cells[i];
        if (code === "-" || (state.status && code !== state.status)) return;
        if (column.group !== group) {
          group = column.group;
          if (group) parts.push(el("h3", { textContent: group }));
        }
        const due = row.moved[String(i)] || column.due;
        const button = el("button", { type: "button", className: "item" },
          el("span", { className: "chip swatch " + cls(code), textContent: T["legend_" + code] }),
          el("span", {}, el("span", { textContent: column.title }), due ? el("div", { className: "due", textContent: T.due + ": " + day(due) }) : null));
        button.dataset.code = code;
        button.addEventListener("click", () => openCard(column.id, row.id));
        parts.push(button);
      });
    }
    $("list").replaceChildren(...parts);
  }

  // "10.11" inside the school year of today, "30.11.2019" outside it: the bot's one rule
  // (core/when.py needs_year), applied to the span the matrix answer carries.
  function day(iso) {
    const [y, m, d] = iso.split("-");
    const span = page ? page.schoolYear : null;
    return span && iso >= span[0] && iso <= span[1] ? d + "." + m : d + "." + m + "." + y;
  }

  // --- the card -----------------------------------------------------------------------------
  async function openCard(activity, school, news) {
    if (!news) $("card").replaceChildren(el("p", { textContent: T.loading }));
    $("sheet").hidden = false;
    let card;
    try {
      card = await api("card?activity=" + activity + "&school=" + school);
    } catch (error) {
      $("card").replaceChildren(el("p", { textContent: error.message }));
      return;
    }
    const code = card.code;
    const parts = [
      el("h2", { textContent: card.title }),
      news ? el("div", { className: "notice", id: "review-notice", textContent: news }) : null,
      el("div", { className: "meta", textContent: card.school }),
      card.direction ? el("div", { className: "meta", textContent: card.direction }) : null,
      el("span", { className: "status swatch " + cls(code), textContent: card.statusName }),
    ];
    if (card.due) parts.push(el("div", { textContent: T.due + ": " + day(card.due) + (card.dueTime ? " " + card.dueTime : "") + (card.planDue ? " (" + T.plan_due + " " + day(card.planDue) + ")" : "") + (card.dueNote ? " — " + card.dueNote : "") }));
    else if (card.period) parts.push(el("div", { textContent: T.due + ": " + card.period }));
    if (card.expected) parts.push(el("div", { className: "meta", textContent: card.expected }));
    if (card.comment || card.files.length) {
      parts.push(el("h3", { textContent: T.evidence }));
      if (card.submittedBy || card.submittedAt) parts.push(el("div", { className: "meta", textContent: T.sent_by + ": " + [card.submittedBy, card.submittedAt].filter(Boolean).join(", ") }));
      if (card.comment) parts.push(el("div", { textContent: T.comment + ": " + card.comment }));
      if (card.files.length) {
        parts.push(el("ul", {}, ...card.files.map((f) => el("li", {},
          el("a", { href: f.url, textContent: f.name, download: f.name }),
          f.missing ? " (" + T.missing_copy + ")" : ""))));
      }
    }
    if (card.reviewComment) parts.push(el("div", { textContent: T.review_comment + ": " + card.reviewComment }));
    if (card.canReview) parts.push(reviewBox(card, activity, school));
    parts.push(el("h3", { textContent: card.timesZone ? T.history + " (" + T.times + " " + card.timesZone + ")" : T.history }));
    parts.push(card.history.length ? el("ul", {}, ...card.history.map((h) => el("li", { textContent: h }))) : el("div", { className: "meta", textContent: T.no_history }));
    $("card").replaceChildren(...parts.filter((part) => part != null));
  }

  function reviewBox(card, activity, school) {
    const comment = el("textarea", { id: "review-comment", placeholder: T.return_comment });
    const notice = el("div", { className: "notice", id: "review-notice" });
    const decide = async (accept) => {
      if (!accept && !comment.value.trim()) { notice.textContent = T.return_needs_comment; comment.focus(); return; }
      box.querySelectorAll("button").forEach((b) => { b.disabled = true; });
      try {
        await api("review", { method: "POST", body: JSON.stringify({ submission: card.submission, accept, comment: comment.value }) });
      } catch (error) {
        notice.textContent = T.error.replace("{message}", error.message);
        box.querySelectorAll("button").forEach((b) => { b.disabled = false; });
        return;
      }
      notice.textContent = accept ? T.accepted : T.returned;
      // The open card shows the decision in place: its status, no buttons left to press.
      await Promise.all([openCard(activity, school, notice.textContent), refreshAfterDecision()]);
    };
    const accept = el("button", { type: "button", id: "accept", textContent: T.accept });
    const back = el("button", { type: "button", id: "return", className: "secondary", textContent: T.return });
    accept.addEventListener("click", () => decide(true));
    back.addEventListener("click", () => decide(false));
    const box = el("div", {}, comment, el("div", { className: "actions" }, accept, back), notice);
    return box;
  }

  async function refreshAfterDecision() {
    const keep = rows.length;
    const params = new URLSearchParams({ plan: state.plan, offset: "0", limit: String(Math.max(keep, 1)) });
    if (state.direction) params.set("direction", state.direction);
    if (state.status) params.set("status", state.status);
    if (state.q) params.set("q", state.q);
    try {
      page = await api("matrix?" + params.toString());
      rows = page.rows;
      legend(page.totals);
      render();
    } catch (error) { message(error.message); }
  }

  // --- wiring -------------------------------------------------------------------------------
  $("close").textContent = T.close;
  $("close").addEventListener("click", () => { $("sheet").hidden = true; });
  $("sheet").addEventListener("click", (event) => { if (event.target === $("sheet")) $("sheet").hidden = true; });
  $("overdue-label").textContent = T.overdue_only;
  $("search").placeholder = T.search;
  $("more").textContent = T.more;
  $("more").addEventListener("click", () => loadMore(false));
  $("plan").addEventListener("change", () => { state.plan = $("plan").value; state.direction = ""; fillFilters(); reload(); });
  $("direction").addEventListener("change", () => { state.direction = $("direction").value; reload(); });
  $("status").addEventListener("change", () => setStatus($("status").value));
  $("overdue").addEventListener("change", () => setStatus($("overdue").checked ? "o" : ""));
  let typing = null;
  $("search").addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => { state.q = $("search").value.trim(); reload(); }, 250);
  });
  $("matrix").addEventListener("scroll", () => {
    const box = $("matrix");
    if (!$("more").hidden && box.scrollTop + box.clientHeight > box.scrollHeight - 200 && loadingMore === null) {
      loadingMore = loadMore(false).finally(() => { loadingMore = null; });
    }
  });
  let loadingMore = null;

  async function start() {
    postEvent("web_app_ready");
    postEvent("web_app_expand");
    if (!initData && !token) { message(T.unauthorized); return; }
    message(T.loading);
    try {
      plans = (await api("plans")).plans;
    } catch (error) {
      message(error.message);
      return;
    }
    if (!plans.length) { message(T.no_plans); return; }
    fillFilters();
    await reload();
  }
  start();
})();
