/**
 * us-east-1 list prices used by `pagerless cost` (USD, on-demand, no free tier), with their sources.
 * Checked 2026-11-22; AWS changes prices rarely, but check the pages before quoting a figure.
 */
export const PRICES = {
  lambdaRequest: { usd: 0.2 / 1e6, unit: 'request', source: 'https://aws.amazon.com/lambda/pricing/ ($0.20 per 1M requests)' },
  lambdaArmGbSecond: { usd: 0.0000133334, unit: 'GB-second', source: 'https://aws.amazon.com/lambda/pricing/ (Arm, first 7.5B GB-s tier)' },
  sqsRequest: { usd: 0.4 / 1e6, unit: 'request', source: 'https://aws.amazon.com/sqs/pricing/ (standard queue, $0.40 per 1M requests; a request is up to 64 KB)' },
  dynamoWriteUnit: { usd: 0.625 / 1e6, unit: 'write request unit', source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ ($0.625 per 1M WRU since Nov 2024)' },
  dynamoReadUnit: { usd: 0.125 / 1e6, unit: 'read request unit', source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ ($0.125 per 1M RRU since Nov 2024)' },
  dynamoStorageGbMonth: { usd: 0.25, unit: 'GB-month', source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ (first 25 GB free; not counted here)' },
  dynamoPitrGbMonth: { usd: 0.2, unit: 'GB-month', source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ (continuous backups)' },
  interRegionTransferGb: { usd: 0.02, unit: 'GB', source: 'https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer (between US regions; up to $0.09 elsewhere)' },
  cloudwatchMetricMonth: { usd: 0.3, unit: 'metric-month', source: 'https://aws.amazon.com/cloudwatch/pricing/ (first 10k metrics)' },
  cloudwatchAlarmMonth: { usd: 0.1, unit: 'alarm-month', source: 'https://aws.amazon.com/cloudwatch/pricing/ (standard resolution)' },
  cloudwatchDashboardMonth: { usd: 3, unit: 'dashboard-month', source: 'https://aws.amazon.com/cloudwatch/pricing/ (counted: the first 3 dashboards of an account are free, but an account may have them already)' },
  cloudwatchLogsGb: { usd: 0.5, unit: 'GB ingested', source: 'https://aws.amazon.com/cloudwatch/pricing/ (standard logs)' },
  kmsKeyMonth: { usd: 1, unit: 'key-month', source: 'https://aws.amazon.com/kms/pricing/ ($1 per customer managed key a month; requests under the free 20,000)' },
  internetEgressGb: { usd: 0.09, unit: 'GB', source: 'https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer (to the internet, first 10 TB a month, us-east-1/eu-west-1; ap-southeast-2 is $0.114; the 100 GB a month free per account is not deducted)' },
  secretMonth: { usd: 0.4, unit: 'secret-month', source: 'https://aws.amazon.com/secrets-manager/pricing/ ($0.40 per secret a month)' },
  secretApiCall: { usd: 0.05 / 1e4, unit: 'API call', source: 'https://aws.amazon.com/secrets-manager/pricing/ ($0.05 per 10,000 API calls; SSM standard parameters cost nothing)' },
  apiRequest: { usd: 1 / 1e6, unit: 'request', source: 'https://aws.amazon.com/api-gateway/pricing/ (HTTP API, first 300M)' },
} as const;

/** Hours in the month AWS bills by. */
export const HOURS_PER_MONTH = 730;
