// Writes the capture of one fuzz mutation to a file, to reproduce a fuzz failure outside the test:
//   node dist/test/robustness/repro.js <seed> <index> [out.pcap]
//   node bin/wirehunt.js zeek out.pcap --out /tmp/logs
// (the fuzz test prints "mutation <index> (seed <seed>) of <file>: <ops>" for each failure or hang).
import { readFileSync, writeFileSync } from 'node:fs';
import { mutate } from './mutate.js';
import { fuzzInputs } from './corpus-files.js';

const [seedArg, indexArg, outArg] = process.argv.slice(2);
if (seedArg === undefined || indexArg === undefined) {
  console.error('usage: node dist/test/robustness/repro.js <seed> <index> [out.pcap]');
  process.exit(2);
}
const files = fuzzInputs();
const m = mutate(files.map((f) => readFileSync(f)), Number(seedArg), Number(indexArg));
const out = outArg ?? `fuzz-${seedArg}-${indexArg}.pcap`;
writeFileSync(out, m.data);
console.log(`${out}: mutation ${indexArg} (seed ${seedArg}) of ${files[m.base]}: ${m.desc} (${m.data.length} bytes)`);
