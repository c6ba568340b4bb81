// smsgate console: the few things a page does without a reload. No framework, no build step.
"use strict";

function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

// the live segment and encoding counter of the compose form, asked of the gateway itself so
// that it counts as the gateway will (GSM-7 escapes, UCS-2, the ~~~ comment)
function segmentCounter(textarea) {
  const counter = document.getElementById("counter");
  const update = debounce(async () => {
    const url = textarea.dataset.preview + "?text=" + encodeURIComponent(textarea.value);
    const answer = await fetch(url, { credentials: "same-origin" });
    const size = await answer.json();
    if (!answer.ok) { counter.textContent = size.error; return; }
    counter.textContent = `${size.characters} characters · ${size.encoding.toUpperCase()} · ` +
      `${size.segments} segment${size.segments === 1 ? "" : "s"}` +
      (size.comment ? " · the text after ~~~ is a comment, not sent" : "");
  }, 200);
  textarea.addEventListener("input", update);
  update();
}

// a part of the page fetched again every few seconds (the dashboard's figures and chart)
function refresh(element) {
  const load = async () => {
    if (document.hidden) return;
    const answer = await fetch(element.dataset.refresh, { credentials: "same-origin" });
    if (answer.ok) element.innerHTML = await answer.text();  // our own escaped HTML
  };
  setInterval(load, 5000);
}

// a bulk send's progress, polled until it is finished
function bulkProgress(element) {
  const bar = document.getElementById("bulk-progress");
  const figures = document.getElementById("bulk-figures");
  const errors = document.getElementById("bulk-errors");
  const poll = async () => {
    const answer = await fetch(element.dataset.progress, { credentials: "same-origin" });
    if (!answer.ok) return;
    const job = await answer.json();
    bar.max = job.total; bar.value = job.done; bar.textContent = `${job.done} of ${job.total}`;
    figures.textContent = `${job.done} of ${job.total} rows done: ${job.accepted} accepted, ` +
      `${job.errors} refused` + (job.finished ? ". Finished." : "");
    errors.replaceChildren(...job.rows.map((row) => {
      const item = document.createElement("li");
      item.textContent = `line ${row.line}: ${row.reason}`;
      return item;
    }));
    if (!job.finished) setTimeout(poll, 500);
  };
  poll();
}

document.addEventListener("DOMContentLoaded", () => {
  const text = document.querySelector("textarea[data-preview]");
  if (text) segmentCounter(text);
  document.querySelectorAll("[data-refresh]").forEach(refresh);
  const bulk = document.querySelector("[data-progress]");
  if (bulk) bulkProgress(bulk);
  document.querySelectorAll("select[data-autosubmit]").forEach((select) =>
    select.addEventListener("change", () => select.form.submit()));
});
