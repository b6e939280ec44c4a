#!/usr/bin/env node
// Verify certify's Sigstore bundle with sigstore-js (@sigstore/verify), an
// implementation that is not certify's, offline.
//
// Usage: verify_sigstore.mjs PUBLIC_KEY.pem BUNDLE.sigstore.json BUNDLE_DIR
//
// The trust material is the public key alone, under the hint it is known by
// (base64 of the SHA-256 of its SPKI DER, as cosign and sigstore-go write it):
// no transparency log, no timestamp authority, no certificate, so every
// threshold is 0. sigstore-js checks the bundle's shape, finds the key by the
// bundle's publicKey hint and verifies the Ed25519 signature over the DSSE
// pre-authentication encoding. It does not look inside a DSSE payload, so this
// script then checks that the payload is an in-toto Statement v1, that every
// file it names in BUNDLE_DIR has the sha256 it gives, and that BUNDLE_DIR holds
// no other file (the attestation files aside). Prints the predicate type and
// result; exits 0 when everything holds, 1 when verification fails, 2 on usage.
//
// Needs: CERTIFY_NODE_MODULES, a node_modules folder holding @sigstore/verify,
// @sigstore/bundle and @sigstore/core:
//   npm install --prefix DIR @sigstore/verify@3.1.1 @sigstore/bundle@4.0.0 @sigstore/core@3.2.1 \
//     @sigstore/protobuf-specs@0.5.2
//   export CERTIFY_NODE_MODULES=DIR/node_modules
import { createHash, createPublicKey } from "node:crypto";
import { existsSync, lstatSync, readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const PAYLOAD_TYPE = "application/vnd.in-toto+json";
const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";

function usage(message) {
  process.stderr.write(`${message}\nusage: verify_sigstore.mjs PUBLIC_KEY.pem BUNDLE.sigstore.json BUNDLE_DIR\n`);
  process.exit(2);
}

function sigstore() {
  const modules = process.env.CERTIFY_NODE_MODULES;
  const wanted = ["@sigstore/verify", "@sigstore/bundle", "@sigstore/protobuf-specs"];
  const missing = modules ? wanted.filter((name) => !existsSync(join(modules, name, "package.json"))) : wanted;
  if (missing.length) {
    usage(
      `this verifier needs ${missing.join(", ")} in the folder named by CERTIFY_NODE_MODULES ` +
        `(now ${JSON.stringify(modules ?? "")}): npm install --prefix DIR @sigstore/verify@3.1.1 ` +
        "@sigstore/bundle@4.0.0 @sigstore/core@3.2.1 @sigstore/protobuf-specs@0.5.2, then " +
        "CERTIFY_NODE_MODULES=DIR/node_modules (.ci/run does)",
    );
  }
  const require = createRequire(import.meta.url);
  return {
    verify: require(join(modules, "@sigstore", "verify")),
    bundle: require(join(modules, "@sigstore", "bundle")),
    specs: require(join(modules, "@sigstore", "protobuf-specs")),
  };
}

function sha256(bytes) {
  return createHash("sha256").update(bytes).digest();
}

// Every regular file under `root`, as a path relative to it with `/`.
function files(root, dir = "", out = []) {
  for (const name of readdirSync(join(root, dir))) {
    const rel = dir ? `${dir}/${name}` : name;
    const stat = lstatSync(join(root, rel));
    if (stat.isDirectory()) files(root, rel, out);
    else out.push(rel);
  }
  return out;
}

function main(argv) {
  if (argv.length !== 3) usage("expected three arguments");
  const [keyPath, bundlePath, root] = argv;
  const { verify, bundle, specs } = sigstore();

  const key = createPublicKey(readFileSync(keyPath));
  if (key.asymmetricKeyType !== "ed25519") {
    throw new Error(`${keyPath}: a ${key.asymmetricKeyType} key, expected an Ed25519 public key`);
  }
  const der = key.export({ type: "spki", format: "der" });
  const hint = sha256(der).toString("base64");

  const parsed = bundle.bundleFromJSON(JSON.parse(readFileSync(bundlePath, "utf8")));
  if (parsed.mediaType !== bundle.BUNDLE_V03_MEDIA_TYPE) {
    throw new Error(`mediaType is ${parsed.mediaType}, expected ${bundle.BUNDLE_V03_MEDIA_TYPE}`);
  }
  const noAuthorities = { tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] };
  const trusted = {
    [hint]: { rawBytes: der, keyDetails: specs.PublicKeyDetails.PKIX_ED25519, validFor: { start: new Date(0) } },
  };
  const verifier = new verify.Verifier(verify.toTrustMaterial(noAuthorities, trusted), {
    tlogThreshold: 0,
    ctlogThreshold: 0,
    timestampThreshold: 0,
  });
  verifier.verify(verify.toSignedEntity(parsed));

  if (parsed.content.$case !== "dsseEnvelope") throw new Error("the bundle holds no DSSE envelope");
  const envelope = parsed.content.dsseEnvelope;
  if (envelope.payloadType !== PAYLOAD_TYPE) {
    throw new Error(`payloadType is ${JSON.stringify(envelope.payloadType)}, expected ${PAYLOAD_TYPE}`);
  }
  const statement = JSON.parse(envelope.payload.toString("utf8"));
  if (statement._type !== STATEMENT_TYPE) {
    throw new Error(`not an in-toto Statement v1: _type is ${JSON.stringify(statement._type)}`);
  }
  const named = new Set();
  for (const subject of statement.subject ?? []) {
    if (!subject.name) continue;
    named.add(subject.name);
    const path = join(root, subject.name);
    if (!existsSync(path)) throw new Error(`${subject.name}: named by the statement, missing from ${root}`);
    const got = sha256(readFileSync(path)).toString("hex");
    if (got !== subject.digest?.sha256) {
      throw new Error(`${subject.name}: sha256 is ${got}, the statement says ${subject.digest?.sha256}`);
    }
  }
  for (const file of files(root)) {
    if (!file.startsWith("attestation.") && !named.has(file)) {
      throw new Error(`${file}: in ${root} but not named by the statement`);
    }
  }
  const predicate = statement.predicate ?? {};
  process.stdout.write(`${statement.predicateType} ${predicate.result ?? predicate.verificationResult}\n`);
}

try {
  main(process.argv.slice(2));
} catch (error) {
  // A failed verification is an answer, not a crash.
  process.stdout.write(`verification failed: ${error?.name ?? "Error"}: ${error?.message ?? error}\n`);
  process.exit(1);
}
