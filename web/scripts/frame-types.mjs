// The TypeScript types of the frames the server sends over the WebSocket, generated from the
// AsyncAPI document (docs/asyncapi.yaml) by json-schema-to-typescript, printed on stdout:
//   node scripts/frame-types.mjs ../docs/asyncapi.yaml > static/web/sdk/frames.d.ts
// `make web-check` runs it again and fails when the committed file differs, so the SDK's types
// cannot drift from the document.
import { readFileSync } from "node:fs";
import { load } from "js-yaml";
import { compile } from "json-schema-to-typescript";

const source = process.argv[2];
if (!source) {
  console.error("usage: node scripts/frame-types.mjs <asyncapi.yaml>");
  process.exit(2);
}
const doc = /** @type {any} */ (load(readFileSync(source, "utf8")));

// The server's frames: the messages of its `send` operations and its replies to the client's frames.
const keys = new Set();
for (const operation of Object.values(doc.operations)) {
  const refs = operation.action === "send" ? operation.messages : (operation.reply?.messages ?? []);
  for (const { $ref } of refs) keys.add($ref.split("/").pop());
}

const messages = [...keys].map((key) => doc.components.messages[key]).sort((a, b) => a.name.localeCompare(b.name));
const schema = {
  title: "ServerFrames",
  description: "Every frame the server sends, by its event name.",
  type: "object",
  properties: Object.fromEntries(messages.map((message) => [message.name, message.payload])),
  required: messages.map((message) => message.name),
  additionalProperties: false,
  // The payloads' references (#/components/schemas/...) resolve against this document.
  components: { schemas: doc.components.schemas },
};

const types = await compile(schema, "ServerFrames", {
  bannerComment: "// Generated from docs/asyncapi.yaml by web/scripts/frame-types.mjs (json-schema-to-typescript); do not edit.",
  additionalProperties: false,
  unreachableDefinitions: false,
  format: true,
});
process.stdout.write(types);
