"""StarCraft II facts the mini-games need: unit stats and the five maps' rules, each with its source.

Sources (abbreviations used below):
- [LP]: Liquipedia's Legacy of the Void unit pages (liquipedia.net/starcraft2/<Unit>_(Legacy_of_the_Void)),
  which tabulate the game's own data: hit points, armor, attributes, damage and bonus, range,
  weapon cooldown and movement speed at "Faster" speed, sight.
- [DATA]: the game's data editor values (weapon period in "Normal" game seconds, unit radius),
  as reported by PySC2's raw units (``radius``) and by Liquipedia (period = Faster cooldown x 1.4).
- [MG]: PySC2's mini-game descriptions, docs/mini_games.md (google-deepmind/pysc2).
- [PYSC2]: PySC2 4.0 source: ``maps/mini_games.py`` (step_mul 8), ``lib/units.py`` (type ids),
  ``lib/features.py`` (the camera is 24 world units wide by default).
- [SPEED]: the game runs 16 game loops per game second ("Normal" speed); "Faster", the ladder speed
  whose real seconds Liquipedia quotes, is 1.4x Normal: 22.4 game loops per real second
  (liquipedia.net/starcraft2/Game_Speed; PySC2 docs/environment.md "Game speed").
- [TIMER]: the maps' time limits are trigger timers in game seconds, 16 game loops each: PySC2 counts
  time the same way (``maps/ladder.py``: ``game_steps_per_episode = 16 * 60 * 30  # 30 minute limit``;
  PySC2 issue #90: the mini-games run at 16 game loops per second). 120 s is 1920 game loops, 240
  agent steps at step_mul 8; 180 s (FindAndDefeatZerglings) 2880 loops, 360 steps. Cross-check: with
  22.4 loops per second instead, this engine's straight-to-the-beacon agent would score 38 on
  MoveToBeacon, far above the SC2LE grandmaster's 28; with 16 it scores 27.

Unit conventions: distances in map cells, speeds in cells per second at Faster, cooldowns in seconds
at Faster (derived loop counts below), ranges edge to edge (as the game measures them: centre
distance minus both radii).

Not modelled (no unit in these mini-games needs them): shields (Zerg and Terran have none), upgrades,
creep, Zerg regeneration (0.27 hp/s, too slow to matter in a 120 s skirmish), the weapons' small
random delay between attacks, projectile travel time (Roach acid), acceleration and collisions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

GAME_LOOPS_PER_SECOND = 22.4  # [SPEED]: game loops per real second at Faster (stats are quoted at Faster)
GAME_LOOPS_PER_GAME_SECOND = 16  # [SPEED], [TIMER]: game loops per game second (the maps' timers)
STEP_MUL = 8  # [PYSC2] maps/mini_games.py: MiniGame.step_mul = 8


@dataclass(frozen=True)
class UnitStats:
    """One unit type's stats; see the module docstring for units and sources."""

    name: str
    unit_type: int  # [PYSC2] lib/units.py id (neutral pick-ups: the ids PySC2 reports for them)
    health: float
    armor: float = 0.0
    light: bool = False  # the Light attribute (Baneling bonus damage)
    damage: float = 0.0
    bonus_light: float = 0.0  # extra damage against Light targets
    range: float = 0.0  # weapon range, edge to edge
    cooldown: float = 0.0  # seconds between attacks at Faster
    speed: float = 0.0  # cells per second at Faster
    radius: float = 0.5
    sight: float = 0.0
    splash: float = 0.0  # area-of-effect radius around the attacker (Baneling)
    suicide: bool = False  # the unit dies when it attacks (Baneling)

    @property
    def cooldown_loops(self) -> int:
        """Game loops from one attack to the next: the first whole loop after the period ran out."""
        return math.ceil(self.cooldown * GAME_LOOPS_PER_SECOND - 1e-6)

    @property
    def speed_per_loop(self) -> float:
        """Cells moved per game loop."""
        return self.speed / GAME_LOOPS_PER_SECOND


