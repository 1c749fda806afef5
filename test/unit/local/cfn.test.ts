import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolve, type Template } from '../../../infra/local/cfn';

const template: Template = {
  Resources: {
    Fn1: { Type: 'AWS::Lambda::Function' },
    Bucket1: { Type: 'AWS::S3::Bucket' },
    Table1: { Type: 'AWS::DynamoDB::Table' },
    Machine1: { Type: 'AWS::StepFunctions::StateMachine' },
  },
};

describe('the intrinsic resolver', () => {
  it('resolves Ref to local physical names by resource type', () => {
    assert.equal(resolve(template, { Ref: 'Table1' }), 'Table1');
    assert.equal(resolve(template, { Ref: 'Bucket1' }), 'local-bucket1');
    assert.equal(
      resolve(template, { Ref: 'Machine1' }),
      'arn:aws:states:us-east-1:000000000000:stateMachine:Machine1',
    );
    assert.equal(resolve(template, { Ref: 'AWS::Region' }), 'us-east-1');
  });

  it('resolves GetAtt Arn, Join, Select, Split and Sub inside nested values', () => {
    const value = {
      list: [{ 'Fn::GetAtt': ['Fn1', 'Arn'] }],
      joined: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':x']] },
      picked: { 'Fn::Select': [1, { 'Fn::Split': [':', 'a:b:c'] }] },
      sub: { 'Fn::Sub': 'bucket ${Bucket1} in ${AWS::Region} via ${Fn1.Arn}' },
    };
    assert.deepEqual(resolve(template, value), {
      list: ['arn:aws:lambda:us-east-1:000000000000:function:Fn1'],
      joined: 'arn:aws:x',
      picked: 'b',
      sub: 'bucket local-bucket1 in us-east-1 via arn:aws:lambda:us-east-1:000000000000:function:Fn1',
    });
  });

  it('fails loudly on a reference to a resource the template lacks', () => {
    assert.throws(() => resolve(template, { Ref: 'Missing' }), /unknown resource Missing/);
  });
});
