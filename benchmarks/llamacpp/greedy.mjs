// Greedy decoding with llama.cpp (node-llama-cpp's prebuilt CPU binary) of prompts given as token ids, so that it
// decodes exactly the prompts the engine decodes (chat template, system line and all), counting every generated
// token up to and including EOS, as the engine does. Run by benchmarks/llamacpp_decoding.py (npm ci here first).
// stdin:  {"gguf": path, "prompts": [[id, ...], ...], "max_tokens": n, "eos": id, "threads": t, "batched": bool}
//         batched: every prompt in its own sequence of one context, decoded together (llama.cpp batches the
//         sequences' tokens into one evaluation); otherwise one sequence, one prompt after the other.
// stdout: {"seconds": s, "rows": [tokens generated per prompt], "system_info": llama.cpp's CPU features}, timed
//         after one warm-up prompt.
import {getLlama} from "node-llama-cpp";
import {readFileSync} from "node:fs";

const job = JSON.parse(readFileSync(0, "utf8"));
const llama = await getLlama({gpu: false, build: "never"});
const model = await llama.loadModel({modelPath: job.gguf});
const parallel = job.batched ? job.prompts.length : 1;
const longest = Math.max(...job.prompts.map((p) => p.length)) + job.max_tokens;
const context = await model.createContext({sequences: parallel, contextSize: parallel * longest + 256,
                                           batchSize: Math.max(512, parallel * 64), threads: job.threads});
const sequences = Array.from({length: parallel}, () => context.getSequence());

async function decode(sequence, prompt, maxTokens) {
  await sequence.clearHistory();  // every prompt from an empty cache
  let count = 0;
  for await (const token of sequence.evaluate(prompt, {temperature: 0})) {
    count += 1;
    if (token === job.eos || count >= maxTokens) break;
  }
  return count;
}

await decode(sequences[0], job.prompts[0], 4);  // warm-up
const start = performance.now();
let rows = [];
if (job.batched) {
  rows = await Promise.all(job.prompts.map((p, i) => decode(sequences[i], p, job.max_tokens)));
} else {
  for (const prompt of job.prompts) rows.push(await decode(sequences[0], prompt, job.max_tokens));
}
const seconds = (performance.now() - start) / 1000;
console.log(JSON.stringify({seconds, rows, system_info: llama.systemInfo.trim()}));
