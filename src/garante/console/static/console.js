// Progressive enhancement for the console's forms; every page works without it.
"use strict";

// Order forms: show the "required clauses" and "exempts" groups only for the effect they
// belong to. Without script both stay visible, each saying which effect it is for.
function followEffect(select) {
  const form = select.form;
  const update = () => {
    for (const group of form.querySelectorAll("[data-for-effect]")) {
      group.hidden = group.dataset.forEffect !== select.value;
    }
  };
  select.addEventListener("change", update);
  update();
}

function pemToDer(pem) {
  const body = pem
    .replace(/-----BEGIN [A-Z ]+-----/, "")
    .replace(/-----END [A-Z ]+-----/, "")
    .replace(/\s+/g, "");
  return Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
}

function toBase64(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

// Sign the canonical statement with an Ed25519 key read from a local PEM file. The key is read
// by this page only: the file input has no name, so the form never sends it.
async function signStatement(file, message) {
  const der = pemToDer(await file.text());
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  if (subtle) {
    try {
      const key = await subtle.importKey("pkcs8", der, { name: "Ed25519" }, false, ["sign"]);
      return new Uint8Array(await subtle.sign({ name: "Ed25519" }, key, message));
    } catch (error) {
      if (!error || error.name !== "NotSupportedError") throw error;
    }
  }
  // An Ed25519 PKCS#8 key (RFC 8410) ends with its 32-byte seed.
  const [hashes, ed] = await Promise.all([
    import("/static/vendor/noble-hashes/sha2.js"),
    import("/static/vendor/noble-ed25519/index.js"),
  ]);
  ed.hashes.sha512 = hashes.sha512;
  return ed.sign(message, der.slice(der.length - 32));
}

function setUpSigner(box) {
  box.hidden = false;
  const input = box.querySelector("input[type=file]");
  const button = box.querySelector("[data-sign-button]");
  const status = box.querySelector("[data-sign-status]");
  const target = box.closest("form").querySelector("textarea[name=signature]");
  const statement = document.getElementById("statement-canonical").textContent;
  button.addEventListener("click", async () => {
    if (!input.files || !input.files.length) {
      status.textContent = input.labels[0].textContent + ": ?";
      input.focus();
      return;
    }
    try {
      const signature = await signStatement(input.files[0], new TextEncoder().encode(statement));
      target.value = toBase64(signature);
      status.textContent = "\u2713 " + status.dataset.signedText;
      status.dataset.signed = "true";
    } catch (error) {
      status.textContent = "\u2717 " + (error && error.message ? error.message : String(error));
      status.dataset.signed = "false";
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("[data-effect-select]")) followEffect(select);
  for (const box of document.querySelectorAll("[data-signer]")) setUpSigner(box);
});
