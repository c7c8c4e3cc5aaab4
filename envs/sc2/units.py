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
- [MAP]: the mini-game map files themselves, ``pysc2/maps/mini_games/<Map>.SC2Map`` in the PySC2
  repository (google-deepmind/pysc2), opened with ``mpyq``: their trigger script ``MapScript.galaxy``
  (triggers ``gt_Init``, ``gt_ScoreUpdatesandVictory``, ``gt_Defeat``) and their ``Regions``. Region
  coordinates below are relative to the bottom-left corner of region 1, "Playable Space". The maps
  carry no unit data of their own (no ``GameData`` catalogs), so unit stats are the game's defaults.
- [TIMER]: the maps' time limits are trigger timers in game seconds, 16 game loops each: PySC2 counts
  time the same way (``maps/ladder.py``: ``game_steps_per_episode = 16 * 60 * 30  # 30 minute limit``;
  PySC2 issue #90: the mini-games run at 16 game loops per second). 120 s is 1920 game loops, 240
  agent steps at step_mul 8; 180 s (FindAndDefeatZerglings) 2880 loops, 360 steps. Cross-check: with
  22.4 loops per second instead, this engine's straight-to-the-beacon agent would score 38 on
  MoveToBeacon, far above the SC2LE grandmaster's 28; with 16 it scores 26 (seeds 0-9).

Unit conventions: distances in map cells, speeds in cells per second at Faster, cooldowns in seconds
at Faster (derived loop counts below), ranges edge to edge (as the game measures them: centre
distance minus both radii).

Modelled, on by default, each with an engine option to turn it off (``jitter=False``, ``regen=False``):
- weapon jitter [PYSC2 docs/environment.md, "Determinism and Randomness"]: "how fast a unit can get its
  next shot off after firing ... between -1 to +2 game steps for almost all units": each shot's next
  ready loop is ``period + j``, ``j`` uniform in {-1, 0, 1, 2}, seeded by the episode;
- Zerg regeneration [DATA]: Zerg units regain 0.2734 hp per game second (16 loops; Liquipedia's 0.38 hp/s
  at Faster), up to their maximum.

Not modelled (no unit in these mini-games needs them): shields (Zerg and Terran have none), upgrades,
creep, projectile travel time (Roach acid), acceleration and collisions (units created at one point stay
stacked there; the game would spread them to free spots around it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

GAME_LOOPS_PER_SECOND = 22.4  # [SPEED]: game loops per real second at Faster (stats are quoted at Faster)
GAME_LOOPS_PER_GAME_SECOND = 16  # [SPEED], [TIMER]: game loops per game second (the maps' timers)
STEP_MUL = 8  # [PYSC2] maps/mini_games.py: MiniGame.step_mul = 8
WEAPON_JITTER = (-1, 2)  # [PYSC2] docs/environment.md: next shot -1 .. +2 game loops (uniform, whole loops)
ZERG_REGEN = 0.2734  # [DATA] Zerg life regeneration, hp per game second (Liquipedia: 0.38 hp/s at Faster)
# [DATA] target acquisition: an idle unit picks the nearest enemy within its weapon's scan range, not its
# sight (PySC2 docs/environment.md: "Unit auto-targeting is deterministic, but complicated. It is based on
# weapon scan distance, threat and assistance"). The scan distance is the larger of the weapon's range and
# its minimum scan range, 5 by default in the game's weapon data; the maps override no data. Not checked
# here per weapon (the game's data files are not in this repository): Claws, Acid Saliva and Volatile
# Burst are taken to keep the default.
SCAN_RANGE = 5.0


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
    scan: float = 0.0  # an idle unit acquires enemies within this distance (edge to edge); 0: its range
    regen: float = 0.0  # hit points regained per game second (16 loops)
    splash: float = 0.0  # area-of-effect radius around the attacker (Baneling)
    suicide: bool = False  # the unit dies when it attacks (Baneling)

    @property
    def cooldown_loops(self) -> int:
        """Game loops from one attack to the next: the first whole loop after the period ran out."""
        return math.ceil(self.cooldown * GAME_LOOPS_PER_SECOND - 1e-6)

    @property
    def scan_range(self) -> float:
        """The distance (edge to edge) within which an idle unit picks a target: its weapon's scan range."""
        return max(self.scan, self.range)

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
# ([DATA] period 0.696 Normal s = 11.14 loops -> every 12 loops); speed 4.13 (no Metabolic Boost); sight 8;
# scan range 5 (SCAN_RANGE); Zerg regeneration.
ZERGLING = UnitStats(
    "Zergling", 105, health=35, light=True, damage=5, range=0.1, cooldown=0.696 / 1.4, speed=4.13, radius=0.375,
    sight=8, scan=SCAN_RANGE, regen=ZERG_REGEN,
)  # fmt: skip
# [LP] Roach: 145 hp, 1 armor, Armored Biological; Acid Saliva 16 damage, range 4, cooldown 1.43 s
# ([DATA] period 2.0 Normal s = 32 loops); speed 3.15 (no Glial Reconstitution); sight 9; radius 0.5 (the
# game's API unit data, PySC2 raw ``radius``); scan range 5; Zerg regeneration.
ROACH = UnitStats(
    "Roach", 110, health=145, armor=1, damage=16, range=4, cooldown=2.0 / 1.4, speed=3.15, radius=0.5, sight=9,
    scan=SCAN_RANGE, regen=ZERG_REGEN,
)  # fmt: skip
# [LP] Baneling: 30 hp, 0 armor, Biological (not Light); Volatile Burst 16 (+19 vs Light) in patches 3.x-4.x,
# the SC2LE era (20 (+15 vs Light) since 4.7.1: the same 35 against Marines, the only targets here);
# range 0.25, splash radius 2.2, dies when it attacks and also bursts when killed; speed 3.5 (no Centrifugal
# Hooks); sight 8; radius 0.375; scan range 5; Zerg regeneration.
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
    scan=SCAN_RANGE,
    regen=ZERG_REGEN,
    splash=2.2,
    suicide=True,
)
# The neutral targets. Type ids as PySC2 reports them: the MoveToBeacon beacon is unit type 317, the
# Liberty-mod mineral shard 1680. ``reach``: the centre distance at which a Marine takes the pick-up.
# Beacon: [MAP] MoveToBeacon.SC2Map, trigger gt_ScoreUpdatesandVictory (every 0.0625 game s = 1 loop):
# ``UnitInRegion(marine, region 2 "Beacon Area")``, a circle of radius 1.25 centred on the beacon, so the
# Marine's centre within 1.25. Shard: the map picks it up through the shard's own ability
# (``PickupMinerals100``, data not in the map); this engine takes it when the Marine's edge touches a
# 0.5-radius shard (an approximation).
BEACON = UnitStats("Beacon", 317, health=0, radius=1.0)
MINERAL_SHARD = UnitStats("MineralShard", 1680, health=0, radius=0.5)
PICKUP_REACH = {BEACON.unit_type: 1.25, MINERAL_SHARD.unit_type: 0.375 + MINERAL_SHARD.radius}

UNIT_TYPES: tuple[UnitStats, ...] = (MARINE, ZERGLING, ROACH, BANELING, BEACON, MINERAL_SHARD)


Rect = tuple[float, float, float, float]  # (x0, y0, x1, y1), cells from the playable area's bottom-left


@dataclass(frozen=True)
class MiniGameSpec:
    """One mini-game: its time limit [MG], [MAP], playable area [MAP], own units and score rules [MG], [MAP].

    ``size`` (width, height) is region 1 "Playable Space" of the map file [MAP], set as the playable map
    by ``gt_Init`` (``RegionPlayableMapSet(RegionFromId(1))``): the quad (22, 20)-(44, 36) on four maps,
    22 x 16 cells; (10, 12)-(54, 44) on FindAndDefeatZerglings, 44 x 32. The spawn rules that use the
    other regions are in ``builtin/minigames.py``, with their regions below (``MAP_REGIONS``).
    """

    name: str
    time_limit_s: float  # game seconds [MAP] gt_Init: ``TimerStart(gv_episodeCountdownTimer, 120.0 ...)``
    size: tuple[float, float]
    own_units: int  # Marines at the start [MAP] gt_Init
    reinforcements: int = 0  # Marines added with each new wave [MAP] gt_ScoreUpdatesandVictory
    max_agents: int = 0  # agent slots (possible_agents); 0: own_units
    kill_score: float = 0.0  # score per enemy killed [MAP] gt_ScoreUpdatesandVictory
    loss_score: float = 0.0  # score per Marine lost [MAP] gt_Defeat
    fog: bool = False  # fog of war [MG] (the other maps call ``VisRevealArea`` on the playable area)
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
# 160 points) or 8 (DefeatZerglingsAndBanelings: 80 kills, 400 points) cleared waves. A Marine that
# survives a wave keeps its agent (the map re-creates it with a new tag; the pysc2 backend keeps its
# tag, see ``pysc2_backend.py``). Agent names are never reused within an episode (PettingZoo: a finished
# agent does not come back); later reinforcements stay on the map, fight on their own (auto-acquire) and
# are not agents.
MINIGAMES: dict[str, MiniGameSpec] = {
    s.name: s
    for s in (
        MiniGameSpec("MoveToBeacon", 120, (22, 16), own_units=1, neutral_targets=True),
        MiniGameSpec("CollectMineralShards", 120, (22, 16), own_units=2, neutral_targets=True),
        MiniGameSpec("FindAndDefeatZerglings", 180, (44, 32), own_units=3, kill_score=1, loss_score=-1, fog=True),
        MiniGameSpec(
            "DefeatRoaches",
            120,
            (22, 16),
            own_units=9,
            reinforcements=5,
            max_agents=9 + 5 * 4,
            kill_score=10,
            loss_score=-1,
        ),
        MiniGameSpec(
            "DefeatZerglingsAndBanelings",
            120,
            (22, 16),
            own_units=9,
            reinforcements=4,
            max_agents=9 + 4 * 8,
            kill_score=5,
            loss_score=-1,
        ),
    )
}

# [MAP] the regions the maps' triggers spawn in, relative to the playable area's bottom-left corner
# (the file's quads minus (22, 20), or (10, 12) on FindAndDefeatZerglings), rounded to 0.001.
# DefeatRoaches.SC2Map and DefeatZerglingsAndBanelings.SC2Map: region 4 "Spawn Region Left"
# (23.9748, 25.0637)-(27.9787, 31.0483) and region 5 "Spawn Region Right" (38.0207, 25.0427)-(42.0351,
# 31.0773): 4 x 6 rectangles whose random points are 10 to 18 apart in x.
WAVE_SPAWN_LEFT: Rect = (1.975, 5.064, 5.979, 11.048)
WAVE_SPAWN_RIGHT: Rect = (16.021, 5.043, 20.035, 11.077)
# MoveToBeacon.SC2Map: region 3 "Beacon Spawn Region", the rect (23.5, 21.5)-(42.5, 34.5) (1.5 from the
# playable edges) minus a circle of radius 4 at (33, 28), the playable centre.
BEACON_SPAWN: Rect = (1.5, 1.5, 20.5, 14.5)
BEACON_SPAWN_HOLE = 4.0
BEACON_MIN_DISTANCE = 5.0  # gt_Init / gt_ScoreUpdatesandVictory: ``while (Distance(marine, beacon) < 5.0)``
# CollectMineralShards.SC2Map: region 3 "Mineral Area" (23, 21)-(43, 35), 1 from the edges; each shard
# >= 2.0 from the nearest Marine (gt_Init), 20 of them.
SHARD_SPAWN: Rect = (1.0, 1.0, 21.0, 15.0)
SHARD_MIN_DISTANCE, SHARDS = 2.0, 20
# FindAndDefeatZerglings.SC2Map (playable (10, 12)-(54, 44), centre (32, 28)): gt_Init puts 3 Marines at
# the centre + polar(1.0, 120 i + 90 degrees), i = 1..3; Zergling 1 at polar(RandomFixed(8, 9), random
# angle); Zergling 2 in region 4 "Zergling Spawn Inner" (circle 9.5 minus circle 7.5 at the centre);
# 23 more in region 3 "Zergling Spawn Region" ((11, 13)-(53, 43), minus a circle of 10.5 at the centre),
# each >= 5 from the nearest Zergling. gt_ScoreUpdatesandVictory, all dead: 25 new anywhere in the
# playable area, >= 9 from the nearest Marine and >= 5 from the nearest Zergling.
ZERGLING_SPAWN: Rect = (1.0, 1.0, 43.0, 31.0)
ZERGLING_SPAWN_HOLE = 10.5
ZERGLING_INNER_RING = (7.5, 9.5)
ZERGLING_FIRST_RING = (8.0, 9.0)
ZERGLINGS, ZERGLING_APART, ZERGLING_AWAY = 25, 5.0, 9.0


def minigame(name: str) -> MiniGameSpec:
    """The spec of mini-game ``name``; a ValueError lists the known names."""
    if name not in MINIGAMES:
        raise ValueError(f"unknown mini-game {name!r}; expected one of {', '.join(MINIGAMES)}")
    return MINIGAMES[name]
