// Calls all four operations of the reference emulator with the AWS SDK for JavaScript v3 and
// prints what came back as one JSON object (tests/test_real_clients.py checks it).
// Usage: node all_operations.mjs ENDPOINT_URL SPEC_JSON
import {
  MarketplaceMeteringClient,
  BatchMeterUsageCommand,
  MeterUsageCommand,
  RegisterUsageCommand,
  ResolveCustomerCommand,
} from "@aws-sdk/client-marketplace-metering";

const [endpoint, specText] = process.argv.slice(2);
const spec = JSON.parse(specText);

function client(accessKeyId) {
  return new MarketplaceMeteringClient({
    endpoint,
    region: "us-east-1",
    maxAttempts: 1,
    credentials: { accessKeyId, secretAccessKey: "js-sdk-test" },
  });
}

async function attempt(command, accessKeyId) {
  try {
    return { ok: await client(accessKeyId).send(command) };
  } catch (error) {
    return { error: error.name, status: error.$metadata?.httpStatusCode };
  }
}

const at = new Date(spec.timestamp * 1000);
const out = {};
out.batch = await attempt(
  new BatchMeterUsageCommand({
    ProductCode: spec.product,
    UsageRecords: [{ Timestamp: at, CustomerIdentifier: spec.customer, Dimension: spec.dimension, Quantity: 2 }],
  }),
  spec.seller,
);
out.meter = await attempt(
  new MeterUsageCommand({ ProductCode: spec.product, Timestamp: at, UsageDimension: spec.dimension, UsageQuantity: 1 }),
  spec.caller,
);
out.resolve = await attempt(new ResolveCustomerCommand({ RegistrationToken: spec.token }), spec.seller);
out.register = await attempt(
  new RegisterUsageCommand({ ProductCode: spec.product, PublicKeyVersion: 1, Nonce: "js-nonce-1" }),
  spec.caller,
);
out.unknownProduct = await attempt(
  new MeterUsageCommand({ ProductCode: "no-such-product", Timestamp: at, UsageDimension: spec.dimension }),
  spec.caller,
);
for (const value of Object.values(out)) {
  if (value.ok) delete value.ok.$metadata;
}
console.log(JSON.stringify(out));
