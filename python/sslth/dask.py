"""Sharded builds on a Dask cluster (``dask.distributed``).

    from dask.distributed import Client
    import sslth.dask
    client = Client("tcp://scheduler:8786")      # or Client(LocalCluster(...))
    ticket = sslth.dask.build("target.safetensors", client, k=4, weight_eps=0.01)
    ticket.save("ticket.safetensors", compact=True)

Each share of the build (:func:`sslth.build_shard`) is a task; the
workers need the ``sslth`` package, not the target file (its bytes are
sent to them). The client merges the shares (:func:`sslth.merge`) into
exactly the ticket :func:`sslth.build` makes on one machine. This module
imports nothing from Dask: it calls the ``client`` it is given.
"""

from pathlib import Path

import sslth


def _share(target_bytes, shard, after, options):
    """One task: share ``shard`` of the build, on a worker (the target read
    from its bytes, no file written)."""
    return sslth.build_shard(sslth.loads(target_bytes), shard, after=after, **options)


def build(target, client, shards=None, repair_rounds=True, data=None, on_round=None, **options):
    """Build a ticket of the target file ``target`` (a path) with its work
    shared among the workers of the ``dask.distributed`` ``client``.

    ``shards`` tasks per round (default: the cluster's worker threads).
    Round 1 builds every pair at the planned n; while a round leaves pairs
    with missed instances (and ``repair_rounds``), the next round rebuilds
    them at a larger n on the cluster too (each task then receives the
    earlier rounds' shard files). The client merges all rounds
    (:func:`sslth.merge`, measuring on ``data`` as :func:`sslth.build`
    does); whatever is still to repair is built there. ``options`` are
    :func:`sslth.build`'s (``k``, ``weight_eps``, ``seed``…). Returns the
    ticket; ``on_round``, if given, is called with the list of each round's
    task reports (:func:`sslth.build_shard`'s) as the round ends.
    """
    payload = Path(target).read_bytes()
    count = shards or max(1, sum(client.nthreads().values()))
    remote = client.scatter(payload, broadcast=True)
    files = []
    while True:
        after = client.scatter(files, broadcast=True) if files else []
        tasks = [client.submit(_share, remote, (i, count), after, options, pure=False) for i in range(count)]
        results = client.gather(tasks)
        if not results[0][1]["attempts"]:
            break
        files.extend(b for b, _ in results)
        if on_round is not None:
            on_round([r for _, r in results])
        if not repair_rounds or sum(r["rfss_misses"] for _, r in results) == 0:
            break
    return sslth.merge(sslth.load(target), files, data=data)


__all__ = ["build"]
