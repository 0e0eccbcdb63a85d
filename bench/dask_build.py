"""The Python half of bench/dask_build.sh (run it, not this): one-machine
and Dask LocalCluster builds of one target, timed, and the byte-identity
of every file the script made."""

import sys, time
from pathlib import Path
from dask.distributed import Client, LocalCluster
import sslth, sslth.dask

if __name__ == "__main__":
    target, shards, out, arch, cli_s, cli_shards_s = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), sys.argv[4], \
        float(sys.argv[5]), float(sys.argv[6])
    opts = dict(k=4, weight_eps=0.01, seed=0)
    t0 = time.perf_counter()
    sslth.build(sslth.load(target), data="none", **opts).save(out / "py.safetensors")
    one = time.perf_counter() - t0
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        rounds = []
        t0 = time.perf_counter()
        ticket = sslth.dask.build(target, client, shards=shards, on_round=rounds.append, data="none", **opts)
        dask_s = time.perf_counter() - t0
        ticket.save(out / "dask.safetensors")
    files = ["cli.safetensors", "cli-merged.safetensors", "py.safetensors", "dask.safetensors"]
    same = len({(out / f).read_bytes() for f in files}) == 1
    misses = [sum(r["rfss_misses"] for r in rs) for rs in rounds]
    row = (f"| {arch} | {shards} | {cli_s:.1f} | {cli_shards_s:.1f} | {one:.1f} | {dask_s:.1f} | {len(rounds)} "
           f"({', '.join(map(str, misses))} misses) | {'yes' if same else 'NO'} |")
    table = Path("bench/out/dask_build.md")
    table.write_text("| target | shards | CLI build s | CLI shards + merge s | Python build s | Dask build s | "
                     "rounds on the cluster | files identical |\n|---|---|---|---|---|---|---|---|\n" + row + "\n")
    print(table.read_text())
    sys.exit(0 if same else 1)
