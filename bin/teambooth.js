#!/usr/bin/env node
// Entry point of the `teambooth` command: loads the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

// The locked AWS SDK runs on Node.js 20; its notice that later releases will need Node.js 22 is
// said once in the README instead of at every start of every process.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
await import('../cli/main.ts');
