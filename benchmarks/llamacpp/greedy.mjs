// Greedy decoding of chat prompts with llama.cpp (node-llama-cpp's prebuilt CPU binary), one sequence at a time,
// each from an empty cache, after one warm-up prompt. benchmarks/smollm2_step.py runs it (npm ci first, here).
// stdin: {"gguf": path, "prompts": [...], "max_tokens": n, "threads": t}
// stdout: {"seconds": s, "tokens": n, "chat_wrapper": name, "texts": [...]}, timing and tokens of the prompts only
import {getLlama, LlamaChatSession} from "node-llama-cpp";
import {readFileSync} from "node:fs";

const job = JSON.parse(readFileSync(0, "utf8"));
const llama = await getLlama({gpu: false, build: "never"});
const model = await llama.loadModel({modelPath: job.gguf});
const context = await model.createContext({contextSize: 512, threads: job.threads, batchSize: 512});
const sequence = context.getSequence();

let wrapper = null;
const texts = [];
async function answer(prompt, maxTokens) {
  await sequence.clearHistory();  // no prefix reuse from the previous problem
  const session = new LlamaChatSession({contextSequence: sequence, autoDisposeSequence: false});
  const text = await session.prompt(prompt, {maxTokens, temperature: 0});
  wrapper = session.chatWrapper.wrapperName;
  texts.push(text);
  session.dispose({disposeSequence: false});
  return model.tokenize(text).length;
}

await answer(job.prompts[0], 4);  // warm-up
const start = performance.now();
let tokens = 0;
for (const prompt of job.prompts) tokens += await answer(prompt, job.max_tokens);
const seconds = (performance.now() - start) / 1000;
console.log(JSON.stringify({seconds, tokens, chat_wrapper: wrapper, texts: texts.slice(1)}));
