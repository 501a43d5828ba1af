// A second, independent reader of ptmlock's CycloneDX BOMs, for tests/exporters/test_interop.py.
//
// usage: node read-cyclonedx.cjs NODE_MODULES json|xml:VERSION:FILE ...
//
// Each document is validated with @cyclonedx/cyclonedx-library (JsonStrictValidator: the strict
// JSON schema through ajv; XmlValidator: the XSD through libxml2) and then read: JSON with
// JSON.parse, XML with libxmljs2 (the library's own XML backend). What was read is printed as
// one JSON array, one summary per document, in a shape that is the same for both formats, so
// the test can compare it with the lock and the JSON reading with the XML reading.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { createRequire } = require("node:module");

const load = createRequire(path.join(path.resolve(process.argv[2]), "index.js"));
const CDX = load("@cyclonedx/cyclonedx-library");
const libxml = load("libxmljs2");

function sorted(items) {
  return [...items].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

// ---- JSON -------------------------------------------------------------------------------
function jsonCard(card) {
  if (card === undefined) return null;
  const params = card.modelParameters || {};
  return {
    task: params.task ?? null,
    architectureFamily: params.architectureFamily ?? null,
    modelArchitecture: params.modelArchitecture ?? null,
    datasets: (params.datasets || []).map((d) => ({
      type: d.type, name: d.name ?? null, url: d.contents?.url ?? null,
      classification: d.classification ?? null,
    })),
    properties: sorted((card.properties || []).map((p) => [p.name, p.value])),
  };
}

function jsonHashes(obj) {
  return Object.fromEntries((obj.hashes || []).map((h) => [h.alg, h.content]));
}

function jsonComponent(c) {
  const files = {};
  for (const f of c.components || []) {
    files[f.name] = {
      type: f.type, version: f.version ?? null, hashes: jsonHashes(f),
      urls: (f.externalReferences || []).map((r) => [r.type, r.url]),
      properties: sorted((f.properties || []).map((p) => [p.name, p.value])),
    };
  }
  return {
    type: c.type, name: c.name, version: c.version ?? null, purl: c.purl ?? null,
    hashes: jsonHashes(c),
    licenses: sorted((c.licenses || []).map((l) => l.expression ?? l.license?.id ?? l.license?.name)),
    externalReferences: sorted((c.externalReferences || []).map((r) => [r.type, r.url])),
    properties: sorted((c.properties || []).map((p) => [p.name, p.value])),
    ancestors: sorted((c.pedigree?.ancestors || []).map((a) => a.name)),
    files,
    modelCard: jsonCard(c.modelCard),
    occurrences: sorted((c.evidence?.occurrences || []).map((o) => [o.location, o.line ?? null])),
  };
}

function readJson(text) {
  const doc = JSON.parse(text);
  const meta = doc.metadata || {};
  const tools = meta.tools && !Array.isArray(meta.tools) ? meta.tools.components || [] : [];
  return {
    specVersion: doc.specVersion, serialNumber: doc.serialNumber ?? null,
    version: doc.version ?? 1, timestamp: meta.timestamp ?? null,
    tools: tools.map((t) => t.name), root: meta.component?.["bom-ref"] ?? null,
    components: Object.fromEntries((doc.components || []).map((c) => [c["bom-ref"], jsonComponent(c)])),
    // null, not [], when an entry has no dependsOn: cdxgen's validator crashes on those
    dependencies: Object.fromEntries((doc.dependencies || []).map(
      (d) => [d.ref, d.dependsOn === undefined ? null : [...d.dependsOn].sort()])),
  };
}

// ---- XML --------------------------------------------------------------------------------
function xmlReader(ns) {
  const NS = { c: ns };
  const all = (node, xpath) => node.find(xpath, NS);
  const one = (node, xpath) => node.get(xpath, NS);
  const text = (node, xpath) => {
    const found = one(node, xpath);
    return found ? found.text() : null;
  };
  const attr = (node, name) => (node.attr(name) ? node.attr(name).value() : null);
  const props = (node) => sorted(all(node, "c:properties/c:property").map((p) => [attr(p, "name"), p.text()]));
  const hashes = (node) => Object.fromEntries(all(node, "c:hashes/c:hash").map((h) => [attr(h, "alg"), h.text()]));
  const refs = (node) => all(node, "c:externalReferences/c:reference").map((r) => [attr(r, "type"), text(r, "c:url")]);

  function card(c) {
    const mc = one(c, "c:modelCard");
    if (!mc) return null;
    return {
      task: text(mc, "c:modelParameters/c:task"),
      architectureFamily: text(mc, "c:modelParameters/c:architectureFamily"),
      modelArchitecture: text(mc, "c:modelParameters/c:modelArchitecture"),
      datasets: all(mc, "c:modelParameters/c:datasets/c:dataset").map((d) => ({
        type: text(d, "c:type"), name: text(d, "c:name"), url: text(d, "c:contents/c:url"),
        classification: text(d, "c:classification"),
      })),
      properties: props(mc),
    };
  }

  function component(c) {
    const files = {};
    for (const f of all(c, "c:components/c:component")) {
      files[text(f, "c:name")] = {
        type: attr(f, "type"), version: text(f, "c:version"), hashes: hashes(f), urls: refs(f),
        properties: props(f),
      };
    }
    const licenses = all(c, "c:licenses/c:expression").map((e) => e.text()).concat(
      all(c, "c:licenses/c:license").map((l) => text(l, "c:id") ?? text(l, "c:name")));
    const occurrences = all(c, "c:evidence/c:occurrences/c:occurrence").map((o) => {
      const line = text(o, "c:line");
      return [text(o, "c:location"), line === null ? null : Number(line)];
    });
    return {
      type: attr(c, "type"), name: text(c, "c:name"), version: text(c, "c:version"),
      purl: text(c, "c:purl"), hashes: hashes(c), licenses: sorted(licenses),
      externalReferences: sorted(refs(c)), properties: props(c),
      ancestors: sorted(all(c, "c:pedigree/c:ancestors/c:component").map((a) => text(a, "c:name"))),
      files, modelCard: card(c), occurrences: sorted(occurrences),
    };
  }

  return (root) => {
    const meta = one(root, "c:metadata");
    return {
      specVersion: ns.split("/").pop(), serialNumber: attr(root, "serialNumber"),
      version: Number(attr(root, "version") ?? 1), timestamp: meta ? text(meta, "c:timestamp") : null,
      tools: meta ? all(meta, "c:tools/c:components/c:component/c:name").map((n) => n.text()) : [],
      root: meta && one(meta, "c:component") ? attr(one(meta, "c:component"), "bom-ref") : null,
      components: Object.fromEntries(all(root, "c:components/c:component").map(
        (c) => [attr(c, "bom-ref"), component(c)])),
      dependencies: Object.fromEntries(all(root, "c:dependencies/c:dependency").map(
        (d) => [attr(d, "ref"), all(d, "c:dependency").map((e) => attr(e, "ref")).sort()])),
    };
  };
}

function readXml(text) {
  const doc = libxml.parseXml(text, { nonet: true });
  const root = doc.root();
  return xmlReader(root.namespace().href())(root);
}

// ---- main -------------------------------------------------------------------------------
async function readOne(spec) {
  const [format, version, ...rest] = spec.split(":");
  const file = rest.join(":");
  const text = fs.readFileSync(file, "utf8");
  const validator = format === "json"
    ? new CDX.Validation.JsonStrictValidator(version)
    : new CDX.Validation.XmlValidator(version);
  const error = await validator.validate(text);
  const summary = format === "json" ? readJson(text) : readXml(text);
  return { file, format, valid: error === null, error: error === null ? null : JSON.stringify(error), ...summary };
}

(async () => {
  const out = [];
  for (const spec of process.argv.slice(3)) out.push(await readOne(spec));
  process.stdout.write(JSON.stringify(out, null, 1) + "\n");
})().catch((err) => {
  process.stderr.write(`read-cyclonedx: ${err && err.stack ? err.stack : err}\n`);
  process.exit(2);
});
