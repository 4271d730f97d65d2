"""The worker pool: bounded admission (back-pressure), priorities, asyncio awaiting, shutdown — with fake engines."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time

import pytest

np = pytest.importorskip("numpy")

from core.transcription.engine import AudioContext, Segment  # noqa: E402 - after the numpy check
from core.transcription.pool import HIGH, LOW, PoolBusyError, PoolClosedError, TranscriptionPool  # noqa: E402

AUDIO = np.zeros(1600, dtype=np.float32)


class GatedEngine:
    """Blocks every call until `gate` opens; records call order and the most calls seen at once."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.started = threading.Semaphore(0)
        self.calls: list[str | None] = []
        self.options: list[tuple[AudioContext | None, bool]] = []
        self.running = 0
        self.max_running = 0
        self._lock = threading.Lock()

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        initial_prompt: str | None = None,
        context: AudioContext | None = None,
        partial: bool = False,
    ) -> list[Segment]:
        with self._lock:
            self.calls.append(initial_prompt)
            self.options.append((context, partial))
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        self.started.release()
        self.gate.wait(10)
        with self._lock:
            self.running -= 1
        if initial_prompt == "boom":
            raise RuntimeError("engine failed")
        return [Segment(f"{initial_prompt}", 0.0, audio.size / 16000, 0.9)]


@pytest.fixture
def engine() -> GatedEngine:
    return GatedEngine()


def test_full_pool_refuses_at_once_then_recovers(engine) -> None:
    with TranscriptionPool(engine, workers=1, queue_size=1, reserve=0) as pool:
        first = pool.submit(AUDIO, initial_prompt="a")
        assert engine.started.acquire(timeout=5)
        second = pool.submit(AUDIO, initial_prompt="b")
        started = time.perf_counter()
        with pytest.raises(PoolBusyError, match=r"busy \(2 of 2 slots taken\)"):
            pool.submit(AUDIO, initial_prompt="c")
        assert time.perf_counter() - started < 0.5  # refused, not blocked
        assert pool.admitted == 2
        engine.gate.set()
        assert first.result(5)[0].text == "a" and second.result(5)[0].text == "b"
        deadline = time.monotonic() + 5
        while pool.admitted and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pool.admitted == 0
        assert pool.submit(AUDIO, initial_prompt="d").result(5)[0].text == "d"


def test_low_priority_is_refused_while_only_the_reserve_is_free(engine) -> None:
    with TranscriptionPool(engine, workers=1, queue_size=3, reserve=2) as pool:
        pool.submit(AUDIO, initial_prompt="running", priority=LOW)
        pool.submit(AUDIO, initial_prompt="queued", priority=LOW)  # 2 of 4 taken, 2 free = the reserve
        with pytest.raises(PoolBusyError):
            pool.submit(AUDIO, initial_prompt="partial", priority=LOW)
        pool.submit(AUDIO, initial_prompt="final", priority=HIGH)
        engine.gate.set()


def test_finals_overtake_queued_partials(engine) -> None:
    with TranscriptionPool(engine, workers=1, queue_size=4, reserve=0) as pool:
        pool.submit(AUDIO, initial_prompt="busy")
        assert engine.started.acquire(timeout=5)
        futures = [
            pool.submit(AUDIO, initial_prompt="p1", priority=LOW),
            pool.submit(AUDIO, initial_prompt="p2", priority=LOW),
            pool.submit(AUDIO, initial_prompt="f1", priority=HIGH),
            pool.submit(AUDIO, initial_prompt="f2", priority=HIGH),
        ]
        engine.gate.set()
        for future in futures:
            future.result(5)
    assert engine.calls == ["busy", "f1", "f2", "p1", "p2"]


def test_workers_share_one_engine_and_never_exceed_their_number(engine) -> None:
    with TranscriptionPool(engine, workers=2, queue_size=10) as pool:
        futures = [pool.submit(AUDIO, initial_prompt=str(i)) for i in range(8)]
        assert engine.started.acquire(timeout=5) and engine.started.acquire(timeout=5)
        time.sleep(0.05)  # a third call, if the pool allowed one, would start now
        engine.gate.set()
        assert sorted(f.result(5)[0].text for f in futures) == [str(i) for i in range(8)]
    assert engine.max_running == 2


