"""A bounded pool of worker threads sharing one transcription engine.

Theory of operation:
- A fixed number of threads (the engine's `parallelism`: CTranslate2 runs that many calls at once) take jobs from a
  priority queue. Capacity is counted, not queued without bound: `workers + queue_size` jobs may be admitted
  (running or waiting); the next `submit` raises `PoolBusyError` at once. That is the back-pressure signal: the
  server drops a partial, stops reading the socket until `wait_for_capacity` returns, or ends the session with
  `busy` — it never piles audio up in memory.
- Finals outrank partials. A low-priority (partial) job is also refused unless more than `reserve` slots are free;
  by default `reserve` is the queue's size, so a partial runs only on an idle worker and never waits in the queue.
  In a 4-stream run on 2 cores with partials allowed to queue (reserve 2 of 10), finals arrived a median 6.5 s
  after the speaker paused: each one waited behind queued partials' worth of running work. Partials are the
  cheap thing to drop — the final replaces them anyway.
- `submit` returns a `concurrent.futures.Future`; `transcribe` awaits one from asyncio without blocking the loop.
  Slots free up on worker threads; asyncio waiters are woken with `call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import queue
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.transcription.engine import AudioContext, Segment, TranscriptionEngine

HIGH = 0  # finals: somebody is waiting for this text
LOW = 1  # partials: nice to have
_STOP = 2  # shutdown markers sort after all work, so queued jobs finish first


class PoolBusyError(RuntimeError):
    """Every worker is busy and the queue is full: apply back-pressure (server side, not the client's fault)."""


class PoolClosedError(RuntimeError):
    """The pool has been shut down."""


@dataclass(order=True)
class _Item:
    priority: int
    seq: int
    audio: Any = field(compare=False)
    initial_prompt: str | None = field(compare=False)
    future: concurrent.futures.Future[list[Segment]] | None = field(compare=False)
    context: AudioContext | None = field(default=None, compare=False)
    partial: bool = field(default=False, compare=False)


class TranscriptionPool:
    """`workers` threads running `engine.transcribe`, admitting at most `workers + queue_size` jobs at a time.

    Args:
        engine: shared by every worker; must be thread-safe (FasterWhisperEngine is).
        workers: threads; default the engine's `parallelism` (or 1).
        queue_size: jobs that may wait beyond those running.
        reserve: free slots kept for high-priority jobs; low-priority ones are refused unless more are free.
            Default `queue_size`: low-priority jobs only start on an idle worker.
    """

    def __init__(
        self,
        engine: TranscriptionEngine,
        *,
        workers: int | None = None,
        queue_size: int = 8,
        reserve: int | None = None,
    ) -> None:
        workers = workers if workers is not None else int(getattr(engine, "parallelism", 1))
        reserve = reserve if reserve is not None else queue_size
        if workers < 1 or queue_size < 0 or not 0 <= reserve <= workers + queue_size - 1:
            raise ValueError("need workers >= 1, queue_size >= 0 and 0 <= reserve < workers + queue_size")
        self.engine = engine
        self.workers = workers
        self.capacity = workers + queue_size
        self.reserve = reserve
        self._queue: queue.PriorityQueue[_Item] = queue.PriorityQueue()
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._admitted = 0
        self._closed = False
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()
        self._threads = [
            threading.Thread(target=self._work, name=f"transcribe-{i}", daemon=True) for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    @property
    def admitted(self) -> int:
        """Jobs running or waiting now."""
        return self._admitted

    def submit(
        self,
        audio: np.ndarray,
        *,
        initial_prompt: str | None = None,
        context: AudioContext | None = None,
        partial: bool = False,
        priority: int = HIGH,
    ) -> concurrent.futures.Future[list[Segment]]:
        """Queue one transcription (the engine's arguments, and its priority); PoolBusyError at once when the pool
        is full (never blocks)."""
        future: concurrent.futures.Future[list[Segment]] = concurrent.futures.Future()
        with self._lock:
            if self._closed:
                raise PoolClosedError("the transcription pool is shut down")
            free = self.capacity - self._admitted
            if free <= 0 or (priority != HIGH and free <= self.reserve):
                raise PoolBusyError(f"transcription pool busy ({self._admitted} of {self.capacity} slots taken)")
            self._admitted += 1
            self._queue.put(_Item(priority, next(self._seq), audio, initial_prompt, future, context, partial))
        return future

    async def transcribe(
        self, audio: np.ndarray, *, initial_prompt: str | None = None, priority: int = HIGH
    ) -> list[Segment]:
        """Submit and await the result from asyncio; raises PoolBusyError at once when full."""
        future = self.submit(audio, initial_prompt=initial_prompt, priority=priority)
        return await asyncio.wrap_future(future)

    async def wait_for_capacity(self, timeout: float | None = None, *, priority: int = HIGH) -> bool:
        """Wait until a job of `priority` would be admitted (not a reservation: submit may still race and fail).

        Returns False on timeout. A server awaits this before reading the next audio message, so a slow pool slows
        the client down through TCP flow control instead of growing a backlog.
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            with self._lock:
                if self._closed:
                    raise PoolClosedError("the transcription pool is shut down")
                free = self.capacity - self._admitted
                if free > (0 if priority == HIGH else self.reserve):
                    return True
                waiter: asyncio.Future[None] = loop.create_future()
                self._waiters.append((loop, waiter))
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return False
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                return False

    def shutdown(self, *, wait: bool = True, cancel_pending: bool = False) -> None:
        """Refuse new jobs; let queued ones finish (or cancel them), then stop the threads."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if cancel_pending:
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item.future is not None and item.future.cancel():
                    self._release()
        for _ in self._threads:
            self._queue.put(_Item(_STOP, next(self._seq), None, None, None))
        if wait:
            for thread in self._threads:
                thread.join()

    def __enter__(self) -> TranscriptionPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item.future is None:
                return
            try:
                if not item.future.set_running_or_notify_cancel():
                    continue  # cancelled while queued
                try:
                    result = self.engine.transcribe(
                        item.audio, initial_prompt=item.initial_prompt, context=item.context, partial=item.partial
                    )
                except Exception as exc:  # noqa: BLE001 - handed to whoever awaits the future
                    item.future.set_exception(exc)
                else:
                    item.future.set_result(result)
            finally:
                self._release()

    def _release(self) -> None:
        with self._lock:
            self._admitted -= 1
            waiters = list(self._waiters)
            self._waiters.clear()
        for loop, waiter in waiters:
            loop.call_soon_threadsafe(_wake, waiter)


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
