// A small seller metering job on the AWS SDK for JavaScript v3, written to bill every record
// exactly once under faults (tests/test_client_conformance.py runs it under
// `conformance client`). It finds the service the way any SDK v3 program does: through
// AWS_ENDPOINT_URL_MARKETPLACE_METERING, the credentials and the region in its environment.
// Usage: node seller.mjs
import {
  MarketplaceMeteringClient,
  BatchMeterUsageCommand,
} from "@aws-sdk/client-marketplace-metering";

const PRODUCT = "prod-saas";
const CUSTOMERS = ["cust-acme", "cust-globex", "cust-initech", "cust-umbrella", "cust-hooli", "cust-stark"];
const DIMENSIONS = ["users", "gb-stored"];
const MAX_BATCH = 25;
const MAX_ATTEMPTS = 40;
const RETRYABLE = new Set(["ThrottlingException", "InternalServiceErrorException"]);

// the SDK's own retries are off: this job retries itself, with a shorter backoff
const client = new MarketplaceMeteringClient({ maxAttempts: 1 });

// every record stamped once, when collected; a retry sends it unchanged
const collectedAt = Date.now();
let pending = [];
for (let age = 0; age < 3; age++) {
  CUSTOMERS.forEach((customer, i) =>
    DIMENSIONS.forEach((dimension, d) =>
      pending.push({
        Timestamp: new Date(collectedAt - age * 3600 * 1000),
        CustomerIdentifier: customer,
        Dimension: dimension,
        Quantity: 1 + ((7 * i + 3 * d + age) % 40),
      }),
    ),
  );
}

// exponential, with "equal jitter": at least half the ceiling, so never a resend at once
function backoff(attempt) {
  const ceiling = Math.min(400, 25 * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function retryable(error) {
  const status = error.$metadata?.httpStatusCode ?? 0;
  if (RETRYABLE.has(error.name) || status >= 500) return true;
  return status === 0; // no answer: a reset connection or a timeout; send the same request again
}

async function send(command) {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt) await new Promise((done) => setTimeout(done, backoff(attempt)));
    try {
      return await client.send(command);
    } catch (error) {
      if (!retryable(error)) throw error;
    }
  }
  throw new Error(`gave up after ${MAX_ATTEMPTS} attempts`);
}

for (let round = 0; pending.length > 0; round++) {
  if (round === 20) throw new Error(`${pending.length} records still unprocessed`);
  const batch = pending.slice(0, MAX_BATCH);
  pending = pending.slice(MAX_BATCH);
  const answer = await send(new BatchMeterUsageCommand({ ProductCode: PRODUCT, UsageRecords: batch }));
  for (const result of answer.Results ?? []) {
    if (!["Success", "DuplicateRecord"].includes(result.Status)) console.log(`not billed: ${result.Status}`);
  }
  pending.push(...(answer.UnprocessedRecords ?? []));
}
console.error("metered");
