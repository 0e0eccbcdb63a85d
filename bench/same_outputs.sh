#!/usr/bin/env bash
# Byte-identity check for refactors: runs one sslth binary through every
# command that writes files (the three demos, train/build/expand/predict on
# digits and Fashion-MNIST --k 4, frontier, compare, popup, rfss
# phase/coverage) into a folder, then prints one sha256 per file. Run it
# with two binaries and diff the lists:
#   bash bench/same_outputs.sh OLD_BINARY /tmp/old > old.txt
#   bash bench/same_outputs.sh target/release/sslth /tmp/new > new.txt
#   diff old.txt new.txt
# Fields that hold wall-clock times (JSON *_seconds, CSV seconds columns)
# are blanked before hashing; everything else must match byte for byte.
set -euo pipefail
bin=$(realpath "$1"); out=$2
rm -rf "$out"; mkdir -p "$out"; cd "$out"
q() { "$bin" "$@" > /dev/null; }
for m in mlp cnn deepsets; do q demo --model $m --out demo-$m --json; done
q train --data digits --arch 64-32-10 --bias --epochs 5 -o t.safetensors
q build --target t.safetensors --density 0.1 --weight-eps 0.01 -o b.safetensors --json
q build --target t.safetensors --density 0.1 --eps 1 --accept-over-eps --compact -o bc.safetensors
q expand --input bc.safetensors -o be.safetensors
python3 - <<'PY2'
import struct
head = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 64), }"
head += " " * (63 - (10 + len(head)) % 64) + "\n"
body = b"".join(struct.pack("<f", float(i % 17)) for i in range(3 * 64))
open("x.npy", "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(head)) + head.encode() + body)
PY2
q predict --model b.safetensors --input x.npy -o p.npy
if [ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
  q train --data fashion-mnist --arch 784-64-10 --bias --epochs 1 -o f.safetensors
  q build --target f.safetensors --k 4 --weight-eps 0.01 -o fk4.safetensors --json
  q build --target f.safetensors --k 4 --weight-eps 0.01 --compact -o fk4c.safetensors
fi
q frontier --target t.safetensors --ks 2,4 --out frontier
q compare --arch 64-16-10 --target-epochs 2 --popup-epochs 1 --densities 0.3 --widths 1 --out compare
q popup --data digits --arch 64-100-10 --density 0.5 --epochs 2 -o pop.safetensors
q rfss phase --k 2 --eps 0.01 --trials 20 --out phase
q rfss coverage --k 2 --eps 0.01 --trials 20 --out coverage
q rfss report --quick --out report
# Blank wall-clock fields, then hash.
python3 - <<'PY'
import csv, glob, hashlib, io, json, re
for p in sorted(glob.glob('**/*', recursive=True)):
    if p.endswith('/') or not __import__('os').path.isfile(p):
        continue
    data = open(p, 'rb').read()
    if p.endswith('.json'):
        data = re.sub(rb'"(\w*seconds)": [0-9.e+-]+', rb'"\1": T', data)
    if p.endswith('.csv') and (b'seconds' in data.split(b'\n')[0]):
        rows = list(csv.reader(io.StringIO(data.decode())))
        cols = [i for i, h in enumerate(rows[0]) if 'seconds' in h]
        for r in rows[1:]:
            for i in cols:
                if i < len(r): r[i] = 'T'
        data = '\n'.join(','.join(r) for r in rows).encode()
    if p.endswith('.md'):
        data = re.sub(rb'[0-9]+ s on this', b'T s on this', data)
        lines = data.decode().split('\n')
        cols = []
        for j, l in enumerate(lines):
            cells = l.split('|')
            if any(c.endswith(' s') for c in cells):
                cols = [i for i, c in enumerate(cells) if c.endswith(' s')]
            elif cols and l.startswith('|') and not l.startswith('|---'):
                for i in cols:
                    cells[i] = 'T'
                lines[j] = '|'.join(cells)
        data = '\n'.join(lines).encode()
    print(hashlib.sha256(data).hexdigest()[:16], p)
PY