# [LP] Marine: 45 hp, 0 armor, Light Biological; C-14 Gauss Rifle 6 damage, range 5, cooldown 0.61 s
# ([DATA] period 0.8608 Normal s = 13.77 loops -> fires every 14 loops); speed 3.15; sight 9; radius 0.375.
MARINE = UnitStats(
    "Marine", 48, health=45, light=True, damage=6, range=5, cooldown=0.8608 / 1.4, speed=3.15, radius=0.375, sight=9
)
# [LP] Zergling: 35 hp, 0 armor, Light Biological; claws 5 damage, melee (range 0.1), cooldown 0.497 s
# ([DATA] period 0.696 Normal s = 11.14 loops -> every 12 loops); speed 4.13 (no Metabolic Boost); sight 8.
ZERGLING = UnitStats(
    "Zergling", 105, health=35, light=True, damage=5, range=0.1, cooldown=0.696 / 1.4, speed=4.13, radius=0.375, sight=8
)
# [LP] Roach: 145 hp, 1 armor, Armored Biological; Acid Saliva 16 damage, range 4, cooldown 1.43 s
# ([DATA] period 2.0 Normal s = 32 loops); speed 3.15 (no Glial Reconstitution); sight 9; radius 0.625.
ROACH = UnitStats(
    "Roach", 110, health=145, armor=1, damage=16, range=4, cooldown=2.0 / 1.4, speed=3.15, radius=0.625, sight=9
)
# [LP] Baneling: 30 hp, 0 armor, Biological (not Light); Volatile Burst 16 (+19 vs Light) in patches 3.x-4.x,
# the SC2LE era (20 (+15 vs Light) since 4.7.1: the same 35 against Marines, the only targets here);
# range 0.25, splash radius 2.2, dies when it attacks and also bursts when killed; speed 3.5 (no Centrifugal
# Hooks); sight 8; radius 0.375.
BANELING = UnitStats(
    "Baneling",
    9,
    health=30,
    damage=16,
    bonus_light=19,
    range=0.25,
    speed=3.5,
    radius=0.375,
    sight=8,
    splash=2.2,
    suicide=True,
)
# The neutral targets. Type ids as PySC2 reports them: the MoveToBeacon beacon is unit type 317, the
# Liberty-mod mineral shard 1680. Radii are this engine's approximations (not published): a beacon is
# reached, a shard collected, when the Marine overlaps it.
BEACON = UnitStats("Beacon", 317, health=0, radius=1.0)
MINERAL_SHARD = UnitStats("MineralShard", 1680, health=0, radius=0.5)

UNIT_TYPES: tuple[UnitStats, ...] = (MARINE, ZERGLING, ROACH, BANELING, BEACON, MINERAL_SHARD)


@dataclass(frozen=True)
class MiniGameSpec:
    """One mini-game: its time limit [MG], playable area, own units and score rules [MG].

    ``size`` (width, height) of the playable area in cells is this engine's approximation, not a
    measurement: the map files are not read here. The four single-screen maps [MG] are 24 cells wide,
    the width of PySC2's camera [PYSC2], and 17 high, the height that puts straight-line scripted play
    next to the SC2LE experts (MoveToBeacon 27 beacons against the grandmaster's 28; CollectMineralShards
    138 shards against the human's 133). FindAndDefeatZerglings needs camera movement [MG]: 36 x 36
    holds its 25 Zerglings at least 5 apart, 23 of them 10.5 or more from the centre [MG].
    """

    name: str
    time_limit_s: float  # game seconds [MG], [TIMER]
    size: tuple[float, float]
    own_units: int  # Marines at the start [MG]
    reinforcements: int = 0  # Marines added with each new wave [MG]
    max_agents: int = 0  # agent slots (possible_agents); 0: own_units
    kill_score: float = 0.0  # score per enemy killed [MG]
    loss_score: float = 0.0  # score per Marine lost [MG]
    fog: bool = False  # fog of war [MG]
    neutral_targets: bool = False  # the targets are neutral pick-ups (beacon, shards), not enemies

    @property
    def limit_loops(self) -> int:
        """Game loops in one episode [TIMER]."""
        return round(self.time_limit_s * GAME_LOOPS_PER_GAME_SECOND)

    @property
    def agent_slots(self) -> int:
        """Distinct own units one episode can give agents to (possible_agents)."""
        return self.max_agents or self.own_units


# max_agents for the wave maps: the initial Marines plus the reinforcements of 4 (DefeatRoaches: 16 Roaches,
# 160 points) or 8 (DefeatZerglingsAndBanelings: 80 kills, 400 points) cleared waves. Agent names are never
# reused within an episode (PettingZoo: a finished agent does not come back); later reinforcements stay
# on the map, fight on their own (auto-acquire) and are not agents.
MINIGAMES: dict[str, MiniGameSpec] = {
    s.name: s
    for s in (
        MiniGameSpec("MoveToBeacon", 120, (24, 17), own_units=1, neutral_targets=True),
        MiniGameSpec("CollectMineralShards", 120, (24, 17), own_units=2, neutral_targets=True),
        MiniGameSpec("FindAndDefeatZerglings", 180, (36, 36), own_units=3, kill_score=1, loss_score=-1, fog=True),
        MiniGameSpec(
            "DefeatRoaches",
            120,
            (24, 17),
            own_units=9,
            reinforcements=5,
            max_agents=9 + 5 * 4,
            kill_score=10,
            loss_score=-1,
        ),
        MiniGameSpec(
            "DefeatZerglingsAndBanelings",
            120,
            (24, 17),
            own_units=9,
            reinforcements=4,
            max_agents=9 + 4 * 8,
            kill_score=5,
            loss_score=-1,
        ),
    )
}


def minigame(name: str) -> MiniGameSpec:
    """The spec of mini-game ``name``; a ValueError lists the known names."""
    if name not in MINIGAMES:
        raise ValueError(f"unknown mini-game {name!r}; expected one of {', '.join(MINIGAMES)}")
    return MINIGAMES[name]
