// Runs the console's in-browser verifier (static/verify.js) under Node on vectors from stdin.
// Usage: node verify_harness.mjs PATH/TO/verify.js [--no-webcrypto] < vectors.json
// Prints one {ok, error, engine} per case, in order.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [modulePath, mode] = process.argv.slice(2);
if (mode === "--no-webcrypto") {
  // As in a page outside a secure context: no crypto.subtle, so the noble fallback runs.
  const random = globalThis.crypto.getRandomValues.bind(globalThis.crypto);
  Object.defineProperty(globalThis, "crypto", { value: { getRandomValues: random }, configurable: true });
}
const v = await import(pathToFileURL(modulePath).href);
const b64 = (s) => v.b64decode(s);
const cases = JSON.parse(readFileSync(0, "utf8"));
const results = [];
for (const c of cases) {
  try {
    let engine = null;
    if (c.op === "inclusion") {
      await v.verifyInclusion(b64(c.leaf), c.index, c.size, c.proof.map(b64), b64(c.root));
    } else if (c.op === "consistency") {
      await v.verifyConsistency(c.old, c.new, b64(c.old_root), b64(c.new_root), c.proof.map(b64));
    } else if (c.op === "checkpoint") {
      const key = await v.parseVerifierKey(c.key);
      const opened = await v.openCheckpoint(c.note, key, { forceFallback: Boolean(c.fallback) });
      if (opened.size !== c.size || v.b64encode(opened.root) !== c.root) throw new Error("wrong parse");
      engine = opened.engine;
    } else if (c.op === "entry") {
      const key = await v.parseVerifierKey(c.key);
      const checkpoint = await v.openCheckpoint(c.note, key);
      await v.checkEntry(c.index, c.entry, { leaf_hash: c.leaf, proof: c.proof }, checkpoint);
    } else {
      throw new Error(`unknown op ${c.op}`);
    }
    results.push({ ok: true, engine });
  } catch (error) {
    results.push({ ok: false, error: String(error && error.message) });
  }
}
process.stdout.write(JSON.stringify(results));
