import math


def reward_function(params):
    """Written as shared community reward files are: it edits params as it goes (deleting 'waypoints' when slow)."""
    if params["speed"] < 1.5:
        del params["waypoints"]  # "not needed below this speed"
        return 0.5
    waypoints = params.pop("waypoints")
    prev_point = waypoints[params["closest_waypoints"][0]]
    next_point = waypoints[params["closest_waypoints"][1]]
    direction = math.degrees(math.atan2(next_point[1] - prev_point[1], next_point[0] - prev_point[0]))
    diff = abs(direction - params["heading"]) % 360
    return 1.0 if min(diff, 360 - diff) < 15 else 0.5
