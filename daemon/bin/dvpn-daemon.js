#!/usr/bin/env node
// `dvpn-daemon` launcher: registers tsx so the TypeScript sources run without a build step.
import { register } from 'tsx/esm/api';

register();
await import('./dvpn-daemon.ts');
