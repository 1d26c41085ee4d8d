#!/usr/bin/env bash
# A seller's metering job in shell, on the AWS CLI: one BatchMeterUsage of this hour's usage
# of three customers, retried by the CLI's standard mode (8 attempts), and the records an
# answer lists in UnprocessedRecords sent again until none is left.
#
#   conformance client --faults 0.2 --seed 1 -- bash examples/clients/aws_cli.sh
#
# The records are written once, on the first start, to the run's state directory
# ($CONFORMANCE_RUN_DIR), so a rerun after the CLI gave up sends the same records, which the
# service answers as duplicates where it holds them already. METER_CLI names the CLI ("aws"
# by default; "python -m awscli" where it is not on the PATH).
set -euo pipefail

state="${CONFORMANCE_RUN_DIR:-.}"
cli=(${METER_CLI:-aws})
export AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=8

if [[ ! -s "$state/records.json" ]]; then
  now=$(date -u +%s)
  {
    printf '['
    separator=''
    for customer in cust-acme cust-globex cust-initech; do
      for dimension in users gb-stored; do
        printf '%s{"Timestamp": %d, "CustomerIdentifier": "%s", "Dimension": "%s", "Quantity": %d}' \
          "$separator" "$now" "$customer" "$dimension" "${#customer}"
        separator=', '
      done
    done
    printf ']'
  } > "$state/records.json"
fi

records=$(cat "$state/records.json")
for round in 1 2 3 4 5 6 7 8 9 10; do
  unprocessed=$("${cli[@]}" meteringmarketplace batch-meter-usage --product-code prod-saas \
    --usage-records "$records" --query UnprocessedRecords --output json)
  if [[ "$unprocessed" == "[]" ]]; then
    echo "metered" >&2
    exit 0
  fi
  records="$unprocessed"
done
echo "records still unprocessed after $round rounds" >&2
exit 1
