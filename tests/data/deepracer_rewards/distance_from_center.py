def reward_function(params):
    """Example of using distance_from_center: full reward near the centre line, half up to the border."""
    track_width = params["track_width"]
    distance_from_center = params["distance_from_center"]

    # Two markers: a tenth of the width, then the border itself
    marker_1 = 0.1 * track_width
    marker_2 = 0.5 * track_width

    if distance_from_center <= marker_1:
        reward = 1.0
    elif distance_from_center <= marker_2:
        reward = 0.5
    else:
        reward = 1e-3  # off the track, or about to be

    return float(reward)
