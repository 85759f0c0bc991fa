// Passkeys and security keys (WebAuthn): registering one, and signing a statement with one.
// The challenge an order's assertion answers is never random: it is the SHA-256 of the
// statement's canonical bytes, which the server put in data-challenge, so the assertion says
// which statement it signs. Nothing here is needed to use the console otherwise.
"use strict";

function fromBase64url(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(base64 + "===".slice((base64.length + 3) % 4)), (c) =>
    c.charCodeAt(0),
  );
}

function toBase64url(buffer) {
  let s = "";
  for (const b of new Uint8Array(buffer)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function ids(text) {
  return text
    .split(" ")
    .filter(Boolean)
    .map((id) => ({ type: "public-key", id: fromBase64url(id) }));
}

function failed(status, error) {
  status.textContent = "\u2717 " + (error && error.message ? error.message : String(error));
  status.dataset.state = "failed";
}

// Sign: the authenticator signs the statement's hash; the form goes with the assertion.
function setUpPasskeySigner(box) {
  if (!window.PublicKeyCredential) return;
  box.hidden = false;
  const form = box.closest("form");
  const button = box.querySelector("[data-passkey-button]");
  const status = box.querySelector("[data-passkey-status]");
  button.addEventListener("click", async () => {
    try {
      const credential = await navigator.credentials.get({
        publicKey: {
          challenge: fromBase64url(box.dataset.challenge),
          allowCredentials: ids(box.dataset.credentials),
          userVerification: "preferred",
          timeout: 120000,
        },
      });
      const response = credential.response;
      const parts = {
        credential_id: toBase64url(credential.rawId),
        authenticator_data: toBase64url(response.authenticatorData),
        client_data_json: toBase64url(response.clientDataJSON),
        signature: toBase64url(response.signature),
      };
      for (const [name, value] of Object.entries(parts)) {
        form.querySelector(`input[name=passkey_${name}]`).value = value;
      }
      const pasted = form.querySelector("textarea[name=signature]");
      if (pasted) {
        pasted.required = false;
        pasted.value = "";
      }
      status.dataset.state = "signed";
      form.requestSubmit();
    } catch (error) {
      failed(status, error);
    }
  });
}

// Register: the authenticator makes a credential for this console; the server checks it and
// shows the statement that registers it.
function setUpPasskeyCreator(form) {
  const button = form.querySelector("[data-passkey-create-button]");
  const status = form.querySelector("[data-passkey-status]");
  if (!window.PublicKeyCredential) return;
  button.disabled = false;
  button.addEventListener("click", async () => {
    const data = form.dataset;
    try {
      const credential = await navigator.credentials.create({
        publicKey: {
          rp: { id: data.rpId, name: "Garante" },
          user: { id: fromBase64url(data.userId), name: data.userName, displayName: data.userName },
          challenge: fromBase64url(data.challenge),
          pubKeyCredParams: [
            { type: "public-key", alg: -7 },
            { type: "public-key", alg: -8 },
            { type: "public-key", alg: -257 },
          ],
          authenticatorSelection: { residentKey: "preferred", userVerification: "preferred" },
          excludeCredentials: ids(data.exclude),
          attestation: "none",
          timeout: 120000,
        },
      });
      form.querySelector("input[name=challenge]").value = data.challenge;
      form.querySelector("input[name=client_data_json]").value = toBase64url(
        credential.response.clientDataJSON,
      );
      form.querySelector("input[name=attestation_object]").value = toBase64url(
        credential.response.attestationObject,
      );
      status.dataset.state = "created";
      form.submit();
    } catch (error) {
      failed(status, error);
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll("[data-passkey-sign]")) setUpPasskeySigner(box);
  for (const form of document.querySelectorAll("[data-passkey-create]")) setUpPasskeyCreator(form);
});
