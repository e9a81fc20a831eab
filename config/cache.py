"""Django's Redis cache with one client object a process (issue 13).

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache call (its
response-callback table, a few hundred dictionary entries, each time); a queue page makes several
calls. The client is thread-safe and shares the same connection pool, so one per pool is kept.
Nothing else changes: the same pool, the same options, the same serialiser.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class PersistentClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = PersistentClient
