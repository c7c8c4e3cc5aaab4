import math


def reward_function(params):
    """Stay on the track; when the next object is in the camera, less reward for closing in on it, and less for
    an oncoming one (written in the style of the Developer Guide's examples, which have none for these keys)."""
    reward = 1.0 if params["all_wheels_on_track"] else 1e-3
    if params["object_in_camera"]:
        _, ahead = params["closest_objects"]
        gap = (params["objects_distance"][ahead] - params["projection_distance"]) % params["track_length"]
        if gap < 1.0 and params["speed"] > params["objects_speed"][ahead]:
            reward *= 0.5
        heading_diff = abs(math.degrees(params["objects_heading"][ahead]) - params["heading"]) % 360
        if min(heading_diff, 360 - heading_diff) > 90:  # objects_heading is in radians
            reward *= 0.5
    return float(reward)
