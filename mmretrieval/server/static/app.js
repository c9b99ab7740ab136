// Search page for the mmretrieval HTTP API (no build step, no dependencies).
"use strict";

const $ = (id) => document.getElementById(id);
let authRequired = false;

function headers() {
  const key = localStorage.getItem("mmretrieval-api-key");
  return key ? { "X-API-Key": key } : {};
}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { ...headers(), ...(options.headers || {}) } });
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch (_) { /* not JSON */ }
    if (Array.isArray(detail)) detail = detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
    else if (typeof detail !== "string") detail = JSON.stringify(detail);
    throw new Error(`${response.status}: ${detail}`);
  }
  return response.json();
}

function showError(err) {
  $("error").textContent = err ? String(err.message || err) : "";
  $("error").hidden = !err;
}

// Images need the API key too when the server has one: fetch them and show blob URLs.
function setImage(img, url) {
  if (!authRequired) { img.src = url; return; }
  fetch(url, { headers: headers() }).then((r) => r.ok ? r.blob() : null)
    .then((blob) => { if (blob) img.src = URL.createObjectURL(blob); });
}

// The full-size image in a new tab (through the key, as a blob, when the server needs one).
function openImage(url) {
  if (!authRequired) { window.open(url, "_blank", "noopener"); return; }
  const tab = window.open("", "_blank");
  fetch(url, { headers: headers() }).then((r) => r.ok ? r.blob() : Promise.reject(new Error(`${r.status}`)))
    .then((blob) => { tab.location = URL.createObjectURL(blob); })
    .catch((err) => { tab.close(); showError(err); });
}

function fullSizeLink(url, label) {
  const link = el("a", { href: url, className: "full", textContent: label, title: "open the full image" });
  link.addEventListener("click", (event) => { event.preventDefault(); event.stopPropagation(); openImage(url); });
  return link;
}

function el(tag, props = {}, children = []) {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children) node.append(child);
  return node;
}

function card(hit) {
  if (hit.kind === "text") {
    return el("div", { className: "card text" }, [
      el("div", { className: "muted", textContent: `${hit.name} · ${hit.start}–${hit.end} · ${scoreLabel(hit)}` }),
      el("blockquote", { textContent: hit.text }),
    ]);
  }
  const img = el("img", { alt: hit.caption || hit.name, loading: "lazy" });
  setImage(img, hit.thumb_url + "?size=256");
  const figure = el("figure", { className: "card image", title: hit.caption || hit.path }, [
    img,
    el("figcaption", {}, [
      el("span", { className: "name", textContent: hit.name }),
      fullSizeLink(hit.image_url, "⤢"),
      el("span", { className: "score", textContent: scoreLabel(hit), title: scoreHelp(hit) }),
    ]),
  ]);
  if (hit.ocr_matches && hit.ocr_matches.length) figure.append(ocrWords(hit.ocr_matches));
  figure.dataset.id = hit.id;
  figure.dataset.name = hit.name;
  figure.addEventListener("click", () => showSimilar(hit, figure));
  return figure;
}

// What the number under a result is: its cosine to the query, or (image and OCR-text rankings fused) the fused score.
function scoreLabel(hit) {
  return hit.explanation ? `fused ${hit.score.toFixed(4)}` : `cosine ${hit.score.toFixed(3)}`;
}

function scoreHelp(hit) {
  if (!hit.explanation) return "cosine similarity to the query (higher is closer)";
  return "fused score of the rankings it is in: " +
    hit.explanation.map((e) => `${e.list} rank ${e.rank}, cosine ${e.cosine.toFixed(3)}`).join("; ");
}

// The lines OCR read in an image that match the query, their matching words marked.
function ocrWords(matches) {
  const box = el("div", { className: "ocr", title: "text read in the image (OCR)" });
  for (const line of matches) {
    const words = new Set(line.words.map((w) => w.toLowerCase()));
    const row = el("div");
    for (const part of line.text.split(/(\w+)/)) {
      row.append(words.has(part.toLowerCase()) ? el("mark", { textContent: part }) : document.createTextNode(part));
    }
    box.append(row);
  }
  return box;
}

// A new search or upload replaces what is on show: the answer of an earlier Ask and its similar images.
function showResults(title, hits, minScore = null) {
  $("hint").hidden = true;
  $("answer-section").hidden = true;
  $("similar-section").hidden = true;
  $("results-title").textContent = title;
  render("results", hits, minScore);
  $("results-section").hidden = false;
}

function render(gridId, hits, minScore = null) {
  const grid = $(gridId);
  grid.replaceChildren(...hits.map(card));
  const why = minScore > 0 ? ` Nothing scores above the relevance cut-off ${minScore}; set min score to 0 to see the nearest anyway.` : "";
  if (!hits.length) grid.append(el("p", { className: "muted empty", textContent: "Nothing found." + why }));
}

// The min score field: empty keeps the model's calibrated cut-off (no parameter sent).
function minScore() {
  const value = $("min-score").value.trim();
  return value === "" ? null : Number(value);
}

// A search is linkable: its query and options go in the page's URL (?q=...&passages=1&min_score=...).
function searchParams() {
  const params = new URLSearchParams({ q: $("q").value.trim() });
  if ($("passages").checked) params.set("passages", "1");
  if (minScore() !== null) params.set("min_score", String(minScore()));
  return params;
}

