"""models.once.LoadedOnce: the loaders' one keyed cache (one build per key, whichever
thread asks first; a failed load caches nothing)."""

from __future__ import annotations

import threading
import time

import pytest

from models.once import LoadedOnce


def test_concurrent_askers_of_one_key_share_one_build():
    cache: LoadedOnce[object] = LoadedOnce()
    builds = []

    def load():
        time.sleep(0.05)  # long enough for the other threads to arrive while it builds
        builds.append(object())
        return builds[-1]

    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.get("w.pt", load))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(builds) == 1 and len(got) == 6 and all(g is builds[0] for g in got)
    other = cache.get(("w.pt", "index"), object)
    assert other is not builds[0] and len(cache) == 2


def test_a_failed_load_is_tried_again():
    cache: LoadedOnce[int] = LoadedOnce()
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise OSError("disk hiccup")
        return 7

    with pytest.raises(OSError):
        cache.get("k", flaky)
    assert len(cache) == 0
    assert cache.get("k", flaky) == 7 and cache.get("k", flaky) == 7 and len(calls) == 2


def test_with_a_re_entrant_lock_a_load_may_ask_for_another_key():
    import threading

    once = LoadedOnce(threading.RLock())
    assert once.get("outer", lambda: once.get("inner", lambda: 1) + 1) == 2
    once.put("inner", 5)  # kept already: put keeps the first
    once.put("other", 7)
    assert once.get("inner", lambda: 0) == 1 and once.get("other", lambda: 0) == 7 and len(once) == 3
    assert sorted(once.items()) == [("inner", 1), ("other", 7), ("outer", 2)]
