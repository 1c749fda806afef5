import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { DescribeStateMachineCommand } from '@aws-sdk/client-sfn';
import type { HealthProbe } from '../health/health';
import { documentClient, s3Client, sfnClient } from './clients';

export interface HealthTargets {
  bucketName: string;
  tables: Record<string, string>;
  stateMachines: Record<string, string>;
}

/** Probes for the bucket, each table (must be ACTIVE) and each state machine (must be ACTIVE). */
export function awsHealthProbes(targets: HealthTargets): HealthProbe[] {
  const probes: HealthProbe[] = [
    {
      component: 'storage',
      name: 'bucket',
      check: async () => {
        await s3Client().send(new HeadBucketCommand({ Bucket: targets.bucketName }));
      },
    },
  ];
  for (const [name, tableName] of Object.entries(targets.tables)) {
    probes.push({
      component: 'tables',
      name,
      check: async () => {
        const { Table } = await documentClient().send(new DescribeTableCommand({ TableName: tableName }));
        if (Table?.TableStatus !== 'ACTIVE') throw new Error('table not active');
      },
    });
  }
  for (const [name, arn] of Object.entries(targets.stateMachines)) {
    probes.push({
      component: 'workflows',
      name,
      check: async () => {
        const machine = await sfnClient().send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
        if (machine.status !== 'ACTIVE') throw new Error('state machine not active');
      },
    });
  }
  return probes;
}
