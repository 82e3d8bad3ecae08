// Benchmark: how far one prompt's greedy reply moves on a llama.cpp server. A recorded prompt (a --debug prompt.md)
// is sent --times times one after another with the server's prompt cache on (its default), then with it off
// (cache_prompt: false), then --times at once; it prints how many distinct replies each way gave. It shows why two
// runs of the same benchmark, or two arms sent the same first prompt, can get different answers at temperature 0.
// Run: bun run bench/replyVariance.ts --prompt DIR/attempt-1-fast/prompt.md --server http://127.0.0.1:8091
//   --model qwen2.5-coder-0.5b-instruct [--times 3] [--max-tokens 300]
// (the model server itself, not the proxy: cache_prompt is llama.cpp's own request field)
import { parseArgs } from "node:util";
import { readPrompt } from "./exercismJudge.ts";

const { values } = parseArgs({
  options: {
    prompt: { type: "string" },
    server: { type: "string", default: "http://127.0.0.1:8091" },
    model: { type: "string", default: "qwen2.5-coder-0.5b-instruct" },
    times: { type: "string", default: "3" },
    "max-tokens": { type: "string", default: "300" },
  },
});
if (!values.prompt) throw new Error("--prompt FILE (a prompt.md that bench --debug wrote) is required");
const times = Number(values.times);
const messages = readPrompt(values.prompt);
if (messages.length === 0) throw new Error(`${values.prompt} holds no <!-- role --> sections`);

async function ask(cachePrompt: boolean): Promise<string> {
  const response = await fetch(`${values.server}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: values.model,
      messages,
      temperature: 0,
      max_tokens: Number(values["max-tokens"]),
      cache_prompt: cachePrompt,
    }),
  });
  if (!response.ok) throw new Error(`${values.server} answered ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { choices: { message: { content: string } }[] };
  return body.choices[0]!.message.content;
}

const digest = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest("hex").slice(0, 8);
async function inTurn(cachePrompt: boolean): Promise<string[]> {
  const replies: string[] = [];
  for (let n = 0; n < times; n++) replies.push(await ask(cachePrompt));
  return replies;
}
const ways: [string, string[]][] = [
  ["one after another, prompt cache on", await inTurn(true)],
  ["one after another, prompt cache off", await inTurn(false)],
  ["all at once, prompt cache off", await Promise.all(Array.from({ length: times }, () => ask(false)))],
];
console.log(`${values.prompt}: ${messages.length} messages, ${times} greedy replies each way (${values.model})`);
for (const [way, replies] of ways)
  console.log(`${way}: ${new Set(replies).size} distinct (${replies.map(digest).join(" ")})`);