def test_by_default_low_priority_jobs_only_start_on_an_idle_worker(engine) -> None:
    with TranscriptionPool(engine, workers=2, queue_size=4) as pool:
        pool.submit(AUDIO, initial_prompt="p1", priority=LOW)
        pool.submit(AUDIO, initial_prompt="p2", priority=LOW)
        with pytest.raises(PoolBusyError):
            pool.submit(AUDIO, initial_prompt="p3", priority=LOW)
        for i in range(4):
            pool.submit(AUDIO, initial_prompt=f"f{i}")
        with pytest.raises(PoolBusyError):
            pool.submit(AUDIO, initial_prompt="f4")
        engine.gate.set()


def test_workers_default_to_the_engines_parallelism(engine) -> None:
    engine.parallelism = 3
    pool = TranscriptionPool(engine)
    assert pool.workers == 3 and pool.capacity == 11
    pool.shutdown()


def test_await_results_from_asyncio(engine) -> None:
    engine.gate.set()

    async def main() -> None:
        with TranscriptionPool(engine, workers=2, queue_size=2) as pool:
            results = await asyncio.gather(*(pool.transcribe(AUDIO, initial_prompt=p) for p in ("x", "y")))
            assert [r[0].text for r in results] == ["x", "y"]
            with pytest.raises(RuntimeError, match="engine failed"):
                await pool.transcribe(AUDIO, initial_prompt="boom")

    asyncio.run(main())


def test_wait_for_capacity_wakes_when_a_slot_frees_and_times_out_otherwise(engine) -> None:
    async def main() -> None:
        with TranscriptionPool(engine, workers=1, queue_size=0, reserve=0) as pool:
            job = pool.submit(AUDIO, initial_prompt="long")
            with pytest.raises(PoolBusyError):
                pool.submit(AUDIO)
            assert await pool.wait_for_capacity(timeout=0.05) is False
            loop = asyncio.get_running_loop()
            loop.call_later(0.05, engine.gate.set)
            started = loop.time()
            assert await pool.wait_for_capacity(timeout=5) is True
            assert loop.time() - started < 2
            assert (await asyncio.wrap_future(job))[0].text == "long"
            assert (await pool.transcribe(AUDIO, initial_prompt="next"))[0].text == "next"

    asyncio.run(main())


def test_shutdown_refuses_new_work_and_can_cancel_the_queue(engine) -> None:
    pool = TranscriptionPool(engine, workers=1, queue_size=2, reserve=0)
    running = pool.submit(AUDIO, initial_prompt="running")
    assert engine.started.acquire(timeout=5)
    queued = pool.submit(AUDIO, initial_prompt="queued")
    threading.Timer(0.05, engine.gate.set).start()
    pool.shutdown(cancel_pending=True)
    assert queued.cancelled() and running.result(1)[0].text == "running"
    assert pool.admitted == 0
    with pytest.raises(PoolClosedError):
        pool.submit(AUDIO)


def test_a_cancelled_await_frees_its_slot(engine) -> None:
    async def main() -> None:
        with TranscriptionPool(engine, workers=1, queue_size=1, reserve=0) as pool:
            pool.submit(AUDIO, initial_prompt="running")
            task = asyncio.create_task(pool.transcribe(AUDIO, initial_prompt="abandoned"))
            await asyncio.sleep(0.05)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task  # the cancellation reaches the queued job before a worker is free to take it
            engine.gate.set()
            assert await pool.wait_for_capacity(timeout=5)
            await asyncio.sleep(0.1)
            assert pool.admitted == 0
            assert "abandoned" not in engine.calls

    asyncio.run(main())


@pytest.mark.parametrize("kwargs", [{"workers": 0}, {"queue_size": -1}, {"workers": 1, "queue_size": 1, "reserve": 2}])
def test_bad_sizes(engine, kwargs) -> None:
    with pytest.raises(ValueError):
        TranscriptionPool(engine, **kwargs)


def test_the_engine_gets_each_jobs_context_and_kind(engine) -> None:
    context = AudioContext(AUDIO, "Chest pain for two days.")
    engine.gate.set()
    with TranscriptionPool(engine, workers=1, queue_size=2, reserve=0) as pool:
        pool.submit(AUDIO, initial_prompt="final", context=context).result(5)
        pool.submit(AUDIO, initial_prompt="partial", partial=True, priority=LOW).result(5)
    assert engine.options == [(context, False), (None, True)]
