/**
 * AWS SDK clients for reactions and channels, created on first use and cached per region. The SDK
 * packages load only then (the EC2 client alone adds ~0.4 s to a start), so `pagerless run` pays
 * nothing unless a config uses an AWS reaction or channel. Credentials come from the usual chain.
 */
import { createRequire } from 'node:module';
import type { AwsClients } from '../../ports.ts';

const load = createRequire(import.meta.url);

/** One client per key, made on first use. */
export function perKey<C>(make: (key: string) => C): (key: string) => C {
  const made = new Map<string, C>();
  return (key) => {
    let c = made.get(key);
    if (!c) made.set(key, (c = make(key)));
    return c;
  };
}

export function lazyAwsClients(): AwsClients {
  const ec2 = perKey((region) => new (load('@aws-sdk/client-ec2') as typeof import('@aws-sdk/client-ec2')).EC2Client({ region }));
  const sns = perKey((region) => new (load('@aws-sdk/client-sns') as typeof import('@aws-sdk/client-sns')).SNSClient({ region }));
  // Route 53 is a global service, signed in us-east-1.
  const route53 = perKey(() => new (load('@aws-sdk/client-route-53') as typeof import('@aws-sdk/client-route-53')).Route53Client({ region: 'us-east-1' }));
  return { ec2, sns, route53: () => route53('global') };
}
