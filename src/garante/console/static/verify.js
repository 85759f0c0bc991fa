// The inspector's verifier, in the browser: RFC 9162 inclusion and consistency proofs, and
// checkpoints as signed notes (c2sp.org/signed-note, c2sp.org/tlog-checkpoint) with Ed25519.
//
// A port of src/garante/ledger/verify.py and the parts of ledger/note.py and
// ledger/checkpoint.py a verifier needs, with the same step numbering. Like verify.py it shares
// no code with the server that produced the proofs. Hashing and Ed25519 use WebCrypto; where a
// browser lacks them (an older browser, or a page outside a secure context) the vendored
// @noble/hashes and @noble/ed25519 modules are loaded instead.

export const HASH_SIZE = 32;
const SIG_ED25519 = 0x01;
const EM_DASH_PREFIX = "\u2014 ";
const encoder = new TextEncoder();

export class VerificationError extends Error {
  constructor(message) {
    super(message);
    this.name = "VerificationError";
  }
}

// -- bytes -----------------------------------------------------------------------------------

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function equal(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function b64encode(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

// Standard base64 (RFC 4648 s4), canonical only: decoding then encoding must give it back.
export function b64decode(text, what = "value") {
  let raw;
  try {
    raw = atob(text);
  } catch {
    throw new VerificationError(`${what} is not valid base64`);
  }
  const out = Uint8Array.from(raw, (c) => c.charCodeAt(0));
  if (b64encode(out) !== text) throw new VerificationError(`${what} is not canonical base64`);
  return out;
}

// -- primitives: WebCrypto first, the vendored noble modules otherwise ----------------------

const subtle = globalThis.crypto && globalThis.crypto.subtle;
let noble = null;

async function loadNoble() {
  if (noble === null) {
    const [hashes, ed] = await Promise.all([
      import("./vendor/noble-hashes/sha2.js"),
      import("./vendor/noble-ed25519/index.js"),
    ]);
    ed.hashes.sha512 = hashes.sha512;
    noble = { sha256: hashes.sha256, ed };
  }
  return noble;
}

export async function sha256(bytes) {
  if (subtle) return new Uint8Array(await subtle.digest("SHA-256", bytes));
  return (await loadNoble()).sha256(bytes);
}

// Verify an Ed25519 signature (RFC 8032). Returns the engine that checked it; throws if the
// signature does not verify.
export async function ed25519Verify(publicKey, signature, message, { forceFallback = false } = {}) {
  if (subtle && !forceFallback) {
    let key = null;
    try {
      key = await subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    } catch (error) {
      if (error && error.name !== "NotSupportedError") {
        throw new VerificationError(`the public key is not an Ed25519 key: ${error.message}`);
      }
    }
    if (key !== null) {
      if (!(await subtle.verify({ name: "Ed25519" }, key, signature, message))) {
        throw new VerificationError("the Ed25519 signature does not verify");
      }
      return "WebCrypto";
    }
  }
  const { ed } = await loadNoble();
  // zip215: false is the strict RFC 8032 check, as the server's cryptography library does.
  if (!ed.verify(signature, message, publicKey, { zip215: false })) {
    throw new VerificationError("the Ed25519 signature does not verify");
  }
  return "noble-ed25519";
}

// -- RFC 9162 s2.1.1 hashes -----------------------------------------------------------------

export function leafHash(entry) {
  return sha256(concat(Uint8Array.of(0), entry));
}

function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

function checkHashes(proof, named) {
  for (const [name, value] of Object.entries(named)) {
    if (value.length !== HASH_SIZE) {
      throw new VerificationError(`${name} must be ${HASH_SIZE} bytes, got ${value.length}`);
    }
  }
  proof.forEach((p, i) => {
    if (p.length !== HASH_SIZE) {
      throw new VerificationError(`proof[${i}] must be ${HASH_SIZE} bytes, got ${p.length}`);
    }
  });
}

// Sizes and indices are BigInt inside: JavaScript's bit operators stop at 32 bits.
const big = (n) => BigInt(n);

// RFC 9162 s2.1.3.2 steps 1-5: the root an inclusion proof leads to.
export async function rootFromInclusionProof(leaf, index, size, proof) {
  checkHashes(proof, { leaf_hash: leaf });
  // Step 1: the leaf must be inside the tree.
  if (index < 0 || index >= size) {
    throw new VerificationError(`leaf index ${index} is not in a tree of size ${size}`);
  }
  // Steps 2-3.
  let fn = big(index);
  let sn = big(size) - 1n;
  let r = leaf;
  // Step 4.
  for (const p of proof) {
    if (sn === 0n) {
      throw new VerificationError(
        `inclusion proof is too long: ${proof.length} hashes for leaf ${index} of ${size}`,
      );
    }
    if (fn & 1n || fn === sn) {
      // 4b: p is a left sibling.
      r = await nodeHash(p, r);
      while (fn !== 0n && !(fn & 1n)) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n; // 4c.
    sn >>= 1n;
  }
  // Step 5, first half: the path must reach the root.
  if (sn !== 0n) {
    throw new VerificationError(
      `inclusion proof is too short: ${proof.length} hashes for leaf ${index} of ${size}`,
    );
  }
  return r;
}

export async function verifyInclusion(leaf, index, size, proof, root) {
  checkHashes([], { root });
  const computed = await rootFromInclusionProof(leaf, index, size, proof);
  if (!equal(computed, root)) {
    throw new VerificationError(
      `inclusion proof for leaf ${index} of ${size} leads to root ${hex(computed)}, ` +
        `not the expected ${hex(root)}`,
    );
  }
}

// RFC 9162 s2.1.4.2 steps 1-7: the (old, new) roots a consistency proof leads to.
export async function rootsFromConsistencyProof(oldSize, newSize, oldRoot, proof) {
  checkHashes(proof, { old_root: oldRoot });
  if (!(0 < oldSize && oldSize < newSize)) {
    throw new VerificationError(
      `consistency proof needs 0 < old_size < new_size, got ${oldSize} and ${newSize}`,
    );
  }
  // Step 1.
  if (proof.length === 0) {
    throw new VerificationError("consistency proof is empty but the sizes differ");
  }
  const path = [...proof];
  // Step 2: a power-of-two old tree is a node of the new tree; the client has its hash.
  const old = big(oldSize);
  if ((old & (old - 1n)) === 0n) path.unshift(oldRoot);
  // Steps 3-4.
  let fn = old - 1n;
  let sn = big(newSize) - 1n;
  while (fn & 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  // Step 5.
  let fr = path[0];
  let sr = path[0];
  // Step 6.
  for (const c of path.slice(1)) {
    if (sn === 0n) {
      throw new VerificationError(
        `consistency proof is too long: ${proof.length} hashes for sizes ${oldSize} -> ${newSize}`,
      );
    }
    if (fn & 1n || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while (fn !== 0n && !(fn & 1n)) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  // Step 7, shape half: sn must reach 0.
  if (sn !== 0n) {
    throw new VerificationError(
      `consistency proof is too short: ${proof.length} hashes for sizes ${oldSize} -> ${newSize}`,
    );
  }
  return [fr, sr];
}

export async function verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof) {
  checkHashes(proof, { old_root: oldRoot, new_root: newRoot });
  if (oldSize < 0 || newSize < oldSize) {
    throw new VerificationError(
      `no consistency from size ${oldSize} to ${newSize}: a log never shrinks`,
    );
  }
  if (oldSize === newSize) {
    if (proof.length) throw new VerificationError("consistency proof between equal sizes must be empty");
    if (!equal(oldRoot, newRoot)) {
      throw new VerificationError(`two different roots for the same size ${oldSize}: the log forked`);
    }
    return;
  }
  if (oldSize === 0) {
    if (proof.length) throw new VerificationError("consistency proof from the empty tree must be empty");
    if (!equal(oldRoot, await sha256(new Uint8Array()))) {
      throw new VerificationError("old root for size 0 must be SHA-256 of the empty string");
    }
    return;
  }
  const [fr, sr] = await rootsFromConsistencyProof(oldSize, newSize, oldRoot, proof);
  if (!equal(fr, oldRoot)) {
    throw new VerificationError(`consistency proof does not lead to the old root for size ${oldSize}`);
  }
  if (!equal(sr, newRoot)) {
    throw new VerificationError(`consistency proof does not lead to the new root for size ${newSize}`);
  }
}

// -- signed notes and checkpoints -------------------------------------------------------------

// <name>+<8 hex digits>+<base64(type || public key)>; the key ID must commit to the rest.
export async function parseVerifierKey(text) {
  const parts = text.trim().split("+");
  if (parts.length < 3) {
    throw new VerificationError("the verifier key is not <name>+<hex key ID>+<base64 key>");
  }
  const name = parts[0];
  const idHex = parts[1];
  const material = parts.slice(2).join("+");
  if (!name) throw new VerificationError("the verifier key has no name");
  if (!/^[0-9a-fA-F]{8}$/.test(idHex)) throw new VerificationError(`key ID ${idHex} is not 8 hex digits`);
  const raw = b64decode(material, "verifier key material");
  if (raw.length !== 33 || raw[0] !== SIG_ED25519) {
    throw new VerificationError("the verifier key is not an Ed25519 note key (type 0x01, 32 bytes)");
  }
  const keyId = Uint8Array.from(idHex.match(/../g), (h) => parseInt(h, 16));
  const expected = (await sha256(concat(encoder.encode(name + "\n"), raw))).slice(0, 4);
  if (!equal(keyId, expected)) {
    throw new VerificationError(`key ID ${idHex} does not match the key's name and bytes`);
  }
  return { name, keyId, publicKey: raw.slice(1) };
}

// The text (up to the last blank line, with its newline) and the signature lines.
export function parseNote(note) {
  const cut = note.lastIndexOf("\n\n");
  if (cut < 0) throw new VerificationError("the note has no blank line before its signatures");
  const text = note.slice(0, cut + 1);
  const block = note.slice(cut + 2);
  if (!block || !block.endsWith("\n")) {
    throw new VerificationError("the note's signature lines do not end with a newline");
  }
  const signatures = block
    .slice(0, -1)
    .split("\n")
    .map((line) => {
      if (!line.startsWith(EM_DASH_PREFIX)) {
        throw new VerificationError(`signature line does not start with an em dash: ${line.slice(0, 40)}`);
      }
      const [name, blob, extra] = line.slice(EM_DASH_PREFIX.length).split(" ");
      if (!name || !blob || extra !== undefined) {
        throw new VerificationError("a signature line is not '\u2014 <name> <base64>'");
      }
      const raw = b64decode(blob, `signature from ${name}`);
      if (raw.length < 5) throw new VerificationError(`signature from ${name} is too short`);
      return { name, keyId: raw.slice(0, 4), signature: raw.slice(4) };
    });
  return { text, signatures };
}

// Parse checkpoint text: origin, decimal size, canonical base64 root, optional extensions.
export function parseCheckpoint(text) {
  if (!text.endsWith("\n")) throw new VerificationError("checkpoint text must end with a newline");
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3) throw new VerificationError("a checkpoint needs origin, size and root lines");
  const [origin, sizeLine, rootLine] = lines;
  if (!origin) throw new VerificationError("line 1 (origin) is empty");
  if (!/^(0|[1-9][0-9]*)$/.test(sizeLine)) {
    throw new VerificationError(`line 2 (tree size) ${sizeLine} is not a decimal number`);
  }
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size)) throw new VerificationError("the tree size is too large for this verifier");
  const root = b64decode(rootLine, "line 3 (root hash)");
  if (root.length !== HASH_SIZE) throw new VerificationError(`line 3 (root hash) is ${root.length} bytes, not 32`);
  return { origin, size, root };
}

// Verify a signed checkpoint with the log's key; return it with the engine that checked it.
export async function openCheckpoint(note, key, options = {}) {
  const { text, signatures } = parseNote(note);
  const mine = signatures.filter((s) => s.name === key.name && equal(s.keyId, key.keyId));
  if (mine.length === 0) {
    const by = signatures.map((s) => `${s.name}+${hex(s.keyId)}`).join(", ");
    throw new VerificationError(`the checkpoint has no signature from the trusted key (signed by: ${by})`);
  }
  let engine = null;
  for (const s of mine) {
    if (s.signature.length !== 64) throw new VerificationError("an Ed25519 signature must be 64 bytes");
    engine = await ed25519Verify(key.publicKey, s.signature, encoder.encode(text), options);
  }
  return { ...parseCheckpoint(text), engine, text };
}

// -- the whole check the console's button runs ----------------------------------------------

// entry: the served entry text; served: {leaf_hash, proof[]} in base64; checkpoint: opened.
export async function checkEntry(index, entryText, served, checkpoint) {
  const leaf = await leafHash(encoder.encode(entryText));
  if (!equal(leaf, b64decode(served.leaf_hash, "leaf hash"))) {
    throw new VerificationError(`entry ${index} does not hash to the leaf hash the server gave`);
  }
  const proof = served.proof.map((p, i) => b64decode(p, `proof[${i}]`));
  await verifyInclusion(leaf, index, checkpoint.size, proof, checkpoint.root);
  return proof.length;
}
