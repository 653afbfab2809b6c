"""Round-2 control for the family v3 recipe probe: the token stream of the skill documents alone.

Is key-value lookup, needle finding and passage reading learnable at all in kick's formats and tokenizer when
nothing else competes for the model's capacity? Reads an `npm run data` build (data/corpus/docs.jsonl gives each
document's kind, in shard order; documents end with <|endoftext|> = 8191 in data/tokens/train-*.bin) and writes
OUT/tokens/train-000.bin with every `skill:*` document, in order.

  python3 scripts/gpu-host/skills_only_tokens.py data OUT   # then add tokenizer.json and the suites as for v3/
"""
import glob, json, os, sys

import numpy as np

EOS = 8191


def main(data, out):
    kinds = [json.loads(line)["kind"] for line in open(os.path.join(data, "corpus", "docs.jsonl"))]
    toks = np.concatenate([np.fromfile(p, dtype="<u2") for p in sorted(glob.glob(os.path.join(data, "tokens", "train-*.bin")))])
    ends = np.flatnonzero(toks == EOS)
    if len(ends) != len(kinds):
        sys.exit(f"{data}: {len(ends)} documents in the token shards, {len(kinds)} in corpus/docs.jsonl (rebuild with npm run data)")
    starts = np.concatenate([[0], ends[:-1] + 1])
    keep = [i for i, k in enumerate(kinds) if k.startswith("skill:")]
    os.makedirs(os.path.join(out, "tokens"), exist_ok=True)
    np.concatenate([toks[starts[i] : ends[i] + 1] for i in keep]).astype("<u2").tofile(os.path.join(out, "tokens", "train-000.bin"))
    print(f"{len(keep)} skill documents of {len(kinds)} → {out}/tokens/train-000.bin")


if __name__ == "__main__":
    main(*sys.argv[1:3])