// The form as a URL says (opened from a link, or back/forward): returns the query, "" if none.
function formFromUrl() {
  const params = new URLSearchParams(window.location.search);
  $("q").value = params.get("q") || "";
  $("passages").checked = params.get("passages") === "1";
  $("min-score").value = params.get("min_score") || "";
  return $("q").value.trim();
}

async function search(event) {
  event.preventDefault();
  if (!$("q").value.trim()) return;
  const url = `?${searchParams()}`;
  if (url !== window.location.search) history.pushState(null, "", url);
  await runSearch();
}

let searchTicket = 0;  // the latest search: an older one's late answer is dropped

async function runSearch() {
  const q = $("q").value.trim();
  const ticket = ++searchTicket;
  showError(null);
  const kinds = $("passages").checked ? "image,text" : "image";
  try {
    const cut = minScore() === null ? "" : `&min_score=${minScore()}`;
    const data = await api(`/api/search?q=${encodeURIComponent(q)}&limit=12&kinds=${kinds}${cut}`);
    if (ticket !== searchTicket) return;
    showResults(`Results for “${q}”`, data.hits, data.min_score);
  } catch (err) { if (ticket === searchTicket) showError(err); }
}

// Back/forward: show the search that URL names, or the start page.
function followUrl() {
  if (formFromUrl()) { runSearch(); return; }
  searchTicket++;
  showError(null);
  for (const id of ["results-section", "similar-section", "answer-section"]) $(id).hidden = true;
  $("hint").hidden = false;
}

async function searchByImage() {
  const file = $("upload").files[0];
  if (!file) return;
  showError(null);
  const form = new FormData();
  form.append("file", file);
  try {
    const data = await api("/api/search/image?limit=12", { method: "POST", body: form });
    showResults(`Images like ${file.name}`, data.hits);
  } catch (err) { showError(err); }
  $("upload").value = "";
}

async function showSimilar(hit, figure) {
  showError(null);
  document.querySelectorAll(".card.selected").forEach((c) => c.classList.remove("selected"));
  figure.classList.add("selected");
  try {
    const data = await api(`/api/similar/${hit.id}?limit=12`);
    $("similar-title").textContent = `Similar to ${hit.name}`;
    render("similar", data.hits);
    $("similar-section").hidden = false;
    $("similar-section").scrollIntoView({ behavior: "smooth", block: "start" });
  } catch (err) { showError(err); }
}

async function ask() {
  const question = $("q").value.trim();
  if (!question) { $("q").focus(); return; }
  showError(null);
  $("hint").hidden = true;
  $("results-section").hidden = true;  // the answer and its sources take the place of earlier results
  $("similar-section").hidden = true;
  $("answer").textContent = "Retrieving…";
  $("sources").replaceChildren();
  $("answer-section").hidden = false;
  try {
    const data = await api("/api/rag", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question, limit: 8, max_images: 4, min_score: minScore() }),
    });
    $("answer").textContent = data.answer || data.note;
    $("fusion").textContent = `(${data.fusion})`;
    $("sources").replaceChildren(...data.items.map((item) => {
      const li = el("li");
      li.dataset.kind = item.kind;
      if (item.kind === "image") {
        const img = el("img", { alt: item.caption || item.path, title: "open the full image" });
        setImage(img, item.thumb_url + "?size=128");
        const link = fullSizeLink(item.image_url, "");
        link.append(img);
        li.append(link, `${item.path.split("/").pop()}${item.caption ? " — " + item.caption : ""}`);
      } else {
        li.append(`${item.path.split("/").pop()} (${item.start}–${item.end}): `, el("q", { textContent: item.text }));
      }
      li.append(el("span", { className: "muted", textContent: ` score ${item.score.toFixed(4)}, cosine ${item.cosine.toFixed(3)}` }));
      return li;
    }));
  } catch (err) { $("answer-section").hidden = true; showError(err); }
}

async function connect() {
  try {
    const health = await api("/api/health");
    authRequired = health.auth;
    $("key-row").hidden = !health.auth;
    $("status").textContent = `${health.points} items · model ${health.model || "none"}`;
    $("min-score").placeholder = health.min_score ? `${health.min_score} (model)` : "none";
    if (!health.points) {
      $("hint").textContent = "Nothing is indexed yet: run `mmretrieval index FOLDER` (photos, .txt and .md " +
        "documents), then reload this page.";
    }
    document.body.dataset.ready = "true";
    if (formFromUrl()) runSearch();  // opened from a link to a search
  } catch (err) { $("status").textContent = "server unreachable"; showError(err); }
}

document.addEventListener("DOMContentLoaded", () => {
  $("api-key").value = localStorage.getItem("mmretrieval-api-key") || "";
  $("api-key").addEventListener("change", (e) => localStorage.setItem("mmretrieval-api-key", e.target.value));
  $("search-form").addEventListener("submit", search);
  $("ask-btn").addEventListener("click", ask);
  $("upload").addEventListener("change", searchByImage);
  window.addEventListener("popstate", followUrl);
  connect();
});
