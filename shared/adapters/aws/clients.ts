/**
 * AWS SDK clients for reactions and channels, created on first use and cached per region. The SDK
 * packages load only then (the EC2 client alone adds ~0.4 s to a start), so `pagerless run` pays
 * nothing unless a config uses an AWS reaction or channel. Credentials come from the usual chain.
 */
import { createRequire } from 'node:module';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { AwsClients } from '../../ports.ts';

const load = createRequire(import.meta.url);

export function lazyAwsClients(): AwsClients {
  const ec2 = new Map<string, EC2Client>();
  const sns = new Map<string, SNSClient>();
  let route53: Route53Client | undefined;
  return {
    ec2(region) {
      let c = ec2.get(region);
      if (!c) {
        const { EC2Client: Client } = load('@aws-sdk/client-ec2') as typeof import('@aws-sdk/client-ec2');
        ec2.set(region, (c = new Client({ region })));
      }
      return c;
    },
    // Route 53 is a global service, signed in us-east-1.
    route53() {
      if (!route53) {
        const { Route53Client: Client } = load('@aws-sdk/client-route-53') as typeof import('@aws-sdk/client-route-53');
        route53 = new Client({ region: 'us-east-1' });
      }
      return route53;
    },
    sns(region) {
      let c = sns.get(region);
      if (!c) {
        const { SNSClient: Client } = load('@aws-sdk/client-sns') as typeof import('@aws-sdk/client-sns');
        sns.set(region, (c = new Client({ region })));
      }
      return c;
    },
  };
}
