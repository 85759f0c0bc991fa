// The audit page's "verify in this browser" panel: fetch proofs, check them with verify.js.
import {
  VerificationError,
  b64decode,
  checkEntry,
  hex,
  openCheckpoint,
  parseVerifierKey,
  verifyConsistency,
} from "./verify.js";

const data = JSON.parse(document.getElementById("audit-data").textContent);
const messages = JSON.parse(document.getElementById("audit-messages").textContent);
const result = document.getElementById("verify-result");
const keyInput = document.getElementById("log-key");
const indexInput = document.getElementById("verify-index");
const oldSelect = document.getElementById("verify-old");
const button = document.getElementById("verify-button");

function say(key, values = {}) {
  return (messages[key] || key).replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
}

function line(list, ok, text) {
  const item = document.createElement("li");
  item.className = ok ? "check-ok" : "check-fail";
  const mark = document.createElement("span");
  mark.setAttribute("aria-hidden", "true");
  mark.textContent = ok ? "\u2713 " : "\u2717 ";
  item.append(mark, text);
  list.append(item);
}

async function fetchJson(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  const type = response.headers.get("content-type") || "";
  if (!type.includes("application/json")) {
    throw new VerificationError(`${url}: HTTP ${response.status}, not JSON (signed out?)`);
  }
  const body = await response.json();
  if (!response.ok) throw new VerificationError(`${body.code}: ${body.message}`);
  return body;
}

function memoryKey(key) {
  return `garante.checkpoint.${key.name}+${hex(key.keyId)}`;
}

function oldCheckpointNote(key) {
  const choice = oldSelect ? oldSelect.value : "remembered";
  if (choice === "remembered") {
    const remembered = localStorage.getItem(memoryKey(key));
    if (remembered) return remembered;
    const previous = data.previous || [];
    return previous.length ? previous[previous.length - 1].note : null;
  }
  const found = (data.previous || []).find((c) => String(c.size) === choice);
  return found ? found.note : null;
}

async function verify(index) {
  const list = document.createElement("ul");
  const verdict = document.createElement("p");
  verdict.className = "verdict";
  verdict.textContent = say("working");
  result.replaceChildren(verdict, list);
  result.dataset.verdict = "working";
  try {
    const key = await parseVerifierKey(keyInput.value);
    const checkpoint = await openCheckpoint(data.checkpoint, key);
    line(list, true, say("signature", { name: key.name, engine: checkpoint.engine }));
    if (index !== null) {
      const served = await fetchJson(`/audit/inclusion.json?index=${index}&size=${checkpoint.size}`);
      const hashes = await checkEntry(index, served.entry, served, checkpoint);
      line(list, true, say("leaf", { index }));
      line(list, true, say("inclusion", { index, size: checkpoint.size, n: hashes }));
      const oldNote = oldCheckpointNote(key);
      if (oldNote) {
        const old = await openCheckpoint(oldNote, key);
        let proof = [];
        if (old.size > checkpoint.size) {
          throw new VerificationError(
            `this browser saw a tree of size ${old.size}; the log now shows ${checkpoint.size}: it shrank`,
          );
        }
        if (old.size > 0 && old.size < checkpoint.size) {
          const served = await fetchJson(`/audit/consistency.json?old=${old.size}&new=${checkpoint.size}`);
          proof = served.proof.map((p, i) => b64decode(p, `proof[${i}]`));
        }
        await verifyConsistency(old.size, checkpoint.size, old.root, checkpoint.root, proof);
        if (old.size === checkpoint.size) {
          line(list, true, say("same", { size: checkpoint.size }));
        } else {
          line(list, true, say("consistency", { old: old.size, new: checkpoint.size, n: proof.length }));
        }
      } else {
        line(list, true, say("no_old"));
      }
      localStorage.setItem(memoryKey(key), data.checkpoint);
      line(list, true, say("remembered", { size: checkpoint.size }));
    }
    verdict.textContent = say("verified");
    verdict.className = "verdict ok";
    result.dataset.verdict = "verified";
  } catch (error) {
    line(list, false, error instanceof Error ? error.message : String(error));
    verdict.textContent = say("failed");
    verdict.className = "verdict fail";
    result.dataset.verdict = "failed";
  }
}

if (button && data.checkpoint) {
  button.disabled = false;
  button.addEventListener("click", () => {
    verify(indexInput ? Number(indexInput.value) : null);
  });
}
for (const rowButton of document.querySelectorAll("[data-verify-index]")) {
  rowButton.disabled = false;
  rowButton.addEventListener("click", () => {
    const index = Number(rowButton.dataset.verifyIndex);
    if (indexInput) indexInput.value = String(index);
    document.getElementById("verify").scrollIntoView({ block: "start" });
    verify(index);
  });
}
