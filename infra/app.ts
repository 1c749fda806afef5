// The CDK app entry point (`cdk synth`, `cdk deploy`).
import { createApp } from './create-app';

createApp().app.synth();
