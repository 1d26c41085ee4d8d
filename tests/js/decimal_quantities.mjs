// The AWS SDK for JavaScript v3 against the 2026-11 reference emulator: an AgentCore Runtime
// caller meters twice in one hour with its own ClientTokens, retries one, and reports a decimal
// quantity. The released client (3.1138.0, September 2026) does not model the decimal members
// of October 2026 yet, so a build-step middleware adds UsageQuantityAsDecimal to the JSON body
// it serialized; signing and transport are the SDK's own. Prints what came back as one JSON
// object (tests/test_real_clients.py checks it).
// Usage: node decimal_quantities.mjs ENDPOINT_URL SPEC_JSON
import { MarketplaceMeteringClient, MeterUsageCommand } from "@aws-sdk/client-marketplace-metering";

const [endpoint, specText] = process.argv.slice(2);
const spec = JSON.parse(specText);
const client = new MarketplaceMeteringClient({
  endpoint,
  region: "us-east-1",
  maxAttempts: 1,
  credentials: { accessKeyId: spec.caller, secretAccessKey: "js-sdk-test" },
});

function withDecimal(command, decimal) {
  command.middlewareStack.add(
    (next) => async (args) => {
      const raw = args.request.body;
      const body = JSON.parse(typeof raw === "string" ? raw : new TextDecoder().decode(raw));
      delete body.UsageQuantity;
      body.UsageQuantityAsDecimal = decimal;
      const text = JSON.stringify(body);
      args.request.body = text;
      for (const name of Object.keys(args.request.headers)) {
        if (name.toLowerCase() === "content-length") {
          args.request.headers[name] = String(Buffer.byteLength(text));
        }
      }
      return next(args);
    },
    { step: "build", priority: "high", name: "addUsageQuantityAsDecimal" },
  );
  return command;
}

async function attempt(command) {
  try {
    const ok = await client.send(command);
    delete ok.$metadata;
    return { ok };
  } catch (error) {
    return { error: error.name, status: error.$metadata?.httpStatusCode };
  }
}

const at = new Date(spec.timestamp * 1000);
const meter = (token, quantity) =>
  new MeterUsageCommand({
    ProductCode: spec.product,
    Timestamp: at,
    UsageDimension: spec.dimension,
    UsageQuantity: quantity,
    ClientToken: token,
  });
const out = {};
out.first = await attempt(withDecimal(meter("js-token-1", 1), "1.25"));
out.retry = await attempt(withDecimal(meter("js-token-1", 1), "1.250"));
out.second = await attempt(withDecimal(meter("js-token-2", 1), "0.000001"));
out.conflict = await attempt(withDecimal(meter("js-token-1", 1), "2"));
console.log(JSON.stringify(out));
