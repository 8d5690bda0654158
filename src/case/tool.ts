import { readFileSync, shippedPath } from '../assets.js';

// package.json from the package folder, or its embedded copy in a single-file build.
const pkg = JSON.parse(readFileSync(shippedPath('package.json')).toString('utf8')) as { name: string; version: string };

export const TOOL = { name: pkg.name, version: pkg.version };
