import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { INDEX, KEY } from '../../shared/aws/table-keys';
import { OBJECT_CLASS_TAG } from '../../shared/aws/object-classes';

export interface StorageProps {
  /** Days a finished export stays downloadable before lifecycle removes it (the product expiry is in the job). */
  exportRetentionDays: number;
  removalPolicy: RemovalPolicy;
}

/**
 * The bucket and the two tables. Objects live under per-user prefixes (users/<uid>/...), so lifecycle rules
 * cannot match `exports/` by prefix; objects are tagged with their class instead and the rules filter on the tag.
 */
export class Storage extends Construct {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;
  readonly jobsTable: Table;
  readonly libraryTable: Table;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);

    this.accessLogs = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(90) }],
      removalPolicy: props.removalPolicy,
    });

    this.bucket = new Bucket(this, 'Chatbooks', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: false,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'chatbooks/',
      removalPolicy: props.removalPolicy,
      lifecycleRules: [
        {
          id: 'expire-exports',
          tagFilters: { [OBJECT_CLASS_TAG]: 'export' },
          expiration: Duration.days(props.exportRetentionDays),
        },
        { id: 'expire-imports', tagFilters: { [OBJECT_CLASS_TAG]: 'import' }, expiration: Duration.days(1) },
        { id: 'expire-temp', tagFilters: { [OBJECT_CLASS_TAG]: 'temp' }, expiration: Duration.days(1) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    const tableDefaults = {
      partitionKey: { name: KEY.partition, type: AttributeType.STRING },
      sortKey: { name: KEY.sort, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: KEY.ttl,
      removalPolicy: props.removalPolicy,
    };

    // Every table is keyed by the user's partition and lists a user's items newest first.
    const userTable = (id: string) => {
      const table = new Table(this, id, tableDefaults);
      table.addLocalSecondaryIndex({
        indexName: INDEX.listing,
        sortKey: { name: KEY.listing, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
      return table;
    };

    // Jobs, quota counters, audit events and idempotency records.
    this.jobsTable = userTable('Jobs');
    this.jobsTable.addGlobalSecondaryIndex({
      indexName: INDEX.sweep,
      partitionKey: { name: KEY.sweepPartition, type: AttributeType.STRING },
      sortKey: { name: KEY.sweepSort, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });

    // The user's library: conversations, notes, characters ...
    this.libraryTable = userTable('Library');
  }
}
