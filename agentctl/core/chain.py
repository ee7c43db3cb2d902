"""The delegation chain of RFC 8693 §4.1.

`act` names the current actor; an `act` nested inside it names the actor before, and so on:
the deepest is the oldest. Only the top-level claims and the outermost actor may drive access
control; nested actors are history, informational only, and not signed per hop.
"""

from __future__ import annotations

from typing import Any

MAX_WALK = 64  # the JSON depth cap already bounds this; a second cap keeps the walk obvious
TIME_CLAIMS_IN_ACT = ("exp", "nbf", "aud", "iat")


class Actor:
    """One `act` level."""

    __slots__ = ("client_id", "extra", "id", "issuer", "profile")

    id: str | None
    issuer: str | None
    profile: str | None
    client_id: str | None
    extra: dict[str, Any]

    def __init__(
        self,
        id: str | None,  # noqa: A002 - the JSON field is "id"
        issuer: str | None = None,
        profile: str | None = None,
        client_id: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.id = id
        self.issuer = issuer
        self.profile = profile
        self.client_id = client_id
        self.extra = extra if extra is not None else {}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(
            getattr(self, n) == getattr(other, n) for n in self.__slots__
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def key(self) -> tuple[str | None, str | None]:
        return (self.id, self.issuer)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "issuer": self.issuer,
            "profile": self.profile,
            "client_id": self.client_id,
        }


class Chain:
    """Actors newest first: `actors[0]` is the current actor."""

    __slots__ = ("actors", "cycle", "malformed", "meaningless_claims")

    actors: list[Actor]
    malformed: list[str]
    meaningless_claims: list[tuple[int, str]]
    cycle: bool

    def __init__(
        self,
        actors: list[Actor],
        malformed: list[str] | None = None,
        meaningless_claims: list[tuple[int, str]] | None = None,
        cycle: bool = False,
    ) -> None:
        self.actors = actors
        self.malformed = malformed if malformed is not None else []
        self.meaningless_claims = meaningless_claims if meaningless_claims is not None else []
        self.cycle = cycle

    @property
    def current(self) -> Actor | None:
        return self.actors[0] if self.actors else None

    @property
    def prior(self) -> list[Actor]:
        return self.actors[1:]

    @property
    def depth(self) -> int:
        return len(self.actors)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def actor_from(obj: dict[str, Any]) -> Actor:
    profile = obj.get("sub_profile")
    return Actor(
        id=_str(obj.get("sub")) or _str(obj.get("client_id")),
        issuer=_str(obj.get("iss")),
        profile=" ".join(profile.split()) if isinstance(profile, str) else None,
        client_id=_str(obj.get("client_id")),
        extra={k: v for k, v in obj.items() if k not in ("sub", "iss", "sub_profile", "act")},
    )


# The deepest `act` chain agentctl's IdP mints (RFC 8693 sets no limit; a bound keeps audit
# lines readable and delegation loops finite). `inspect --verify` holds any token to it.
MAX_CHAIN_DEPTH = 4


def chain_problem(chain: Chain, limit: int = MAX_CHAIN_DEPTH) -> str | None:
    """Why a well-signed token's delegation chain is still unacceptable, or None."""
    if chain.cycle:
        repeated = next(
            (
                a.id
                for i, a in enumerate(chain.actors)
                if a.key in {b.key for b in chain.actors[:i]}
            ),
            None,
        )
        return f"the act chain repeats an actor ({repeated}): a delegation loop"
    if chain.depth > limit:
        return f"the act chain has {chain.depth} actors; more than the {limit} an IdP should mint"
    return None


def parse_chain(payload: dict[str, Any]) -> Chain:
    """Walk `act` → `act.act` → …; never recursion, never unbounded."""
    actors: list[Actor] = []
    malformed: list[str] = []
    meaningless: list[tuple[int, str]] = []
    seen: set[tuple[str | None, str | None]] = set()
    cycle = False
    node: Any = payload.get("act")
    level = 0
    while node is not None and level < MAX_WALK:
        level += 1
        if not isinstance(node, dict):
            malformed.append(f"act at level {level} is not a JSON object")
            break
        actor = actor_from(node)
        if actor.id is None:
            malformed.append(f"act at level {level} has no sub")
        if actor.id is not None and actor.key in seen:
            cycle = True
        seen.add(actor.key)
        meaningless.extend((level, name) for name in TIME_CLAIMS_IN_ACT if name in node)
        actors.append(actor)
        node = node.get("act")
    return Chain(actors, malformed, meaningless, cycle)


def may_act_allows(may_act: Any, actor: Actor) -> bool | None:
    """RFC 8693 §4.4: does `may_act` name `actor`? None when `may_act` says nothing usable."""
    if not isinstance(may_act, dict):
        return None
    allowed_sub = _str(may_act.get("sub")) or _str(may_act.get("client_id"))
    if allowed_sub is None:
        return None
    if allowed_sub not in (actor.id, actor.client_id):
        return False
    allowed_iss = _str(may_act.get("iss"))
    return allowed_iss is None or actor.issuer in (None, allowed_iss)


__all__ = [
    "MAX_CHAIN_DEPTH",
    "MAX_WALK",
    "Actor",
    "Chain",
    "actor_from",
    "chain_problem",
    "may_act_allows",
    "parse_chain",
]
