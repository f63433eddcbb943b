// Import first (before gpu.ts) to run a test file's WebGPU on Mesa lavapipe, which has shader-f16, instead of SwiftShader.
//
// scripts/fetch-lavapipe.sh puts the driver in .cache/lavapipe/; without it the file's GPU is SwiftShader as
// usual, and suites that need shader-f16 skip, saying how to get it. Vitest runs each test file in its own
// process, so this choice stays inside the file that makes it.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAVAPIPE_ICD = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.cache/lavapipe/lvp_icd.json');
export const lavapipeInstalled = fs.existsSync(LAVAPIPE_ICD);
if (lavapipeInstalled) process.env.VK_ICD_FILENAMES = LAVAPIPE_ICD;
