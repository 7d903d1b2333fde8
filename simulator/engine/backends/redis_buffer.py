"""The bounded buffer on a Redis broker: its keys, its Lua scripts, its event lines.

The semaphore solution, across machines. A run named ``NAME`` keeps, under
``pcsim:{NAME}:`` (the braces make every key of a run one Redis Cluster hash slot):

* ``items``: the buffer, a list; a put appends on the right, a get takes from the left
  (the *exit end*, where a recovered item goes back: it is taken next);
* ``free``: K free-slot tokens; a producer takes one before it puts (and waits on this
  list, ``BLPOP``, while the buffer is full), a consumer gives one back when it is done;
* ``hand:WORKER``: the item a consumer holds, moved there atomically from ``items``;
* ``token:WORKER``: the free-slot token a waiting producer took and has not used yet;
* ``wake``: a wake-up list; each put pushes a token, a consumer that found the buffer
  empty blocks on it (with a timeout, so a lost token only delays it);
* ``events``: one stream of event lines, read by the engine in the broker's own order;
* ``ctl``: the run's live settings (held, stopping, sleep ranges and their generations),
  which joined workers (``pcsim worker``) follow; ``tickets``: the item limit's count;
  ``numbers:ROLE``: joined workers' numbers; ``beat:WORKER``: a worker's heartbeat (a
  key that expires), ``members``: the workers alive, ``joined``/``hosts``: the workers
  that joined through ``pcsim worker`` and where they run.

**Reliable hand-off.** A consumer's item sits in its own ``hand`` list from the GET script
until the DONE script removes it. Each worker refreshes its heartbeat every
:data:`BEAT_EVERY_S`; once one has expired (:data:`BEAT_TTL_MS`: the process was killed,
the machine is gone), the engine's RECOVER script moves that worker's item back to the
exit end of the buffer (taken next) and says so (RECOVERED, then the worker's STOPPED):
the books count the item once, as a put again.

**Exact books.** Every move of an item and its event are one Lua script, so one atomic
step on the broker: the engine reads PUT, GOT and CONSUMED in exactly the order the
broker applied them, whoever sent them, and the buffer length each reports is the
list's real length at that moment (the ledger's strict check holds, as on threads).
Scripts never block (Redis forbids it); a worker that must wait blocks *outside* a
script (``BLPOP`` on ``free`` or ``wake``) and then runs the script again.

A worker's other events (STARTED, SLEEP, PRODUCED, ...) wait in the worker until its next
script, which writes them first (``pre``), or until it is about to wait or sleep (one
``XADD``): its events stay in its own order, and most cost no extra round trip.

An event line is ``t|kind|worker|item|size|value``, the fields of a
:data:`~simulator.engine.events.RawEvent`; a stream entry's field ``e`` holds one or
more lines.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.engine.events import K_ERROR, RawEvent

#: the largest number of wake-up tokens kept (puts with nobody waiting leave some)
WAKE_KEEP = 64
#: a heartbeat lives this long unless refreshed: a worker silent this long is dead
BEAT_TTL_MS = 3000
BEAT_EVERY_S = 0.5  #: how often each process refreshes its workers' heartbeats


@dataclass(frozen=True, slots=True)
class Keys:
    """The key names of one run (see the module's notes)."""

    run: str

    def key(self, what: str) -> str:
        return f"pcsim:{{{self.run}}}:{what}"

    @property
    def items(self) -> str:
        return self.key("items")

    @property
    def free(self) -> str:
        return self.key("free")

    @property
    def wake(self) -> str:
        return self.key("wake")

    @property
    def events(self) -> str:
        return self.key("events")

    @property
    def ctl(self) -> str:
        return self.key("ctl")

    @property
    def tickets(self) -> str:
        return self.key("tickets")

    @property
    def members(self) -> str:
        """The set of workers alive (each keeps a heartbeat): the engine looks there for
        dead ones whose item to recover."""
        return self.key("members")

    @property
    def joined(self) -> str:
        """The set of workers that joined through ``pcsim worker`` and still run."""
        return self.key("joined")

    @property
    def hosts(self) -> str:
        """A hash: joined worker -> where it runs (its --name, or its host name)."""
        return self.key("hosts")

    def hand(self, worker: str) -> str:
        return self.key(f"hand:{worker}")

    def token(self, worker: str) -> str:
        """The free-slot token a producer took while it waited (``BLMOVE`` from ``free``)
        and has not used yet: kept on the broker, so a producer that dies here does not
        take a slot of the buffer with it."""
        return self.key(f"token:{worker}")

    def beat(self, worker: str) -> str:
        return self.key(f"beat:{worker}")

    def numbers(self, role: str) -> str:
        return self.key(f"numbers:{role}")

    def pattern(self) -> str:
        """Every key of the run (for the cleanup on an external broker)."""
        return f"pcsim:{{{self.run}}}:*"


def line(ev: RawEvent, offset: float = 0.0) -> str:
    """``ev`` as one event line; ``offset`` moves its time onto the engine's clock."""
    t, k, w, item, size, value = ev
    if k == K_ERROR:
        value = str(value).replace("\n", " ")
    return f"{t + offset!r}|{k}|{w}|{item}|{size}|{value}"


def parse(entry: str) -> list[RawEvent]:
    """The raw events of one stream entry's ``e`` field."""
    out: list[RawEvent] = []
    for text in entry.split("\n"):
        t, k, w, item, size, value = text.split("|", 5)
        kind = int(k)
        out.append(
            (float(t), kind, w, int(item), int(size), value if kind == K_ERROR else float(value))
        )
    return out


#: what a script returns to a worker the run has declared dead (see the module's notes)
FENCED = -2

# Every worker's script first checks that the worker is still a member of the run: one
# whose heartbeat expired was declared dead (RECOVER took it out of ``members``, gave its
# item and slot token back and wrote its STOPPED). If it was only stalled (SIGSTOP, a
# suspended laptop) and comes back, its scripts are *fenced*: they change nothing and
# write nothing, so an item given back is never consumed twice, and the worker leaves.

# KEYS: items, free, events, wake, members, token. ARGV: item, pre, PUT line without
# "size|value", have a token in ``token`` (1) or take one from ``free`` now (0), PUT_WAIT
# line (written when the buffer is full), the worker.
# Returns the buffer's length after the put, -1 if it is full (nothing put), or FENCED
# (a token taken while it waited goes back to ``free``).
PUT = """
if redis.call('SISMEMBER', KEYS[5], ARGV[6]) == 0 then
  while redis.call('LMOVE', KEYS[6], KEYS[2], 'LEFT', 'RIGHT') do end
  return FENCED
end
if ARGV[4] == '0' then
  if not redis.call('LPOP', KEYS[2]) then
    local w = ARGV[5]
    if ARGV[2] ~= '' then w = ARGV[2] .. '\\n' .. w end
    redis.call('XADD', KEYS[3], '*', 'e', w)
    return -1
  end
else
  redis.call('LPOP', KEYS[6])
end
local n = redis.call('RPUSH', KEYS[1], ARGV[1])
local e = ARGV[3] .. n .. '|0.0'
if ARGV[2] ~= '' then e = ARGV[2] .. '\\n' .. e end
redis.call('XADD', KEYS[3], '*', 'e', e)
redis.call('RPUSH', KEYS[4], '1')
redis.call('LTRIM', KEYS[4], -WAKE_KEEP, -1)
return n
""".replace("WAKE_KEEP", str(WAKE_KEEP)).replace("FENCED", str(FENCED))

# KEYS: events, members. ARGV: event lines, the worker. A worker's other events (see the
# module's notes), written only while it is a member. Returns 1, or FENCED.
FLUSH = """
if redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 0 then return FENCED end
redis.call('XADD', KEYS[1], '*', 'e', ARGV[1])
return 1
""".replace("FENCED", str(FENCED))

# KEYS: items, hand, events, members. ARGV: pre, GOT line prefix "t|7|worker|", GET_WAIT
# line ('' after the first try), the worker.
# Returns the item taken, false if the buffer is empty (nothing taken), or FENCED.
GET = """
if redis.call('SISMEMBER', KEYS[4], ARGV[4]) == 0 then return FENCED end
local item = redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT')
if not item then
  local w = ARGV[3]
  if ARGV[1] ~= '' then
    if w == '' then w = ARGV[1] else w = ARGV[1] .. '\\n' .. w end
  end
  if w ~= '' then redis.call('XADD', KEYS[3], '*', 'e', w) end
  return false
end
local e = ARGV[2] .. item .. '|' .. redis.call('LLEN', KEYS[1]) .. '|0.0'
if ARGV[1] ~= '' then e = ARGV[1] .. '\\n' .. e end
redis.call('XADD', KEYS[3], '*', 'e', e)
return item
""".replace("FENCED", str(FENCED))

# KEYS: hand, free, events, members. ARGV: item, pre, CONSUMED line ('' for a poison
# pill's finish, which the books do not count), the worker.
# Returns 1 (done: its slot's token goes back to ``free``), or FENCED.
DONE = """
if redis.call('SISMEMBER', KEYS[4], ARGV[4]) == 0 then return FENCED end
if redis.call('LREM', KEYS[1], 1, ARGV[1]) > 0 then redis.call('RPUSH', KEYS[2], '1') end
local e = ARGV[3]
if ARGV[2] ~= '' then
  if e == '' then e = ARGV[2] else e = ARGV[2] .. '\\n' .. e end
end
if e ~= '' then redis.call('XADD', KEYS[3], '*', 'e', e) end
return 1
""".replace("FENCED", str(FENCED))

# KEYS: hand, items, events, beat, members, wake, token, free. ARGV: RECOVERED line prefix
# "t|23|worker|", the worker's STOPPED line, the worker, '1' when the worker itself leaves
# at once (``pcsim worker``'s second Ctrl+C). A worker no longer a member has left (or
# was recovered) already: nothing to do. If its heartbeat has expired, it is dead (or it
# leaves): its in-hand item (if any) goes back to the exit end of the buffer, announced
# by RECOVERED, a slot token it took and had not used yet goes back to ``free``, and the
# worker is announced STOPPED and fenced (out of ``members``). Returns 0 (alive, or gone
# already), 1 (dead, empty handed) or 2 (dead, its item recovered).
RECOVER = """
if redis.call('SISMEMBER', KEYS[5], ARGV[3]) == 0 then return 0 end
if ARGV[4] ~= '1' and redis.call('EXISTS', KEYS[4]) == 1 then return 0 end
local e = ARGV[2]
local found = 1
local item = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
if item then
  e = ARGV[1] .. item .. '|' .. redis.call('LLEN', KEYS[2]) .. '|0.0\\n' .. e
  redis.call('RPUSH', KEYS[6], '1')
  found = 2
end
while redis.call('LMOVE', KEYS[7], KEYS[8], 'LEFT', 'RIGHT') do end
redis.call('SREM', KEYS[5], ARGV[3])
redis.call('XADD', KEYS[3], '*', 'e', e)
return found
"""
