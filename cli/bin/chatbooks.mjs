#!/usr/bin/env node
// The installed `chatbooks` command: runs the TypeScript CLI through tsx, as every script of this project runs.
import { register } from 'tsx/esm/api';

register();
await import('../main.ts');
