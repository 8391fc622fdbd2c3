"""Rapport's storage in Redis: one module per concept, every key named in `keys`.

Functions take a `redis.asyncio.Redis` and the tenant explicitly: there is no global client, and
every read or write is scoped to a tenant by the key it uses, so one tenant cannot reach another
tenant's data through this layer.
"""
