"""moto's server, with three changes: DynamoDB transactions cost the same
whatever the table's size, queries read only what their key can match,
and each email SES is sent records when (sent_at, which moto does not
keep), for the local outbox.

moto makes a transaction undoable by deep-copying every table it touches
before it starts: on a table of 4,000 items that is 270 ms a transaction
(3 ms on an empty one), which made the load test take minutes. Here the
copy shares the items the transaction does not touch and deep-copies those
it does, so a rollback restores exactly what moto's own would. This is safe
because the local stack sends DynamoDB requests one at a time (gate.go), so
no other request changes an item while a transaction runs.
"""
import copy
import sys
import threading
from collections import defaultdict
from datetime import datetime, timezone

from moto.dynamodb import models as ddb
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.ses import models as ses

_deepcopy = copy.deepcopy
_running = threading.local()  # the transaction's items, while it runs


def _key(table, op):
    attrs = op.get("Key") or op.get("Item") or {}
    h = attrs.get(table.hash_key_attr)
    r = attrs.get(table.range_key_attr) if table.has_range_key else None
    return (DynamoType(h) if h else None), (DynamoType(r) if r else None)


def _snapshot(table):
    snap = copy.copy(table)
    if table.has_range_key:
        snap.items = defaultdict(dict, {h: dict(rs) for h, rs in table.items.items()})
    else:
        snap.items = defaultdict(dict, table.items)
    for entry in getattr(_running, "items", None) or []:
        _, op = next(iter(entry.items()))
        if op.get("TableName") != table.name:
            continue
        h, r = _key(table, op)
        if table.has_range_key:
            if h in table.items and r in table.items[h]:
                snap.items[h][r] = _deepcopy(table.items[h][r])
        elif h in table.items:
            snap.items[h] = _deepcopy(table.items[h])
    return snap


class _Copy:
    """Stands in for the copy module inside moto.dynamodb.models."""

    copy = staticmethod(copy.copy)

    @staticmethod
    def deepcopy(x, memo=None):
        if isinstance(x, Table) and getattr(_running, "items", None):
            return _snapshot(x)
        return _deepcopy(x, memo)


_transact = ddb.DynamoDBBackend.transact_write_items


def _transact_write_items(self, transact_items):
    _running.items = transact_items
    try:
        return _transact(self, transact_items)
    finally:
        _running.items = None


ddb.copy = _Copy
ddb.DynamoDBBackend.transact_write_items = _transact_write_items

# Queries: moto's Table.query reads the whole table, sorted, for every
# query, even of one partition (all_items): 150-200 ms a query on a table of
# 2,500 items, in a busy run most of moto's time. Here a query reads only
# the items its hash key condition can match (the partition, or for an
# index the items holding the key's value), sorted as all_items sorts
# them, so that it returns exactly what moto's own would. Safe for the
# same reason as above: one DynamoDB request at a time.
_all_items = Table.all_items
_query = Table.query
_scope = threading.local()  # the query's hash key condition, while it runs


def _sorted(items):
    return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)


def _all_items_scoped(self):
    scope = getattr(_scope, "query", None)
    if scope is None or scope[0] is not self:
        return _all_items(self)
    _, hash_key, conditions = scope
    if conditions is None:  # the table's own key: one partition
        part = self.items.get(hash_key)
        if part is None:
            return []
        return _sorted(part.values() if self.range_key_attr else [part])
    items = []
    for hash_set in self.items.values():
        for item in hash_set.values() if self.range_key_attr else [hash_set]:
            if all((v := item.attrs.get(a)) and v == want for a, want in conditions):
                items.append(item)
    return _sorted(items)


def _query_scoped(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward,
                  projection_expressions, index_name=None, *args, **kwargs):
    conditions = kwargs.get("hash_key_conditions")
    if index_name:
        scope = (self, hash_key, list(conditions)) if conditions else None
    else:
        scope = (self, hash_key, None) if hash_key is not None else None
    _scope.query = scope
    try:
        return _query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward,
                      projection_expressions, index_name, *args, **kwargs)
    finally:
        _scope.query = None


Table.all_items = _all_items_scoped
Table.query = _query_scoped

_message_init = ses.Message.__init__


def _message_init_with_time(self, *args, **kwargs):
    _message_init(self, *args, **kwargs)
    # In moto's /moto-api/data.json with the message: when SES took it.
    self.sent_at = datetime.now(timezone.utc).isoformat(timespec="milliseconds")


ses.Message.__init__ = _message_init_with_time

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main(sys.argv[1:]))
