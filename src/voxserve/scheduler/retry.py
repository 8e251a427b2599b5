"""How long a refused client should wait before it asks again (the 429's ``Retry-After``).

A refusal's own estimate is the time until the refused request would fit: its overrun of the
deadline plus a second. Under sustained overload every refused client gets about the same
figure, so they all come back together, and all but the one or two that fit are refused again:
at 100 clients on two workers that is some 30 refusals a second for 4 admissions, each one
parsed, checked against the admitted work and answered on the CPU the workers need (and handled
on the clients' side as well).

So each refusal also looks at the crowd: the clients refused lately that are not due back yet
(each told when to come back), against the requests admitted per second over the last
``window`` seconds. Told to come back within ``waiting / (invite * admitted per second)``
seconds, spread at random over the second half of that time so that clients refused together do
not return together, they come back some ``invite`` (3) to 6 times as fast as requests are
admitted: enough to keep the admitted queue (which holds several requests' work) from running
dry. In the scheduler's closed-loop simulation (tests/scheduler/test_admission.py) the workers
stay as busy as when every refused client comes back at the earliest moment it could fit, with
a quarter of the refusals at 100 clients. The wait is capped at ``cap`` seconds: clients that ask
again without waiting look like a larger crowd, and the polite ones are not told to wait longer
than that because of them.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from collections.abc import Callable

WINDOW_S = 10.0
INVITE = 3.0
CAP_S = 10.0


class RetryAdvisor:
    """Retry-After seconds for refusals, from the recent refusals and admissions."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        window: float = WINDOW_S,
        invite: float = INVITE,
        cap: float = CAP_S,
        rng: random.Random | None = None,
    ) -> None:
        self._clock = clock
        self._window = window
        self._invite = invite
        self._cap = cap
        self._rng = rng or random.Random()
        self._admitted: deque[float] = deque()
        self._due_back: list[float] = []
        """A heap of the times the refused clients not back yet were told to come back."""

    def admitted(self) -> None:
        """An interactive request was admitted now."""
        self._admitted.append(self._clock())

    def refused(self, over: float) -> float:
        """A request was refused now, ``over`` seconds short of fitting: the whole seconds it
        should wait before it asks again (at least 1)."""
        now = self._clock()
        self._forget(now)
        after = max(1.0, math.ceil(over + 1), self._crowd_wait())
        heapq.heappush(self._due_back, now + after)
        return after

    def _crowd_wait(self) -> float:
        """A wait that brings the clients refused lately back ``invite`` to twice ``invite``
        times as fast as requests are admitted (0 before any admission)."""
        if not self._admitted:
            return 0.0
        admitted_per_s = len(self._admitted) / self._window
        wait = min(self._cap, len(self._due_back) / (self._invite * admitted_per_s))
        return float(math.ceil(wait * self._rng.uniform(0.5, 1.0)))

    def _forget(self, now: float) -> None:
        while self._admitted and self._admitted[0] < now - self._window:
            self._admitted.popleft()
        while self._due_back and self._due_back[0] <= now:
            heapq.heappop(self._due_back)
