"""Check kick's tokenizer.json and its TypeScript encoders against the Hugging Face `tokenizers`
library. Run on the GPU host (Python 3.12 + tokenizers), from the repo root:

    python3 test/reference/tokenizer_check.py [OUT_DIR]

Reads data/tokenizer/tokenizer.json and test/fixtures/tokenizer/ts_ids.json (written by
scripts/data/tokenizer-fixture.ts), encodes every sample with `tokenizers`, compares ids with the
TypeScript ones and checks that decoding gives the text back. Writes python_ids.json to OUT_DIR
(default: $OUT or .) and exits 1 on any mismatch."""
import hashlib
import json
import os
import sys

import tokenizers
from tokenizers import Tokenizer

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
tok_path = os.path.join(root, "data", "tokenizer", "tokenizer.json")
fixture = json.load(open(os.path.join(root, "test", "fixtures", "tokenizer", "ts_ids.json"), encoding="utf-8"))
tok_bytes = open(tok_path, "rb").read()
assert hashlib.sha256(tok_bytes).hexdigest() == fixture["tokenizer_sha256"], "ts_ids.json was made with another tokenizer.json"
tok = Tokenizer.from_file(tok_path)

rows, bad = [], 0
for s in fixture["samples"]:
    ids = tok.encode(s["text"], add_special_tokens=False).ids
    decoded = tok.decode(ids, skip_special_tokens=False)
    ok_hf = ids == s["hf_js_ids"]
    ok_fast = s["fast_ids"] is None or ids == s["fast_ids"]
    ok_rt = decoded == s["text"]
    if not (ok_hf and ok_fast and ok_rt):
        bad += 1
        print(f"MISMATCH {s['name']}: hf_js={ok_hf} fast={ok_fast} roundtrip={ok_rt} text={s['text'][:60]!r}")
    rows.append({"name": s["name"], "ids": ids, "roundtrip": ok_rt})

out_dir = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("OUT", ".")
os.makedirs(out_dir, exist_ok=True)
with open(os.path.join(out_dir, "python_ids.json"), "w", encoding="utf-8") as f:
    json.dump({"tokenizers_version": tokenizers.__version__, "tokenizer_sha256": fixture["tokenizer_sha256"], "vocab_size": tok.get_vocab_size(), "samples": rows}, f)
n = len(fixture["samples"])
tokens = sum(len(r["ids"]) for r in rows)
print(f"tokenizers {tokenizers.__version__}: {n - bad}/{n} samples match ({tokens} tokens), vocab {tok.get_vocab_size()}")
sys.exit(1 if bad else 0)
